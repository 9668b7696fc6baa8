import t from 'tap'
import { Registry } from 'prom-client'
import { KeyedCounter, KeyedHistogram } from '../../../plugins/app/metric-series.js'

t.test('a keyed counter and histogram print like prom-client metrics and reset with the registry', async (t) => {
  const registry = new Registry()
  const c = new KeyedCounter('x_total', 'Things', registry)
  const h = new KeyedHistogram('x_seconds', 'Durations', registry, [0.1, 1])
  let built = 0
  const labels = () => { built++; return { route: '/a' } }
  c.inc('a', labels)
  c.inc('a', labels)
  h.observe('a', labels, 0.05)
  h.observe('a', labels, 0.5)
  h.observe('a', labels, 5)
  t.equal(built, 2, 'labels are built once per series')
  const text = await registry.metrics()
  t.match(text, /# TYPE x_total counter\nx_total\{route="\/a"\} 2/)
  t.match(text, /# TYPE x_seconds histogram/)
  t.match(text, /x_seconds_bucket\{le="0.1",route="\/a"\} 1\n/)
  t.match(text, /x_seconds_bucket\{le="1",route="\/a"\} 2\n/)
  t.match(text, /x_seconds_bucket\{le="\+Inf",route="\/a"\} 3\n/)
  t.match(text, /x_seconds_sum\{route="\/a"\} 5.55\n/)
  t.match(text, /x_seconds_count\{route="\/a"\} 3/)
  registry.resetMetrics()
  t.notMatch(await registry.metrics(), /route=/, 'reset drops every series')
})
