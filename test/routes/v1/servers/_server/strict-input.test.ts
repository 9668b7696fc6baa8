/**
 * Input that is not understood is refused, over real HTTP against the simulator: an undeclared
 * query parameter or body field is a 400 naming it (and the parameter meant), an Accept the
 * route cannot answer is a 406 listing what it can; none of these reaches Apple.
 */
import t from 'tap'
import { S, startStack } from './stack.js'

const PROBLEM = 'application/problem+json'

t.test('strict input and Accept negotiation', async (t) => {
  const s = await startStack(t)
  const appleCalls = async () => (await s.sim('GET', '/_sim/stats')).requests as Record<string, number>
  const before = await appleCalls()

  t.test('a typo in a filter names the filter meant', async (t) => {
    const res = await s.call('GET', `${S}/devices?device_famly=Mac`)
    t.equal(res.status, 400)
    t.match(res.headers['content-type'], PROBLEM)
    t.match(res.json(), {
      code: 'UNKNOWN_PARAMETER',
      detail: 'unknown query parameter device_famly; did you mean device_family?',
      errors: [{ field: 'querystring.device_famly', message: 'is not a parameter of this route' }]
    })
    const far = await s.call('GET', `${S}/devices?os=OSX&limt=5`)
    t.match(far.json(), { code: 'UNKNOWN_PARAMETER', detail: 'unknown query parameter limt; did you mean limit?' })
    const none = await s.call('GET', `${S}/devices?zzzzzz=1`)
    t.match(none.json(), { code: 'UNKNOWN_PARAMETER', detail: 'unknown query parameter zzzzzz' }, 'no suggestion when nothing is close')
  })

  t.test('a route without parameters refuses every one', async (t) => {
    const res = await s.call('GET', `${S}/account?verbose=1`)
    t.equal(res.status, 400)
    t.match(res.json(), { code: 'UNKNOWN_PARAMETER', detail: 'unknown query parameter verbose' })
    t.equal((await s.call('GET', '/healthz?x=1')).status, 400, 'operations routes too')
  })

  t.test('a body field no schema declares, with its JSON pointer', async (t) => {
    const res = await s.call('POST', `${S}/devices/details`, { body: { serials: ['C02XK1ABCDEF'], serial: 'C02XK1ABCDEF' } })
    t.equal(res.status, 400)
    t.match(res.json(), {
      code: 'UNKNOWN_FIELD',
      detail: 'unknown field /serial in the request body; did you mean serials?',
      errors: [{ field: '/serial' }]
    })
  })

  t.test('the pass-through declares any query: Apple\'s parameters are Apple\'s', async (t) => {
    const res = await s.call('GET', `${S}/apple/account?anything=1&anything=2`)
    t.equal(res.status, 200)
  })

  t.test('Accept: a type the route cannot produce is 406 with what it can', async (t) => {
    const xml = await s.call('GET', `${S}/devices`, { headers: { accept: 'application/xml' } })
    t.equal(xml.status, 406)
    t.match(xml.headers['content-type'], PROBLEM)
    t.match(xml.json(), { code: 'NOT_ACCEPTABLE', detail: /answers application\/json, application\/x-ndjson, text\/csv, .* only/ })
    const account = await s.call('GET', `${S}/account`, { headers: { accept: 'text/html' } })
    t.match(account.json(), { status: 406, code: 'NOT_ACCEPTABLE', detail: /answers application\/json only/ })
    t.equal((await s.call('GET', `${S}/devices`, { headers: { accept: 'application/json;q=0, text/html' } })).status, 406, 'q=0 refuses a type')
  })

  t.test('no Accept, */* and q-values keep or choose what the caller prefers', async (t) => {
    for (const accept of [undefined, '*/*', ' ', 'application/*', 'text/html, */*;q=0.1', 'text/csv;q=0.5, application/json']) {
      const res = await s.call('GET', `${S}/devices`, accept === undefined ? {} : { headers: { accept } })
      t.equal(res.status, 200, `Accept: ${String(accept)}`)
      t.match(res.headers['content-type'], /^application\/json/, `Accept: ${String(accept)} is JSON`)
    }
    const csv = await s.call('GET', `${S}/devices`, { headers: { accept: 'application/json;q=0.4, text/csv' } })
    t.match(csv.headers['content-type'], /^text\/csv/, 'the higher q wins')
    const nd = await s.call('GET', `${S}/devices`, { headers: { accept: 'application/jsonl' } })
    t.match(nd.headers['content-type'], /^application\/x-ndjson/, 'NDJSON by its other name')
    const metrics = await s.call('GET', '/metrics', { headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' } })
    t.equal(metrics.status, 200, 'Prometheus\'s own Accept')
    t.equal((await s.call('GET', '/docs', { headers: { accept: 'text/html' } })).status < 400, true, 'Swagger UI is not negotiated')
    t.equal((await s.call('GET', '/nope', { headers: { accept: 'text/html' } })).status, 404, 'a missing route stays 404')
  })

  t.test('nothing refused reached Apple', async (t) => {
    const after = await appleCalls()
    t.equal(after.fetch_devices ?? 0, (before.fetch_devices ?? 0) + 8, 'only the accepted lists fetched devices')
    t.equal(after.device_details ?? 0, before.device_details ?? 0)
  })
})
