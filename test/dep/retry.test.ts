import t from 'tap'
import { backoffDelay, parseRetryAfter, retryPolicy, sleep } from '../../src/dep/retry.js'

t.test('parseRetryAfter reads delta-seconds and HTTP-dates', async (t) => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  t.equal(parseRetryAfter(undefined, now), undefined)
  t.equal(parseRetryAfter('7', now), 7)
  t.equal(parseRetryAfter(' 0 ', now), 0)
  t.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30)
  t.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:00 GMT', now + 5000), 0, 'a date in the past means now')
  t.equal(parseRetryAfter('1.5', now), undefined, 'not a delta and not a date')
  t.equal(parseRetryAfter('soon', now), undefined)
  t.equal(parseRetryAfter('-3', now), undefined)
})

t.test('backoffDelay is full jitter under an exponential, capped ceiling', async (t) => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000 }
  t.equal(backoffDelay(0, { ...policy, random: () => 0.999 }), 99)
  t.equal(backoffDelay(2, { ...policy, random: () => 0.5 }), 200)
  t.equal(backoffDelay(10, { ...policy, random: () => 0.5 }), 500, 'capped at maxDelayMs')
  t.equal(backoffDelay(3, { ...policy, random: () => 0 }), 0)
})

t.test('retryPolicy fills in defaults', async (t) => {
  const p = retryPolicy()
  t.match(p, { retries: 3, baseDelayMs: 200, maxDelayMs: 5000, maxRetryAfterMs: 30_000 })
  t.equal(p.sleep, sleep)
  t.equal(retryPolicy({ retries: 0 }).retries, 0)
})

t.test('sleep waits, and an abort signal cuts it short', async (t) => {
  await sleep(1)
  const ac = new AbortController()
  await sleep(1, ac.signal)
  const pending = sleep(60_000, ac.signal)
  ac.abort(new Error('stop'))
  await t.rejects(pending, { message: 'stop' })
  await t.rejects(sleep(1, ac.signal), { message: 'stop' }, 'already aborted')
})
