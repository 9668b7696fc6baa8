/**
 * The delivery's HTTP POST when the receiver's server closes the connection under it (a keep-alive
 * race): sent again once, at once, on a fresh connection; a receiver that resets every connection
 * fails the attempt (the dispatcher's retry schedule takes over). Real sockets on 127.0.0.1.
 */
import t from 'tap'
import { createServer, type Socket } from 'node:net'
import { createHttpSender } from '../../src/events/send.js'

/** A receiver that resets the first `resets` connections once it has read a request, then answers 204. */
async function flakyReceiver (resets: number): Promise<{ url: string, connections: () => number, close: () => Promise<void> }> {
  let connections = 0
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    const n = ++connections
    socket.once('data', () => {
      if (n <= resets) socket.resetAndDestroy()
      else socket.end('HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}/hook`,
    connections: () => connections,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
    }
  }
}

t.test('a connection reset before the answer is sent again once, on a fresh connection', async (t) => {
  const receiver = await flakyReceiver(1)
  t.teardown(receiver.close)
  const sender = createHttpSender()
  t.teardown(sender.close)
  t.match(await sender.send(receiver.url, { 'webhook-id': 'msg_1' }, '{}'), { status: 204 })
  t.equal(receiver.connections(), 2)
})

t.test('a receiver that resets every connection fails the attempt after the one resend', async (t) => {
  const receiver = await flakyReceiver(Infinity)
  t.teardown(receiver.close)
  const sender = createHttpSender()
  t.teardown(sender.close)
  await t.rejects(sender.send(receiver.url, {}, '{}'), { code: /ECONNRESET|UND_ERR_SOCKET/ })
  t.equal(receiver.connections(), 2, 'two connections, no more')
})
