/** fetchText against a throwaway node:http server: whole bodies, headers, and aborts at each stage. */
import { Pool } from 'undici'
import t, { type Test } from 'tap'
import { fetchText } from '../../src/dep/text-answer.js'
import { until } from '../helper.js'
import { startServer } from './helpers.js'

async function pool (t: Test, url: string): Promise<Pool> {
  const p = new Pool(url, { connections: 1 })
  t.teardown(async () => { await p.destroy() })
  return p
}

t.test('a body in many chunks comes back whole, without a leading BOM; headers are flattened', async (t) => {
  const text = 'é'.repeat(100_000)
  const { url } = await startServer(t, (_req, res) => {
    res.setHeader('Set-Cookie', ['a=1', 'b=2'])
    res.setHeader('X-Thing', 'yes')
    res.write('\uFEFF')
    res.end(text)
  })
  const answer = await fetchText(await pool(t, url), { path: '/', method: 'GET' })
  t.equal(answer.status, 200)
  t.equal(answer.body, text, 'multi-byte characters split across chunks decode whole')
  t.equal(answer.headers['set-cookie'], 'a=1, b=2')
  t.equal(answer.headers['x-thing'], 'yes')
})

t.test('an empty body is the empty string', async (t) => {
  const { url } = await startServer(t, (_req, res) => { res.writeHead(204).end() })
  const answer = await fetchText(await pool(t, url), { path: '/', method: 'DELETE' })
  t.equal(answer.status, 204)
  t.equal(answer.body, '')
})

t.test('an abort while the answer is awaited rejects with the signal\'s reason', async (t) => {
  const ac = new AbortController()
  // Never answers: the abort comes once the request has reached the server.
  const { url } = await startServer(t, () => { ac.abort(new Error('stop')) })
  const pending = fetchText(await pool(t, url), { path: '/', method: 'GET' }, ac.signal)
  await t.rejects(pending, { message: 'stop' })
})

t.test('an abort while the request waits for a connection rejects it before it is sent', async (t) => {
  const seen: string[] = []
  let release = (): void => {}
  const { url } = await startServer(t, (req, res) => {
    seen.push(req.url)
    // The first is held until released; any later one is answered at once.
    if (req.url === '/first') release = () => { res.end('first') }
    else res.end('later')
  })
  const p = await pool(t, url)
  const first = fetchText(p, { path: '/first', method: 'GET' })
  const ac = new AbortController()
  const queued = fetchText(p, { path: '/queued', method: 'GET' }, ac.signal)
  // The first holds the pool's one connection once the server has it: the second waits behind it.
  await until('the first request at the server', async () => seen.length === 1)
  ac.abort(new Error('never mind'))
  release()
  t.equal((await first).body, 'first')
  await t.rejects(queued, { message: 'never mind' })
  // The pool's one connection is free now: a request still queued would have gone before this one.
  t.equal((await fetchText(p, { path: '/next', method: 'GET' })).body, 'later')
  t.same(seen, ['/first', '/next'], 'the aborted request never reached the server')
})

t.test('a dispatcher that throws rejects', async (t) => {
  const broken = { dispatch: () => { throw new Error('boom') } } as unknown as Pool
  await t.rejects(fetchText(broken, { path: '/', method: 'GET' }), { message: 'boom' })
})
