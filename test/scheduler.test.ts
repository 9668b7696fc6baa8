import t from 'tap'
import { delay, ManualScheduler, nothingToCancel, realScheduler } from '../src/scheduler.js'

t.test('advance runs due timers in due order, each at its own time, ties in arming order', async (t) => {
  const clock = new ManualScheduler({ start: 1000 })
  const ran: Array<[string, number]> = []
  const note = (name: string) => () => { ran.push([name, clock.now()]) }
  clock.after(30, note('c'))
  clock.after(10, note('a'))
  clock.after(20, note('b1'))
  clock.after(20, note('b2'))
  clock.after(-5, note('now'))
  await clock.advance(25)
  t.same(ran, [['now', 1000], ['a', 1010], ['b1', 1020], ['b2', 1020]])
  t.equal(clock.now(), 1025, 'the clock ends at the target, past the last timer')
  t.equal(clock.pending, 1)
  await clock.advance(5)
  t.same(ran.at(-1), ['c', 1030], 'a timer due exactly at the target runs')
  t.equal(clock.pending, 0)
})

t.test('advance waits for each callback\'s promise, and runs timers those callbacks arm when they fall due', async (t) => {
  const clock = new ManualScheduler({ start: 0 })
  const ran: string[] = []
  clock.after(10, async () => {
    await new Promise((resolve) => setImmediate(resolve))
    ran.push('slow done')
    clock.after(5, () => { ran.push('armed by it') })
    clock.after(50, () => { ran.push('too late') })
  })
  await clock.advance(20)
  t.same(ran, ['slow done', 'armed by it'])
  t.equal(clock.pending, 1)
})

t.test('an advance made while another waits on a callback: time never goes back', async (t) => {
  const clock = new ManualScheduler({ start: 0 })
  let release = (): void => {}
  clock.after(0, async () => { await new Promise<void>((resolve) => { release = resolve }) })
  const first = clock.advance(0)
  await clock.advance(50)
  release()
  await first
  t.equal(clock.now(), 50)
})

t.test('cancel: before it runs, twice, and after it ran', async (t) => {
  const clock = new ManualScheduler({ start: 0 })
  const ran: string[] = []
  const cancel = clock.after(10, () => { ran.push('cancelled') })
  const ranAlready = clock.after(5, () => { ran.push('ran') })
  cancel()
  cancel()
  nothingToCancel()
  await clock.advance(20)
  ranAlready()
  t.same(ran, ['ran'])
  t.equal(clock.pending, 0)
})

t.test('every re-arms itself until cancelled, also from inside its callback', async (t) => {
  const clock = new ManualScheduler({ start: 0 })
  const at: number[] = []
  const stop = clock.every(10, () => {
    at.push(clock.now())
    if (at.length === 3) stop()
  })
  await clock.advance(100)
  t.same(at, [10, 20, 30])
  t.equal(clock.pending, 0)
  const zero: number[] = []
  const cancelZero = clock.every(0, () => { zero.push(clock.now()) })
  await clock.advance(3)
  cancelZero()
  t.same(zero, [101, 102, 103], 'a period of 0 runs every millisecond, as setInterval would')
})

t.test('next waits for a timer to be armed, then runs the earliest', async (t) => {
  const clock = new ManualScheduler({ start: 500 })
  const ran: string[] = []
  const next = clock.next()
  await new Promise((resolve) => setImmediate(resolve))
  clock.after(40, () => { ran.push('b') })
  clock.after(30, () => { ran.push('a') })
  t.equal(await next, 530)
  t.same(ran, ['a'])
  t.equal(await clock.next(), 540, 'a timer already armed runs at once')
  t.equal(clock.now(), 540)
})

t.test('settle runs timers until the work is done, then hands back its outcome', async (t) => {
  const clock = new ManualScheduler({ start: 0 })
  let polls = 0
  clock.every(10, () => { polls++ })
  const work = (async () => {
    await delay(clock, 25)
    return clock.now()
  })()
  t.equal(await clock.settle(work), 25)
  t.equal(polls, 2, 'the other timers due on the way ran too')
  await t.rejects(clock.settle(delay(clock, 5).then(() => { throw new Error('failed') })), { message: 'failed' })
})

t.test('random: 0.5 by default, or the one given; the start defaults to the real time', async (t) => {
  t.equal(new ManualScheduler().random(), 0.5)
  t.equal(new ManualScheduler({ random: () => 0.25 }).random(), 0.25)
  const before = Date.now()
  const now = new ManualScheduler().now()
  t.ok(now >= before && now <= Date.now())
})

t.test('delay: resolves when the clock passes, rejects on abort before or during', async (t) => {
  const clock = new ManualScheduler({ start: 0 })
  let done = false
  const waiting = delay(clock, 100).then(() => { done = true })
  await clock.advance(99)
  t.notOk(done)
  await clock.advance(1)
  await waiting
  t.ok(done)

  const ac = new AbortController()
  const aborted = delay(clock, 100, ac.signal)
  t.equal(clock.pending, 1)
  ac.abort(new Error('stop'))
  await t.rejects(aborted, { message: 'stop' })
  t.equal(clock.pending, 0, 'the abort cancels its timer')
  await t.rejects(delay(clock, 1, ac.signal), { message: 'stop' }, 'already aborted: no timer at all')
  t.equal(clock.pending, 0)

  const finished = new AbortController()
  const passed = delay(clock, 10, finished.signal)
  await clock.advance(10)
  await passed
  finished.abort()
  t.pass('an abort after the delay ended changes nothing')
})

t.test('the real scheduler: the process clock, unref\'d timers that cancel', async (t) => {
  t.equal(realScheduler.now, Date.now)
  t.equal(realScheduler.random, Math.random)
  // Its timers are unref'd: without a ref'd handle the process would exit before they fire.
  const keepAlive = setInterval(() => {}, 60_000)
  t.teardown(() => { clearInterval(keepAlive) })
  await delay(realScheduler, 1)
  const cancelled = realScheduler.after(1, () => { t.fail('a cancelled timer ran') })
  cancelled()
  let ticks = 0
  await new Promise<void>((resolve) => {
    const stop = realScheduler.every(1, () => {
      if (++ticks < 2) return
      stop()
      resolve()
    })
  })
  t.equal(ticks, 2)
})
