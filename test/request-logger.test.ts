import { Writable } from 'node:stream'
import Fastify from 'fastify'
import pino from 'pino'
import t from 'tap'
import { AccessLog, RequestLogger, requestLoggerFactory } from '../src/request-logger.js'

function capture (level: string) {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk: Buffer, _enc, cb) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); cb() } })
  return { lines, logger: pino({ level, redact: { paths: ['secret'], censor: '[REDACTED]' } }, stream) }
}

t.test('a request logger makes its pino child only for a line at an enabled level', async (t) => {
  const { lines, logger } = capture('warn')
  let made = 0
  const parent = Object.assign(Object.create(logger) as typeof logger, { child: (...a: Parameters<typeof logger.child>) => { made++; return logger.child(...a) } })
  const log = new RequestLogger(parent, { reqId: 'r1' })
  log.info('not written')
  log.debug('not written')
  log.trace('not written')
  log.silent()
  t.equal(made, 0, 'no child for disabled levels')
  t.equal(log.level, 'warn', 'the parent\'s level until a child exists')
  log.warn({ secret: 's3cr3t' }, 'w')
  log.error('e')
  log.fatal('f')
  t.equal(made, 1, 'one child, made once')
  t.match(lines, [{ reqId: 'r1', msg: 'w', secret: '[REDACTED]' }, { reqId: 'r1', msg: 'e' }, { reqId: 'r1', msg: 'f' }])
  log.level = 'debug'
  log.debug('now written')
  t.equal(log.level, 'debug')
  t.match(lines.at(-1), { reqId: 'r1', msg: 'now written' }, 'the child\'s own level decides once it exists')
  log.child({ job: 'x' }).warn('from a grandchild')
  t.match(lines.at(-1), { reqId: 'r1', job: 'x' })
})

t.test('the factory leaves routes with their own level or serializers to pino', async (t) => {
  const { logger } = capture('info')
  t.ok(requestLoggerFactory(logger, { reqId: 'a' }, {}) instanceof RequestLogger)
  t.notOk(requestLoggerFactory(logger, { reqId: 'a' }, { level: 'debug' }) instanceof RequestLogger)
  t.notOk(requestLoggerFactory(logger, { reqId: 'a' }, { serializers: {} }) instanceof RequestLogger)
})

t.test('one access line per request; a failed response is logged as an error', async (t) => {
  const { lines, logger } = capture('info')
  const app = Fastify({ loggerInstance: logger, childLoggerFactory: requestLoggerFactory, logController: new AccessLog() })
  app.get('/ok', async () => ({ ok: true }))
  await app.inject({ url: '/ok', headers: { 'x-request-id': 'x' } })
  const request = lines.filter((l) => l.reqId !== undefined)
  t.equal(request.length, 1, 'no separate incoming-request line')
  t.match(request[0], { msg: 'request completed', req: { method: 'GET', url: '/ok' }, res: { statusCode: 200 }, responseTime: Number })
  const reply = { log: { error: (obj: Record<string, unknown>, msg: string) => { lines.push({ ...obj, msg }) } }, elapsedTime: 3 }
  new AccessLog().requestCompleted(new Error('boom'), {} as never, reply as never)
  t.match(lines.at(-1), { msg: 'request errored', responseTime: 3 })
  await app.close()
})
