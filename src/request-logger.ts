/**
 * Per-request logging that costs nothing until a line is written. Fastify gives every request a
 * pino child logger carrying its request id; making one (bindings serialised through the
 * redaction) costs more than most hooks, and at the usual levels most requests never log a line.
 * RequestLogger makes the child the first time a line at an enabled level is written, so every
 * line still carries `reqId` and goes through the same redaction.
 *
 * AccessLog: one line per request, when it completes (method, URL, status, time), instead of
 * Fastify's two (`incoming request` + `request completed`); Fastify's other request lines (stream
 * errors, failed writes) are unchanged.
 */
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Bindings, ChildLoggerOptions, LevelWithSilentOrString } from 'pino'

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'

export class RequestLogger implements FastifyBaseLogger {
  #child: FastifyBaseLogger | undefined

  constructor (private readonly parent: FastifyBaseLogger & { isLevelEnabled (level: string): boolean }, private readonly bindings: Bindings) {}

  /** The pino child, made on first need. */
  get logger (): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings)
    return this.#child
  }

  get level (): LevelWithSilentOrString {
    return this.#child?.level ?? this.parent.level
  }

  set level (level: LevelWithSilentOrString) {
    this.logger.level = level
  }

  private write (level: Level, args: unknown[]): void {
    // Once made, the child decides; before, a disabled level costs one comparison and no child.
    if (this.#child === undefined && !this.parent.isLevelEnabled(level)) return
    const log = this.logger[level] as (...a: unknown[]) => void
    log.apply(this.logger, args)
  }

  // Prototype methods, not arrow fields: nothing allocated per request beyond the object itself.
  fatal (...args: unknown[]): void { this.write('fatal', args) }
  error (...args: unknown[]): void { this.write('error', args) }
  warn (...args: unknown[]): void { this.write('warn', args) }
  info (...args: unknown[]): void { this.write('info', args) }
  debug (...args: unknown[]): void { this.write('debug', args) }
  trace (...args: unknown[]): void { this.write('trace', args) }
  silent (): void {}

  child (bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options)
  }
}

/** Fastify's `childLoggerFactory`: a RequestLogger unless the route asks for its own level or serializers. */
export function requestLoggerFactory (logger: FastifyBaseLogger, bindings: Bindings, opts: ChildLoggerOptions): FastifyBaseLogger {
  if (opts.level !== undefined || opts.serializers !== undefined) return logger.child(bindings, opts)
  return new RequestLogger(logger as FastifyBaseLogger & { isLevelEnabled (level: string): boolean }, bindings)
}

export class AccessLog extends LogController {
  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error !== null && error !== undefined) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored')
    } else {
      reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
    }
  }
}
