/**
 * HTTP at the socket level, for the attacks an HTTP client library hides: a reader that takes the
 * headers and then stops reading, a body that never finishes arriving, a source address of
 * choice on the loopback network (127.0.0.0/8) to play several clients.
 */
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'

export interface RawAnswer {
  socket: Socket
  status: number
  /** Header names in lower case. */
  headers: Record<string, string>
  /** What arrived with the headers (a paused reader gets no more until it resumes). */
  bodyStart: Buffer
}

export interface RawOptions {
  port: number
  /** The request line and headers, without the blank line ending them. */
  head: string
  /** Sent right after the head. */
  body?: string
  localAddress?: string
}

/** Sends the request and resolves once the answer's headers are in; the socket is paused from then on. */
export async function rawRequest (opts: RawOptions): Promise<RawAnswer> {
  const socket = connect({ port: opts.port, host: '127.0.0.1', ...(opts.localAddress === undefined ? {} : { localAddress: opts.localAddress }) })
  await once(socket, 'connect')
  socket.write(`${opts.head}\r\n\r\n${opts.body ?? ''}`)
  let got = Buffer.alloc(0)
  for (;;) {
    const [chunk] = await once(socket, 'data') as [Buffer]
    got = Buffer.concat([got, chunk])
    const end = got.indexOf('\r\n\r\n')
    if (end < 0) continue
    socket.pause()
    const [statusLine, ...lines] = got.subarray(0, end).toString('latin1').split('\r\n')
    const headers: Record<string, string> = {}
    for (const line of lines) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    return { socket, status: Number(statusLine.split(' ')[1]), headers, bodyStart: got.subarray(end + 4) }
  }
}

/** Resumes a paused answer and reads the rest of it until the server closes the connection. */
export async function readToClose (answer: RawAnswer): Promise<Buffer> {
  const chunks: Buffer[] = [answer.bodyStart]
  answer.socket.on('data', (c: Buffer) => chunks.push(c))
  // An error (a reset) closes it too.
  answer.socket.on('error', () => {})
  const closed = once(answer.socket, 'close')
  answer.socket.resume()
  await closed
  return Buffer.concat(chunks)
}

/** Resumes a paused answer with a Content-Length and reads its body (the connection stays open). */
export async function readBody (answer: RawAnswer): Promise<string> {
  const length = Number(answer.headers['content-length'])
  let got = answer.bodyStart
  answer.socket.resume()
  while (got.length < length) {
    const [chunk] = await once(answer.socket, 'data') as [Buffer]
    got = Buffer.concat([got, chunk])
  }
  return got.subarray(0, length).toString('utf8')
}
