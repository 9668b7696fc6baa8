import { EventEmitter } from 'node:events'
import Fastify, { type FastifyReply } from 'fastify'
import t from 'tap'
import { createConfigPlugin } from '../../../plugins/app/config.js'
import { createErrorsPlugin } from '../../../plugins/app/errors.js'
import { createStreamLimitsPlugin, STREAMS_RETRY_SECONDS } from '../../../plugins/app/stream-limits.js'
import { loadConfig } from '../../../src/config.js'

t.test('a watched source passes throw() through, and a refused list says when to retry', async (t) => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(createConfigPlugin(loadConfig({ DEPGATE_STREAMS_PER_KEY: '1' })))
  await app.register(createErrorsPlugin())
  await app.register(createStreamLimitsPlugin())
  let ended = false
  async function * source () {
    try {
      yield 'a'
      yield 'b'
    } finally {
      ended = true
    }
  }
  const reply = { raw: new EventEmitter() } as unknown as FastifyReply
  const watched = app.streamLimits.watch(reply, source())
  t.same(await watched.next(), { value: 'a', done: false })
  await t.rejects(watched.throw!(new Error('the pipe failed')), /the pipe failed/, 'the error reaches the source')
  t.ok(ended, 'which has ended')
  reply.raw.emit('close')

  // Without a key (no auth plugin here) the caller is its address.
  app.get('/list', { config: { scope: 'none' } }, async (request, reply) => {
    app.streamLimits.admit(request, reply)
    await new Promise((resolve) => setImmediate(resolve))
    return { ok: true }
  })
  const [first, second] = await Promise.all([app.inject('/list'), app.inject('/list')])
  t.equal(first.statusCode, 200)
  t.equal(second.statusCode, 429)
  t.equal(second.headers['retry-after'], String(STREAMS_RETRY_SECONDS))
  t.equal(app.streamLimits.inUse().size, 0, 'every slot is back once the answers are done')
})
