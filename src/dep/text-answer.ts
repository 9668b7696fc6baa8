/**
 * One answer from Apple, read whole as text through undici's dispatch API.
 *
 * undici's `request()` wraps every body in a Readable stream, and `body.text()` consumes it through
 * stream events and two more promises. Apple's answers are always read whole, so collecting the
 * chunks in a handler does the same work with less machinery: on the proxy path that machinery was
 * about 6 % of depgate's CPU per request (perf record, `GET …/account` under load).
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'

export interface TextAnswer {
  status: number
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>
  body: string
}

function flattenHeaders (headers: IncomingHttpHeaders): Record<string, string> {
  // A plain loop: this runs on every answer from Apple, and Object.entries + flat + join allocate per header.
  const out: Record<string, string> = {}
  for (const name in headers) {
    const value = headers[name]
    // undici only lists headers that were sent, so a value is never undefined here.
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value as string
  }
  return out
}

class TextAnswerHandler implements Dispatcher.DispatchHandler {
  #status = 0
  #headers: Record<string, string> = {}
  readonly #chunks: Buffer[] = []
  readonly #resolve: (answer: TextAnswer) => void
  readonly #reject: (err: unknown) => void
  readonly #signal: AbortSignal | undefined
  #onAbort: (() => void) | undefined

  constructor (resolve: (answer: TextAnswer) => void, reject: (err: unknown) => void, signal: AbortSignal | undefined) {
    this.#resolve = resolve
    this.#reject = reject
    this.#signal = signal
  }

  onRequestStart (controller: Dispatcher.DispatchController): void {
    const signal = this.#signal
    if (signal === undefined) return
    // As undici's own request(): an abort while the request waits for a connection lands here.
    if (signal.aborted) {
      controller.abort(signal.reason as Error)
      return
    }
    this.#onAbort = () => { controller.abort(signal.reason as Error) }
    signal.addEventListener('abort', this.#onAbort, { once: true })
  }

  onResponseStart (_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.#status = statusCode
    this.#headers = flattenHeaders(headers)
  }

  onResponseData (_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#chunks.push(chunk)
  }

  onResponseEnd (): void {
    this.#done()
    const chunks = this.#chunks
    let body = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8')
    // As body.text() did (UTF-8 decode per the Encoding standard): a leading BOM is not text.
    if (body.charCodeAt(0) === 0xFEFF) body = body.slice(1)
    this.#resolve({ status: this.#status, headers: this.#headers, body })
  }

  onResponseError (_controller: Dispatcher.DispatchController, err: Error): void {
    this.#done()
    this.#reject(err)
  }

  #done (): void {
    if (this.#onAbort !== undefined) this.#signal?.removeEventListener('abort', this.#onAbort)
  }
}

/** Sends one request and resolves with the whole answer; rejects with undici's error (or the signal's reason). */
export function fetchText (dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, signal?: AbortSignal): Promise<TextAnswer> {
  return new Promise((resolve, reject) => {
    dispatcher.dispatch(options, new TextAnswerHandler(resolve, reject, signal))
  })
}
