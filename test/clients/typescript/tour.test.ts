/**
 * The client as a user meets it, part 2: tour/tour.ts (type-checked under the strict options by
 * tour-compiles.test.ts) runs against a real depgate with its mirror and the simulator, over HTTP.
 */
import t from 'tap'
import { buildTestApp, untilReady } from '../../helper.js'
import { tour } from './tour/tour.js'

const DEVICES = 17

t.test('the program runs against depgate over HTTP', async (t) => {
  const { app, adminKey } = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'true' }, simulator: { devices: DEVICES } })
  await untilReady(app)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP')
  const result = await tour(`http://127.0.0.1:${address.port}`, adminKey)

  t.same(result.servers, ['default'])
  t.equal(result.serials.length, DEVICES, 'the page helper read every device (3 pages of 7)')
  t.equal(new Set(result.serials).size, DEVICES, 'once each')
  t.ok(result.lastSeq > 0)
  t.same(result.notFound, { status: 404, code: 'DEVICE_NOT_FOUND' })
  t.equal(result.summaryTotal, DEVICES)
  t.equal(result.changes, DEVICES, 'the feed from 0 has each device, in pages of 5')
  const first = result.serials[0]!
  t.same(result.assigned, { [first]: 'SUCCESS' })
  t.same(result.removed, { [first]: 'SUCCESS' })
  t.match(result.throttled, { status: 429, code: 'FULL_SYNC_TOO_SOON', retryAfter: /^\d+$/ })
})
