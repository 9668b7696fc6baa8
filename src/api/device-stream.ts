/**
 * NDJSON streaming of Apple's device pages: one device per line, written as each page arrives,
 * with the next page fetched only when the client has taken the previous one (Readable.from over
 * an async generator gives us the pipe's backpressure), so memory stays at about one page
 * whatever the size of the fleet.
 *
 * Ending: on success the last line is a trailer `{"cursor","fetched_until","count"}`; a client
 * that does not see it did not get everything. On a failure after the first line the last line is
 * `{"error": <problem>}` and the response is then cut off without the terminating chunk, so even
 * a client that ignores the error line gets a transport error instead of a silently short list.
 */
import type { ServerResponse } from 'node:http'
import { csvBatches, DEVICE_COLUMNS } from './device-csv.js'
import type { DevicePredicate } from './device-filter.js'
import type { Problem } from '../problems.js'
import type { Device } from '../dep/schemas.js'

export interface StreamPage {
  devices: Device[]
  cursor: string
  fetched_until?: string
}

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson; charset=utf-8'

/**
 * Resolves once everything handed to the socket so far has been flushed to the kernel, so that
 * destroying the socket right after does not drop the error line. A zero-length write completes
 * after every earlier write on the same socket and adds nothing to the HTTP framing.
 */
export async function flushed (res: ServerResponse): Promise<void> {
  const socket = res.socket
  /* c8 ignore next -- only called while the response is open, and an open response has its socket */
  if (socket === null) return
  // The callback runs with an error instead when the socket has been destroyed meanwhile: either way we may go on.
  await new Promise<void>((resolve) => socket.write('', () => resolve()))
}

export interface StreamOptions {
  /** The first page, already fetched by the route so that an early failure is a normal problem reply. */
  first: IteratorResult<StreamPage>
  rest: AsyncIterator<StreamPage>
  match: DevicePredicate | undefined
  res: ServerResponse
  problem: (err: unknown) => Problem
}

/** How a whole list is written: what opens it, a page of kept devices, its trailer, and why it stopped short. */
interface ListFormat {
  open?: string
  /** A page's kept devices (never none); `first`: no device was written before them. */
  devices: (devices: readonly Device[], first: boolean) => string
  trailer: (count: number, last: StreamPage) => string
  /** The problem, written before the response is cut off. */
  failure: (problem: Problem) => string
}

const NDJSON_LIST: ListFormat = {
  devices: (devices) => devices.map((d) => JSON.stringify(d)).join('\n') + '\n',
  trailer: (count, last) => JSON.stringify({ cursor: last.cursor, count, fetched_until: last.fetched_until }) + '\n',
  failure: (problem) => JSON.stringify({ error: problem }) + '\n'
}

/**
 * JSON: the same `{ source, devices, count, cursor, fetched_until }` document a collected list would be,
 * with the trailing fields after the array. A page that fails after the first bytes ends the
 * document with an `"error"` field and no closing brace (it never parses, and a person reading it
 * sees why), as NDJSON's last line says why.
 */
const JSON_LIST: ListFormat = {
  open: '{"source":"apple","devices":[',
  devices: (devices, first) => (first ? '' : ',') + devices.map((d) => JSON.stringify(d)).join(','),
  trailer: (count, last) => '],' + JSON.stringify({ count, cursor: last.cursor, fetched_until: last.fetched_until }).slice(1),
  failure: (problem) => '],"error":' + JSON.stringify(problem)
}

/** A whole list from Apple, written as its pages arrive: memory stays at about one page whatever the fleet. */
async function * deviceList (opts: StreamOptions, format: ListFormat): AsyncGenerator<string, void, undefined> {
  const { rest, match, res } = opts
  let count = 0
  // A drain always yields its first fetch, even for an empty fleet, so there is a last page.
  let last = opts.first.value as StreamPage
  try {
    if (format.open !== undefined) yield format.open
    for (let step = opts.first; step.done !== true; step = await rest.next()) {
      last = step.value
      const kept = match === undefined ? last.devices : last.devices.filter(match)
      if (kept.length === 0) continue
      yield format.devices(kept, count === 0)
      count += kept.length
    }
    yield format.trailer(count, last)
  } catch (err) {
    // The caller hung up (and so aborted the drain): nobody is left to read why.
    if (res.destroyed) return
    yield format.failure(opts.problem(err))
    await flushed(res)
    // Rethrown: Readable.from destroys the stream and Fastify then destroys the response.
    throw err
  } finally {
    await rest.return?.()
  }
}

export function ndjsonDevices (opts: StreamOptions): AsyncGenerator<string, void, undefined> { return deviceList(opts, NDJSON_LIST) }
export function jsonDevices (opts: StreamOptions): AsyncGenerator<string, void, undefined> { return deviceList(opts, JSON_LIST) }

/**
 * CSV: the header row, then every kept device, a page at a time. CSV has no place for an error
 * line: a page that fails after the first bytes cuts the response off, so the client sees an error.
 */
export async function * csvDevices (opts: StreamOptions): AsyncGenerator<string, void, undefined> {
  const { rest, match } = opts
  try {
    yield * csvBatches(DEVICE_COLUMNS, (async function * () {
      for (let step = opts.first; step.done !== true; step = await rest.next()) {
        yield match === undefined ? step.value.devices : step.value.devices.filter(match)
      }
    })())
  } finally {
    await rest.return?.()
  }
}
