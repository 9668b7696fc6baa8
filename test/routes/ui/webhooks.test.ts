/**
 * The dashboard's Webhooks page against the real app (SQLite, or PostgreSQL with
 * DEPGATE_TEST_DATABASE=postgres) and real receivers on 127.0.0.1, the clock driven: each
 * subscription's counts are what GET /v1/webhooks/{id}/deliveries lists, a subscription the
 * receiver's 410 disabled says so, the latest failures come first; no secret in the page; a read
 * session gets the 403 page and no link to it.
 */
import t from 'tap'
import { ManualScheduler } from '../../../src/scheduler.js'
import { buildTestApp } from '../../helper.js'
import { startReceiver } from '../../events/receiver.js'
import { browser } from './jar.js'

const DAY = 86_400_000

t.test('the Webhooks page shows each subscription\'s delivery health', async (t) => {
  const clock = new ManualScheduler()
  const receiver = await startReceiver()
  t.teardown(receiver.close)
  const { app, auth, adminKey, createKey } = await buildTestApp(t, { simulator: false, scheduler: clock, webhooks: { tickMs: 365 * DAY }, jobs: { pollMs: 365 * DAY } })
  await app.ready()
  const call = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const res = await app.inject({ method, url, headers: auth(), ...(payload === undefined ? {} : { payload }) })
    return res.json()
  }
  const deliver = async (): Promise<void> => {
    await app.webhooks.dispatcher.tick()
    await app.webhooks.dispatcher.idle()
  }
  // Test events only: the webhook.disabled event of the one that goes is not theirs.
  const create = async (path: string, description: string) => await call('POST', '/v1/webhooks', { url: receiver.url(path), description, events: ['webhook.test'] }) as { id: string, secret: string }

  const ok = await create('/ok?x="><script>alert(1)</script>', 'Tickets <img src=x onerror=alert(1)>')
  const down = await create('/down', 'Down for now')
  const gone = await create('/gone', '')
  const quiet = await create('/quiet', 'Nothing sent yet')
  receiver.answers.set('/down', { status: 500, body: 'upstream <down>' })
  receiver.answers.set('/gone', { status: 410 })
  for (const id of [ok.id, ok.id, down.id, down.id]) await call('POST', `/v1/webhooks/${id}/test`)
  await deliver()
  // A second later, the one that goes: the latest failure.
  await clock.advance(1000)
  await call('POST', `/v1/webhooks/${gone.id}/test`)
  await deliver()

  const b = browser(app)
  await b.signIn(adminKey)
  const res = await b.get('/ui/webhooks')
  t.equal(res.statusCode, 200)
  const panel = (id: string): string => res.body.split(`aria-labelledby="webhook-${id}"`)[1].split('</section>')[0]
  for (const w of [ok, down, gone]) {
    t.notOk(res.body.includes(w.secret), 'no secret in the page')
    for (const status of ['pending', 'succeeded', 'failed']) {
      const listed = (await call('GET', `/v1/webhooks/${w.id}/deliveries?status=${status}`)).deliveries.length as number
      t.match(panel(w.id), `<span data-count="${status}">${listed}</span>`, `${status} deliveries of ${w.id}: as the API lists them`)
    }
  }
  t.notMatch(res.body, /whsec_/)
  t.notMatch(res.body, /<script>alert|<img src=x/, 'hostile URL and description are text')
  t.match(panel(ok.id), 'Tickets &lt;img src=x onerror=alert(1)&gt;')
  t.match(panel(ok.id), /<dt>Last failure<\/dt><dd><span class="muted">none<\/span>/)
  t.match(panel(ok.id), /nothing waits/)
  t.match(panel(quiet.id), /<span data-count="pending">0<\/span> pending ·\s+<span data-count="succeeded">0<\/span> succeeded ·\s+<span data-count="failed">0<\/span> given up/, 'a subscription without deliveries')
  t.match(panel(down.id), /<dt>Oldest undelivered<\/dt><dd>[^<]+ · <span data-since="[^"]+">1 s ago<\/span>/, 'the age of the oldest undelivered event')
  t.match(panel(down.id), 'HTTP 500: upstream &lt;down&gt;')
  t.match(panel(down.id), /<dt>Last success<\/dt><dd><span class="muted">never/)
  t.match(panel(gone.id), /<span class="badge bad">disabled<\/span> depgate disabled it: the receiver answered 410 Gone/)
  const failures = res.body.split('id="failures"')[1]
  const rows = [...failures.matchAll(/<a href="#webhook-([0-9a-f]{12})">/g)].map((m) => m[1])
  t.same(rows, [gone.id, down.id], 'failed deliveries, the latest attempt first')
  t.match(failures, /<span class="badge bad">given up<\/span>/)
  t.match(failures, /<span class="badge warn">retrying<\/span>/)
  t.match(res.body, /<a href="\/ui\/webhooks" aria-current="page">Webhooks<\/a>/, 'in the navigation')

  const reader = browser(app)
  await reader.signIn(await createKey('read'))
  const forbidden = await reader.get('/ui/webhooks')
  t.equal(forbidden.statusCode, 403)
  t.match(forbidden.body, /Admin only/)
  t.notMatch(forbidden.body, /href="\/ui\/webhooks"/, 'a read session has no link to it')
})
