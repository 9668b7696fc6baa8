/**
 * One HTTP POST of a delivery with undici: connect within 5 s, the whole exchange within 15 s,
 * redirects not followed (a 3xx is a failure: a receiver that moved must be re-registered, and
 * following would send the signed event somewhere nobody subscribed). The answer's body is read up
 * to BODY_CAP bytes only, for the delivery's last_error; it is never logged.
 *
 * Connections are kept alive between deliveries, so a receiver's server may close one just as the
 * next delivery is written on it (its keep-alive timeout racing ours): the request dies with a reset
 * before any answer. That is sent again at once, once, on a fresh connection, within the same 15 s:
 * otherwise an ordinary idle close would cost the subscription a retry 5 s later and hold up its
 * queue. A receiver may then see the event twice (at least once; webhook-id tells them apart).
 */
import { Agent, request } from 'undici'

export const CONNECT_TIMEOUT_MS = 5_000
export const REQUEST_TIMEOUT_MS = 15_000
const BODY_CAP = 1024

export interface SendResult {
  status: number
  retryAfter: string | undefined
  /** The start of the answer's body (at most BODY_CAP bytes, as text). */
  snippet: string
}

export type Sender = (url: string, headers: Record<string, string>, body: string) => Promise<SendResult>

export interface HttpSender {
  send: Sender
  close: () => Promise<void>
}

export function createHttpSender (opts: { connectTimeoutMs?: number, requestTimeoutMs?: number } = {}): HttpSender {
  const requestTimeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS
  const agent = new Agent({ connect: { timeout: opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS }, headersTimeout: requestTimeoutMs, bodyTimeout: requestTimeoutMs })
  return {
    async send (url, headers, body) {
      const signal = AbortSignal.timeout(requestTimeoutMs)
      const post = async () => await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'depgate-webhooks', ...headers },
        body,
        dispatcher: agent,
        signal
      })
      const res = await post().catch(async (err: unknown) => {
        if (!closedUnderUs(err)) throw err
        return await post()
      })
      const chunks: Buffer[] = []
      let size = 0
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        chunks.push(chunk)
        size += chunk.length
        if (size >= BODY_CAP) break
      }
      // Leaving the loop early destroys the stream: the rest of a large answer is never read.
      return { status: res.statusCode, retryAfter: [res.headers['retry-after']].flat()[0], snippet: Buffer.concat(chunks).subarray(0, BODY_CAP).toString('utf8') }
    },
    async close () {
      await agent.close()
    }
  }
}

/** The connection reset or closed by the receiver before its answer (undici's and Node's codes). */
function closedUnderUs (err: unknown): boolean {
  const code = (err as { code?: unknown }).code
  return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE'
}
