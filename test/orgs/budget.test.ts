/**
 * An org's request budget on a hand-driven clock: background GETs spaced evenly within their share
 * of the minute, live calls taken at once while they fit and refused with the wait otherwise, a
 * refresh at full pace leaving room for live calls, Apple's Retry-After holding everyone, and one
 * budget per org shared by whoever asks for it.
 */
import t from 'tap'
import { OrgBudgets, RequestBudget } from '../../src/orgs/budget.js'
import { ManualScheduler } from '../../src/scheduler.js'

/** Takes `n` background GETs one after another, driving the clock; answers when each was taken. */
async function takeAll (scheduler: ManualScheduler, budget: RequestBudget, n: number): Promise<number[]> {
  const at: number[] = []
  // Read when the take resolves: settle may run one more timer before it sees that.
  for (let i = 0; i < n; i++) at.push(await scheduler.settle(budget.take().then(() => scheduler.now())))
  return at
}

t.test('background GETs: evenly spaced, five sixths of the minute', async (t) => {
  const scheduler = new ManualScheduler({ start: 0 })
  const budget = new RequestBudget(scheduler, 20)
  const heartbeat = scheduler.every(100, () => {})
  t.teardown(heartbeat)
  const at = await takeAll(scheduler, budget, 18)
  t.equal(at[0], 0, 'the first at once')
  const gaps = at.slice(1).map((x, i) => x - at[i])
  t.ok(gaps.every((g) => g >= 60_000 / 17 - 1e-6), 'spaced by a minute over 17 (20 less the live share of 3)')
  t.ok(at.filter((x) => x < 60_000).length <= 17, 'never more than 17 in a minute')
  t.equal(budget.used, 18)
})

t.test('live GETs: at once while they fit, else the wait, nothing taken', async (t) => {
  const scheduler = new ManualScheduler({ start: 0 })
  const budget = new RequestBudget(scheduler, 20)
  for (let i = 0; i < 6; i++) t.equal(budget.takeNow(3), undefined, `lookup ${i + 1} at once`)
  t.equal(budget.takeNow(3), 60_000, 'the 7th needs the first lookup\'s GETs out of the minute')
  t.equal(budget.takeNow(2), undefined, 'two more still fit (20)')
  t.equal(budget.takeNow(1), 60_000)
  await scheduler.advance(60_000)
  t.equal(budget.takeNow(3), undefined, 'a minute later')
  t.equal(budget.used, 0, 'live GETs are not the refresh\'s count')
})

t.test('a refresh at full pace leaves live calls their share', async (t) => {
  const scheduler = new ManualScheduler({ start: 0 })
  const budget = new RequestBudget(scheduler, 20)
  const heartbeat = scheduler.every(100, () => {})
  t.teardown(heartbeat)
  await takeAll(scheduler, budget, 30)
  t.equal(budget.takeNow(3), undefined, 'a lookup goes through during the walk')
  t.ok((budget.takeNow(1) ?? 0) > 0, 'then the minute is full')
  const before = scheduler.now()
  const took = await scheduler.settle(budget.take().then(() => scheduler.now()))
  t.ok(took - before > 60_000 / 17, 'the walk waits longer than its spacing: the live GETs count in its minute')
})

t.test('a live call of more GETs than the whole budget needs an idle minute', async (t) => {
  const scheduler = new ManualScheduler({ start: 0 })
  const budget = new RequestBudget(scheduler, 1)
  t.equal(budget.takeNow(3), undefined, 'idle: through')
  t.equal(budget.takeNow(3), 60_000)
  await scheduler.advance(60_000)
  t.equal(budget.takeNow(3), undefined)
})

t.test('Apple\'s Retry-After holds live calls and the walk', async (t) => {
  const scheduler = new ManualScheduler({ start: 0 })
  const budget = new RequestBudget(scheduler, 20)
  const heartbeat = scheduler.every(100, () => {})
  t.teardown(heartbeat)
  budget.holdUntil(30_000)
  budget.holdUntil(10_000)
  t.equal(budget.takeNow(1), 30_000, 'the later hold stands')
  t.equal(await scheduler.settle(budget.take().then(() => scheduler.now())), 30_000, 'the walk waits it out')
})

t.test('one budget per org', async (t) => {
  const budgets = new OrgBudgets(new ManualScheduler({ start: 0 }), 20)
  t.equal(budgets.get('acme'), budgets.get('acme'))
  t.not(budgets.get('acme'), budgets.get('beta'))
})
