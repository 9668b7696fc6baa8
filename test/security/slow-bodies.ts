/**
 * Unauthenticated and slow bodies (run by battery-*.test.ts on each database), over raw
 * sockets: a request refused before its body was read is answered and its connection closed
 * (before, the connection stayed open while the client trickled the declared body, for minutes);
 * a body that does not arrive within DEPGATE_REQUEST_TIMEOUT is answered 408; connections beyond
 * DEPGATE_MAX_CONNECTIONS are dropped.
 */
import { once } from 'node:events'
import { type AddressInfo, connect } from 'node:net'
import type { Test } from 'tap'
import type { TestDialect } from '../databases.js'
import { buildTestApp } from '../helper.js'
import { rawRequest, readToClose } from './raw-http.js'

const DECLARED = 100_000

export async function slowBodies (t: Test, dialect: TestDialect): Promise<void> {
  const h = await buildTestApp(t, { dialect, simulator: false, env: { DEPGATE_AUTH_FAILURE_LIMIT: '2', DEPGATE_REQUEST_TIMEOUT: '1', DEPGATE_MAX_CONNECTIONS: '4' } })
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  const port = (h.app.server.address() as AddressInfo).port
  /** A POST declaring a 100 kB body of which only a few bytes come. */
  const post = async (authorization: string | undefined, length = DECLARED, localAddress = '127.0.0.1') => await rawRequest({
    port,
    localAddress,
    head: `POST /v1/keys HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}` + (authorization === undefined ? '' : `\r\nAuthorization: ${authorization}`),
    body: '{"label":'
  })

  for (const [why, authorization, status, code] of [
    ['no key', undefined, 401, 'UNAUTHENTICATED'],
    ['a wrong key', 'Bearer ' + 'w'.repeat(40), 401, 'UNAUTHENTICATED'],
    ['a wrong key again', 'Bearer ' + 'v'.repeat(40), 401, 'UNAUTHENTICATED'],
    ['too many failures', 'Bearer ' + 'u'.repeat(40), 429, 'TOO_MANY_AUTH_FAILURES']
  ] as Array<[string, string | undefined, number, string]>) {
    const answer = await post(authorization)
    t.equal(answer.status, status, why)
    t.equal(answer.headers.connection, 'close', `${why}: the answer says the connection ends`)
    // No sleeping: the server closes it right after the answer, or this waits until tap's timeout fails the test.
    const rest = (await readToClose(answer)).toString()
    t.match(JSON.parse(rest), { code }, `${why}: answered, then closed without the body`)
  }

  // From another address: 127.0.0.1 has spent its failures.
  const tooBig = await post(h.auth().authorization, 2 * 1024 * 1024, '127.0.0.2')
  t.equal(tooBig.status, 413, 'a declared body over DEPGATE_BODY_LIMIT')
  t.equal(tooBig.headers.connection, 'close')
  await readToClose(tooBig)

  const good = await rawRequest({ port, head: 'GET /healthz HTTP/1.1\r\nHost: x' })
  t.equal(good.status, 200)
  t.not(good.headers.connection, 'close', 'an answer with no body to come keeps its connection')
  good.socket.destroy()

  // A key that may write, trickling its body: node's request timeout (1 s here, the shortest) answers it.
  const slow = await post(h.auth().authorization, DECLARED, '127.0.0.2')
  t.equal(slow.status, 408, 'the body did not arrive within DEPGATE_REQUEST_TIMEOUT')
  t.match(JSON.parse((await readToClose(slow)).toString()), { code: 'REQUEST_TIMEOUT' })

  // Connections beyond DEPGATE_MAX_CONNECTIONS are dropped as they come.
  const open = await Promise.all([0, 1, 2, 3].map(async () => {
    const s = connect({ port, host: '127.0.0.1' })
    await once(s, 'connect')
    return s
  }))
  const extra = connect({ port, host: '127.0.0.1' })
  extra.on('error', () => {})
  extra.resume()
  await once(extra, 'close')
  t.pass('a fifth connection is closed by the server')
  open[0].write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  open[0].setEncoding('latin1')
  let text = ''
  for await (const chunk of open[0]) text += chunk as string
  t.match(text, /^HTTP\/1\.1 200/, 'the four admitted are served')
  for (const s of open) s.destroy()
}
