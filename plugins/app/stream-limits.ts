/**
 * What one caller may hold with whole-list answers (every device, streamed or collected): such an
 * answer lasts as long as its reader takes, and while it lasts it holds a database snapshot or
 * reader, a drain of Apple's cursor and buffers. So:
 * - each API key has at most DEPGATE_STREAMS_PER_KEY of them open at once (429 with Retry-After
 *   beyond), so one key cannot take the sorted-snapshot slots every other caller needs;
 * - an answer whose reader takes nothing for DEPGATE_STREAM_IDLE_TIMEOUT is closed, which ends its
 *   source (snapshot, cursor drain) and frees its buffers.
 *
 * "Takes nothing" is measured where the reader's pace shows: while the source is read, the time a
 * chunk handed to the response waits before the next one is asked for (time spent waiting for
 * the database or Apple does not count); once the source is done, the socket's own idle timer
 * (every write that reaches the kernel restarts it).
 */
import { Socket } from 'node:net'
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { httpProblem } from '../../src/problems.js'
import { SharedDrains } from '../../src/api/shared-drain.js'
import type { StreamPage } from '../../src/api/device-stream.js'

/** Pages of Apple's list a reader of a shared live drain may have waiting (shared-drain.ts) before the drain waits for it. */
export const DRAIN_BUFFER_PAGES = 2

/** Retry-After on a refused list: long enough for one of the key's lists to end, short enough to not idle. */
export const STREAMS_RETRY_SECONDS = 10

export interface StreamLimits {
  /** Takes one of the caller's slots until the response closes; throws the 429 beyond them. */
  admit: (request: FastifyRequest, reply: FastifyReply) => void
  /** `source` as the response's body: closed with the response when its reader stalls. */
  watch: <T>(reply: FastifyReply, source: AsyncGenerator<T, void, undefined>) => AsyncIterableIterator<T>
  /** For an answer handed over whole: the socket is closed once its reader stalls. */
  watchTail: (reply: FastifyReply) => void
  /** Slots in use per caller (for tests and metrics); a caller without any is absent. */
  inUse: () => ReadonlyMap<string, number>
  /** Live drains of Apple's device list: one per server client at a time, shared by its readers. */
  drains: SharedDrains<StreamPage>
}

declare module 'fastify' {
  interface FastifyInstance {
    streamLimits: StreamLimits
  }
}

export interface StreamLimitsOptions {
  /** The idle timers (tests drive them by hand instead of waiting). */
  timers?: { setTimeout: (fn: () => void, ms: number) => unknown, clearTimeout: (timer: unknown) => void }
  /** Pages a reader of a shared live drain may have waiting (default DRAIN_BUFFER_PAGES; tests use 1 to see the pacing). */
  drainBufferPages?: number
}

export function createStreamLimitsPlugin (opts: StreamLimitsOptions = {}) {
  const timers = opts.timers ?? { setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms), clearTimeout: (timer: unknown) => { clearTimeout(timer as NodeJS.Timeout) } }
  return fp(async function streamLimits (fastify) {
    const { streamIdleMs, streamsPerKey } = fastify.config.limits
    const open = new Map<string, number>()

    function stalled (reply: FastifyReply): void {
      reply.log.info({ idleMs: streamIdleMs }, 'closing a whole-list answer whose reader stopped reading')
      reply.raw.destroy()
    }

    function watchTail (reply: FastifyReply): void {
      const socket = reply.raw.socket
      // An injected request (light-my-request) has a stand-in with nothing to watch.
      if (!(socket instanceof Socket)) return
      // Node's server destroys a socket that times out when nobody else listens for it.
      socket.setTimeout(streamIdleMs)
      // A kept-alive connection goes back to the server's own idle limit for its next request.
      reply.raw.once('finish', () => { socket.setTimeout(fastify.server.timeout) })
    }

    const limits: StreamLimits = {
      admit (request, reply) {
        // Whole lists need a key; the address only stands in should a public route ever stream one.
        const caller = request.auth?.keyId ?? `ip:${request.ip}`
        const held = open.get(caller) ?? 0
        if (held >= streamsPerKey) {
          throw httpProblem(429, 'TOO_MANY_STREAMS',
            `This API key already has ${held} whole device lists open (limit ${streamsPerKey}, DEPGATE_STREAMS_PER_KEY): let one finish, or page with limit=, and retry.`,
            { retryAfterSeconds: STREAMS_RETRY_SECONDS })
        }
        open.set(caller, held + 1)
        reply.raw.once('close', () => {
          const now = (open.get(caller) as number) - 1
          if (now === 0) open.delete(caller)
          else open.set(caller, now)
        })
      },

      watch<T> (reply: FastifyReply, source: AsyncGenerator<T, void, undefined>): AsyncIterableIterator<T> {
        let timer: unknown
        const disarm = (): void => {
          if (timer !== undefined) timers.clearTimeout(timer)
          timer = undefined
        }
        reply.raw.once('close', disarm)
        // Not a generator: one ended before its first next() would never end `source` (see endingSource in mirror-stream.ts).
        return {
          async next () {
            disarm()
            const step = await source.next()
            if (step.done === true) watchTail(reply)
            else timer = timers.setTimeout(() => { stalled(reply) }, streamIdleMs)
            return step
          },
          async return () {
            disarm()
            return await source.return()
          },
          async throw (err: unknown) {
            disarm()
            return await source.throw(err)
          },
          [Symbol.asyncIterator] () { return this }
        }
      },

      watchTail,
      inUse: () => open,
      drains: new SharedDrains<StreamPage>({ bufferPages: opts.drainBufferPages ?? DRAIN_BUFFER_PAGES })
    }
    fastify.decorate('streamLimits', limits)
  }, { name: 'depgate-stream-limits', dependencies: ['depgate-config'] })
}
