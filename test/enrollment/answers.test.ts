/**
 * The engine's answer counter, on a hand-driven clock: a wait ends at the next answer for its
 * server (not another server's), at once when an answer came after the count it was given, at the
 * poll time without one, and rejects when its signal aborts; no timer or waiter is left behind.
 */
import t from 'tap'
import { AnswerCounter } from '../../src/enrollment/answers.js'
import { ManualScheduler } from '../../src/scheduler.js'

t.test('waits end at an answer, at the poll time, or on abort', async (t) => {
  const clock = new ManualScheduler()
  const answers = new AnswerCounter()
  const signal = new AbortController().signal
  const start = clock.now()
  t.equal(answers.count('s'), 0)

  // An answer during the wait wakes every waiter of that server, and only those.
  let woken = 0
  const first = answers.wait(clock, 's', 0, 1000, signal).then(() => { woken++ })
  const second = answers.wait(clock, 's', 0, 1000, signal).then(() => { woken++ })
  let otherWoken = false
  const other = answers.wait(clock, 'other', 0, 1000, signal).then(() => { otherWoken = true })
  answers.answered('s')
  await Promise.all([first, second])
  t.equal(woken, 2, 'both waiters of the server woke')
  t.equal(clock.now(), start, 'without the clock moving')
  t.equal(answers.count('s'), 1)
  t.notOk(otherWoken, 'another server\'s waiter sleeps on')
  t.equal(clock.pending, 1, 'only the other server\'s poll timer is left')

  // No answer: the poll time ends the wait.
  await clock.advance(1000)
  await other
  t.ok(otherWoken, 'the poll time ended the wait')
  t.equal(clock.pending, 0)

  // An answer recorded after the count was read (between a look and its wait) ends the wait at once.
  const seen = answers.count('s')
  answers.answered('s')
  await answers.wait(clock, 's', seen, 1000, signal)
  t.equal(clock.pending, 0, 'no timer armed')

  // A cancel ends the wait with the signal's reason, and one already given refuses it.
  const controller = new AbortController()
  const waiting = answers.wait(clock, 's', answers.count('s'), 1000, controller.signal)
  controller.abort(new Error('cancelled'))
  await t.rejects(waiting, { message: 'cancelled' })
  t.equal(clock.pending, 0, 'its timer cancelled')
  await t.rejects(answers.wait(clock, 's', 0, 1000, controller.signal), { message: 'cancelled' })
  answers.answered('s')
  t.equal(answers.count('s'), 3, 'an answer with nobody waiting is counted')
})
