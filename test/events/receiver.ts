/**
 * A webhook receiver on 127.0.0.1 for tests: it keeps every request, and answers each path as
 * told (a status, headers, or an answer held until the test releases it). Signatures are checked
 * with the `standardwebhooks` package, as a receiver would, at the time of depgate's clock.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { Webhook } from 'standardwebhooks'

export interface Received {
  path: string
  headers: IncomingHttpHeaders
  body: string
  /** The status it was answered with, once answered. */
  status?: number
}

export interface Answer {
  status?: number
  headers?: Record<string, string>
  /** The answer waits for this. */
  hold?: Promise<void>
  body?: string
}

export interface Receiver {
  url: (path: string) => string
  received: Received[]
  /** What each path answers (default 200 "ok"). */
  answers: Map<string, Answer>
  at: (path: string) => Received[]
  close: () => Promise<void>
}

export async function startReceiver (): Promise<Receiver> {
  const received: Received[] = []
  const answers = new Map<string, Answer>()
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString('utf8') })
    req.on('end', async () => {
      const path = req.url ?? ''
      const got: Received = { path, headers: req.headers, body }
      received.push(got)
      const answer = answers.get(path) ?? {}
      await answer.hold
      got.status = answer.status ?? 200
      res.writeHead(got.status, answer.headers ?? {})
      res.end(answer.body ?? 'ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    received,
    answers,
    at: (path) => received.filter((r) => r.path === path),
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
    }
  }
}

/**
 * Verifies a delivery with standardwebhooks as a receiver whose clock reads `nowMs` (depgate's
 * clock in the test, which may be days ahead of the real one); returns the parsed payload.
 */
export function verifyAt (secret: string, r: Received, nowMs: number): unknown {
  const headers = { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) }
  const realNow = Date.now
  Date.now = () => nowMs
  try {
    return new Webhook(secret).verify(r.body, headers)
  } finally {
    Date.now = realNow
  }
}
