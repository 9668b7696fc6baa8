/**
 * Webhook retention, on each database: succeeded deliveries older than the cutoff go, and with them
 * the events no delivery refers to any more; a pending or failed delivery keeps its event. The
 * dispatcher purges while it holds the lease, at most hourly, on its clock.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { Dispatcher } from '../../src/events/dispatcher.js'
import { generateWebhookSecret } from '../../src/events/signing.js'
import { ManualScheduler } from '../../src/scheduler.js'
import type { WebhookDeliveries } from '../../src/store/webhook-deliveries.js'
import { createSecretBox } from '../../src/tokens/secret-box.js'
import { DIALECTS, openTestStore } from '../databases.js'

const DAY_MS = 86_400_000

for (const dialect of DIALECTS) {
  t.test(`purge on ${dialect}`, async (t) => {
    let clock = Date.parse('2026-01-01T00:00:00Z')
    const store = await openTestStore(t, dialect, { secretBox: createSecretBox(randomBytes(32)), now: () => new Date(clock) })
    const sub = await store.webhooks.create({ url: 'https://hooks.example.com/a', description: '', events: ['*'], servers: ['*'], enabled: true, secret: generateWebhookSecret() })
    const event = (n: number) => ({ type: 'token.renewed' as const, server: 'default', data: { n } })
    // Old: one delivered, one still pending, one given up. New: one delivered.
    await store.webhooks.record([event(1), event(2), event(3)])
    const old = await store.webhookDeliveries.list(sub.id, { limit: 10 })
    await store.webhookDeliveries.succeeded(old[0]!.id, { status: 200, error: null })
    clock += 40 * DAY_MS
    await store.webhooks.record([event(4)])
    const fresh = (await store.webhookDeliveries.list(sub.id, { limit: 10 })).find((d) => !old.some((o) => o.id === d.id))!
    await store.webhookDeliveries.succeeded(fresh.id, { status: 200, error: null })
    // Given up last: it disables the subscription, which then takes no new event.
    await store.webhookDeliveries.giveUp({ seq: old[2]!.id, subscriptionId: sub.id }, { status: 500, error: 'refused' }, 'failing')

    t.same(await store.webhookDeliveries.purge(new Date(clock - 30 * DAY_MS)), { deliveries: 1, events: 1 }, 'the old delivered one and its event')
    const left = await store.webhookDeliveries.list(sub.id, { limit: 10 })
    t.same(left.map((d) => d.id).sort(), [old[1]!.id, old[2]!.id, fresh.id].sort(), 'pending, failed and recent deliveries stay')
    t.same(await store.webhookDeliveries.purge(new Date(clock - 30 * DAY_MS)), { deliveries: 0, events: 0 }, 'nothing more to purge')
  })
}

t.test('the lease holder purges hourly with its retention', async (t) => {
  const scheduler = new ManualScheduler()
  const cutoffs: number[] = []
  const logs: string[] = []
  const deliveries = {
    acquireLease: async () => true,
    releaseLease: async () => {},
    queued: async () => [],
    purge: async (before: Date) => { cutoffs.push(before.getTime()); return { deliveries: cutoffs.length - 1, events: 0 } }
  } as unknown as WebhookDeliveries
  const dispatcher = new Dispatcher({
    deliveries,
    signingSecrets: async () => [],
    send: async () => { throw new Error('not sent') },
    scheduler,
    owner: 'a',
    allow: [],
    log: { info: (_o, msg) => { logs.push(msg) }, warn: (_o, msg) => { logs.push(msg) } },
    retentionMs: 30 * DAY_MS
  })
  const start = scheduler.now()
  await dispatcher.tick()
  await dispatcher.tick()
  t.same(cutoffs, [start - 30 * DAY_MS], 'once at the first look, not at every tick')
  t.same(logs, [], 'nothing purged, nothing said')
  await scheduler.advance(3_600_000)
  await dispatcher.tick()
  t.same(cutoffs, [start - 30 * DAY_MS, start + 3_600_000 - 30 * DAY_MS], 'an hour later, again')
  t.match(logs, [/purged/])
  await dispatcher.stop()
})
