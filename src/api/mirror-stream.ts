/**
 * Answers from the mirror written as text: Apple's records are stored as JSON text and are put
 * into the answer as they are, never parsed and stringified again, so a list of 100,000 devices
 * costs string concatenation and the socket, and memory holds about one batch (Readable.from over
 * these generators gives the pipe's backpressure).
 *
 * A list streamed whole cannot turn into a problem once its first bytes are out: on a failure the
 * NDJSON stream ends with an `{"error": …}` line and both kinds are then cut off before the
 * chunked response is terminated (see device-stream.ts), so a client never takes a short list
 * for a complete one.
 */
import type { ServerResponse } from 'node:http'
import type { ChangesPage, MirrorDevice } from '../store/mirror-reads.js'
import type { Problem } from '../problems.js'
import { csvBatches, MIRROR_COLUMNS } from './device-csv.js'
import { flushed } from './device-stream.js'

/** What begins every JSON answer from the mirror: its `source`, which tells it apart from Apple's (mirror.ts sourceUnion). */
const MIRROR_OPEN = '{"source":"mirror",'

/**
 * One stored record as the answer for one device, with its `source` (no parse). Put last: were
 * Apple ever to send a `source` of its own, a client's parser keeps the last of the two keys.
 */
export function deviceAnswerText (record: string): string {
  // A record is a JSON object with at least serial_number: it ends with '}' and is not empty.
  return `${record.slice(0, -1)},"source":"mirror"}`
}

/** The stored record, with `removed_at` spliced in for a device that left the server (no parse). */
export function deviceText (d: MirrorDevice): string {
  if (d.removed_at === null) return d.record
  // A record is a JSON object with at least serial_number: it ends with '}' and is not empty.
  return `${d.record.slice(0, -1)},"removed_at":${JSON.stringify(d.removed_at)}}`
}

export interface ListTail {
  synced_at: string | null
  last_seq: number
}

/** `total`: devices matching the filters on every page; a whole list's is its count. */
function tailFields (count: number, tail: ListTail, total = count): string {
  return `"count":${count},"total":${total},"synced_at":${JSON.stringify(tail.synced_at)},"last_seq":${tail.last_seq}`
}

/** One page as the MirrorDeviceList JSON text. */
export function pageJson (devices: MirrorDevice[], nextPageToken: string | null, tail: ListTail, total: number): string {
  return `${MIRROR_OPEN}"devices":[${devices.map(deviceText).join(',')}],"next_page_token":${JSON.stringify(nextPageToken)},${tailFields(devices.length, tail, total)}}`
}

/** The stored record as an object, with `removed_at` for a device that left the server (CSV needs the fields). */
export function deviceObject (d: MirrorDevice): Record<string, unknown> {
  const device = JSON.parse(d.record) as Record<string, unknown>
  if (d.removed_at !== null) device.removed_at = d.removed_at
  return device
}

export interface WholeListOptions {
  /** Ended (return()) when the list is, even before its first read: see endingSource. */
  batches: AsyncGenerator<MirrorDevice[], void, undefined>
  tail: ListTail
  res: ServerResponse
  problem: (err: unknown) => Problem
}

/**
 * `gen`, whose return() and throw() also end `source`. A generator ended before its first next()
 * never runs its body, so its `for await` cannot end the source: Readable.from does just that to
 * a stream destroyed before its first read (a client gone while the first batch was read), and the
 * source (the store's stream) holds a database snapshot until it is ended.
 */
function endingSource<T> (gen: AsyncGenerator<T, void, undefined>, source: AsyncGenerator<unknown, void, undefined>): AsyncGenerator<T, void, undefined> {
  const ret = gen.return.bind(gen)
  const thr = gen.throw.bind(gen)
  // Ending a generator that has finished already does nothing.
  const end = async (): Promise<void> => { await source.return() }
  return Object.assign(gen, {
    async return (value: void) {
      try {
        return await ret(value)
      } finally {
        await end()
      }
    },
    async throw (err: unknown) {
      try {
        return await thr(err)
      } finally {
        await end()
      }
    }
  })
}

/** The whole list as one MirrorDeviceList JSON document, a batch at a time. */
export function jsonList (opts: WholeListOptions): AsyncGenerator<string, void, undefined> {
  return endingSource(jsonText(opts), opts.batches)
}

async function * jsonText (opts: WholeListOptions): AsyncGenerator<string, void, undefined> {
  yield `${MIRROR_OPEN}"devices":[`
  let count = 0
  for await (const batch of opts.batches) {
    const text = batch.map(deviceText).join(',')
    yield count === 0 ? text : `,${text}`
    count += batch.length
  }
  yield `],"next_page_token":null,${tailFields(count, opts.tail)}}`
}

/**
 * The whole list as CSV, a batch at a time. CSV has no place for an error or a trailer: a failure
 * after the first bytes cuts the response off (as for JSON), which the client sees as an error.
 */
export function csvList (opts: WholeListOptions): AsyncGenerator<string, void, undefined> {
  return endingSource(csvBatches(MIRROR_COLUMNS, objects(opts.batches)), opts.batches)
}

async function * objects (batches: AsyncIterable<MirrorDevice[]>): AsyncGenerator<Array<Record<string, unknown>>, void, undefined> {
  for await (const batch of batches) yield batch.map(deviceObject)
}

/** The whole list as NDJSON: a device a line, then the trailer `{"count","synced_at","last_seq"}`. */
export function ndjsonList (opts: WholeListOptions): AsyncGenerator<string, void, undefined> {
  return endingSource(ndjsonText(opts), opts.batches)
}

async function * ndjsonText (opts: WholeListOptions): AsyncGenerator<string, void, undefined> {
  let count = 0
  try {
    for await (const batch of opts.batches) {
      yield batch.map(deviceText).join('\n') + '\n'
      count += batch.length
    }
    yield `{${tailFields(count, opts.tail)}}\n`
  } catch (err) {
    yield JSON.stringify({ error: opts.problem(err) }) + '\n'
    await flushed(opts.res)
    throw err
  }
}

/** The change feed as MirrorChanges JSON text. */
export function changesJson (page: ChangesPage, since: number): string {
  const items = page.changes.map((c) => `{"seq":${c.seq},"op":${JSON.stringify(c.op)},"serial_number":${JSON.stringify(c.serial_number)},"at":${JSON.stringify(c.at)},"device":${c.record}}`)
  const next = page.changes.length === 0 ? since : page.changes[page.changes.length - 1].seq
  return `${MIRROR_OPEN}"changes":[${items.join(',')}],"count":${items.length},"next_since":${next},"last_seq":${page.last_seq},"more":${next < page.last_seq}}`
}

/**
 * Runs the first query before the answer starts, so a database failure that early is an ordinary
 * problem response with its status; the rest is read as the client takes it.
 */
export async function firstBatchRead (batches: AsyncGenerator<MirrorDevice[], void, undefined>): Promise<AsyncGenerator<MirrorDevice[], void, undefined>> {
  const first = await batches.next()
  return endingSource((async function * () {
    if (first.done === true) return
    yield first.value
    yield * batches
  })(), batches)
}
