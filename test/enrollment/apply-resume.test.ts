/**
 * A resumed backfill keeps the list it fixed when first queued: it follows the serials still
 * `queued` in its results, keeps the total, and queues again only those missing from the outbox.
 * It reads the outbox again as soon as the engine records an answer, not at its next poll.
 */
import t from 'tap'
import { AnswerCounter } from '../../src/enrollment/answers.js'
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
      rowsFor: async (_server: string, serials: string[]) => serials.filter((s) => s === 'A').map((s) => ({ serial_number: s, status: 'succeeded', last_error: null })),
      // The first look finds A settled while the engine answers for B; the second finds B.
      settledFor: async (server: string, jobId: string, placeholder: string) => {
        looks.push([server, jobId, placeholder])
        if (looks.length === 1) {
          answers.answered('s')
          return [{ serial: 'A', status: 'succeeded', last_error: null }]
        }
        return [{ serial: 'B', status: 'succeeded', last_error: null }]
      }
    }
  }
  const answers = new AnswerCounter()
  const looks: string[][] = []
  const clock = new ManualScheduler()
  const handler = reassignProfileJob({ store, kick: () => {}, scheduler: clock, answers, pollMs: 1000 })
  const ctx: any = {
    job: { id: 'j' },
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
  t.same(progress, [2, 3], 'progress counts the earlier outcome too')
  t.same(looks, [['s', 'j', 'queued'], ['s', 'j', 'queued']], 'two looks at the serials still queued')
  t.equal(clock.pending, 0, 'the answer recorded during the first look was not missed: no poll waited')
  t.same(summary, { queued: 3, by_status: { succeeded: 2 } })
})
