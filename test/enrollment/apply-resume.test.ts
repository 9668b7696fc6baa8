/**
 * A resumed backfill keeps the list it fixed when first queued: it follows the serials still
 * `queued` in its results, keeps the total, and queues again only those missing from the outbox.
 */
import t from 'tap'
import { reassignProfileJob } from '../../src/enrollment/apply-job.js'
import { ManualScheduler } from '../../src/scheduler.js'

t.test('a resumed job follows its fixed list and re-queues only what the outbox lacks', async (t) => {
  const queued: string[][] = []
  const recorded: Array<{ serial: string, status: string }> = []
  const progress: number[] = []
  const devices = [{ serial_number: 'A', record: '{"profile_uuid":"old"}' }, { serial_number: 'B', record: '{"profile_uuid":"old"}' }, { serial_number: 'D', record: '{"profile_uuid":"old"}' }]
  const store: any = {
    enrollment: { getProfile: async () => ({ profileUuid: 'NEW', history: [{ profileUuid: 'OLD' }, { profileUuid: 'NEW' }] }) },
    mirror: { async * streamDevices () { yield devices } },
    assignments: {
      queueDevices: async (_server: string, wanted: Array<{ serial: string }>) => { queued.push(wanted.map((w) => w.serial)) },
      // A is in the outbox (sent meanwhile); B never made it there before the kill.
      rowsFor: async (_server: string, serials: string[]) => serials.map((s) => ({ serial_number: s, status: 'succeeded', last_error: null })).filter((r) => r.serial_number === 'A' || queued.length > 0)
    }
  }
  const handler = reassignProfileJob({ store, kick: () => {}, scheduler: new ManualScheduler(), pollMs: 1000 })
  const ctx: any = {
    input: { server: 's', name: 'p' },
    signal: new AbortController().signal,
    serialStatuses: async () => new Map([['A', 'queued'], ['B', 'queued'], ['C', 'succeeded']]),
    recordResults: async (rows: Array<{ serial: string, status: string }>) => { recorded.push(...rows) },
    setTotal: async () => { t.fail('a resumed job keeps its total') },
    progress: async (done: number) => { progress.push(done) }
  }
  const summary = await handler.run(ctx)
  t.same(queued, [['B']], 'only the serial missing from the outbox is queued again')
  t.same(recorded.map((r) => r.serial).sort(), ['A', 'B'], 'outcomes for the fixed list, not for D')
  t.same(progress, [3], 'progress counts the earlier outcome too')
  t.same(summary, { queued: 3, by_status: { succeeded: 2 } })
})
