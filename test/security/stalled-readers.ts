/**
 * Stalled readers, run by stalled-readers-*.test.ts: whole-list answers whose client takes the headers and then stops
 * reading, over real sockets against a listening depgate, on SQLite and PostgreSQL. Before the
 * limits, four sorted lists held every sorted-snapshot slot for as long as their readers stalled
 * (every other sorted read got 503 MIRROR_BUSY) and unsorted ones held their buffers as long.
 * Now a key has DEPGATE_STREAMS_PER_KEY whole lists at most (429 beyond), and a list whose
 * reader takes nothing for DEPGATE_STREAM_IDLE_TIMEOUT is cut off, freeing what it held.
 *
 * The fleet is large enough that a list outgrows what the kernel buffers for a reader that never
 * reads (about 4 MB on loopback): the server is left with most of it still to send. The idle
 * timers of lists being read are driven by hand, so no test waits for them; the one for an answer
 * handed over whole is the socket's own, at its shortest (1 s).
 */
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import type { TestDialect } from '../databases.js'
import { buildTestApp, until, untilReady } from '../helper.js'
import { rawRequest, readBody, readToClose } from './raw-http.js'
import { handTimers } from '../hand-timers.js'

const FLEET = 20_000

export async function stalledReaders (t: Test, dialect: TestDialect): Promise<void> {
  const clock = handTimers()
  const h = await buildTestApp(t, {
    dialect,
    simulator: { devices: FLEET },
    streamTimers: clock.timers,
    env: { DEPGATE_MIRROR: 'true', DEPGATE_STREAM_IDLE_TIMEOUT: '1' }
  })
  await untilReady(h.app)
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  const port = (h.app.server.address() as AddressInfo).port
  const held = (key: string) => h.app.streamLimits.inUse().get(key.split('_')[1])
  const get = async (key: string, query: string, accept = 'application/json') => await rawRequest({
    port,
    head: `GET /v1/servers/default/devices${query} HTTP/1.1\r\nHost: x\r\nAccept: ${accept}\r\nAuthorization: Bearer ${key}`
  })

  const a = await h.createKey('read', 'stalling')
  // Four sorted lists, never read past their headers: every snapshot slot is taken.
  const stalled = [
    await get(a, '?sort=model'),
    await get(a, '?sort=os&order=desc', 'application/x-ndjson'),
    await get(a, '?sort=model&removed=include'),
    await get(a, '?sort=device_family')
  ]
  t.same(stalled.map((s) => s.status), [200, 200, 200, 200])
  t.equal(held(a), 4)

  const b = await h.createKey('read', 'other')
  const busy = await get(b, '?sort=model')
  t.equal(busy.status, 503, 'meanwhile a sorted list of another key finds every snapshot taken')
  t.match(JSON.parse(await readBody(busy)), { code: 'MIRROR_BUSY' })
  const fifth = await get(a, '')
  t.equal(fifth.status, 429, 'a fifth whole list of the same key is refused, before any reading')
  t.equal(fifth.headers['retry-after'], '10')
  t.match(JSON.parse(await readBody(fifth)), { status: 429, code: 'TOO_MANY_STREAMS', detail: /DEPGATE_STREAMS_PER_KEY/ })

  // Their readers have taken nothing for "the idle timeout": each list is cut off.
  await until('the stalled lists to be closed', async () => {
    clock.fireAll()
    return held(a) === undefined
  })
  for (const s of stalled) {
    const body = (await readToClose(s)).toString('latin1')
    t.notMatch(body, /\r\n0\r\n\r\n$/, 'cut off before the end of the chunked answer: never taken for a short list')
    t.ok(body.length < FLEET * 300, `most of the list was never sent (${body.length} bytes arrived)`)
  }

  // Lists from Apple: a stream is cut off the same way; a list handed over whole by the socket's idle timer (1 s).
  const c = await h.createKey('read', 'apple reader')
  // Asked together, they share one drain of Apple's pages (a second caller arriving once the stalled first had
  // taken a few pages would wait for that drain to end); Apple's first page is slowed so both are in before it.
  h.sim?.app.sim.faults.add({ endpoint: 'fetch_devices', kind: 'latency', ms: 300, times: 1 })
  const live = await Promise.all([get(c, '?source=apple', 'application/x-ndjson'), get(c, '?source=apple')])
  t.same(live.map((s) => s.status), [200, 200])
  await until('the stalled live lists to be closed', async () => {
    clock.fireAll()
    return held(c) === undefined
  }, 60_000)
  for (const s of live) t.notMatch((await readToClose(s)).toString('latin1'), /\r\n0\r\n\r\n$|\]\}$/, 'cut off')

  const after = await get(b, '?sort=model')
  t.equal(after.status, 200, 'the snapshot slots are free again')
  t.equal(held(b), 1)
  after.socket.resume()
  let whole = ''
  after.socket.setEncoding('latin1')
  whole += after.bodyStart.toString('latin1')
  for await (const chunk of after.socket) {
    whole += chunk as string
    if (whole.endsWith('\r\n0\r\n\r\n')) break
  }
  t.match(whole, new RegExp(`"count":${FLEET}`), 'a reader that reads gets the whole list')
  after.socket.destroy()
  await until('the last list to be released', async () => held(b) === undefined)
}
