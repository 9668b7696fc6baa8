/**
 * What org_device.* webhook events cost an org refresh: the org mirror's writes (applyDevices page
 * by page, then finishRefresh) of `n` new devices into SQLite on disk, with no webhook subscription
 * (the baseline: no event is read back or written) and with one subscription taking org_device.*
 * (each page also reads its devices back and writes one event and one delivery per device in the
 * same transaction). Apple is left out: this is the database side of a refresh only. Median of
 * `rounds`, each on a fresh database.
 *
 *   node dist/bench/org-events.js [devices=20000] [rounds=5]
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateWebhookSecret } from '../src/events/signing.js'
import { createStore } from '../src/store/index.js'
import { createSecretBox } from '../src/tokens/secret-box.js'
import { recordFigure } from './figures.js'

const devices = Number(process.argv[2] ?? 20_000)
const rounds = Number(process.argv[3] ?? 5)
/** docs/apple-axm.md §3: Apple's page size, which the client always asks for. */
const PAGE = 1000

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]! }

function page (from: number): Array<{ serial: string, attributes: Record<string, unknown>, mdmServer: string | null }> {
  return Array.from({ length: Math.min(PAGE, devices - from) }, (_, i) => {
    const serial = `BENCH${String(from + i).padStart(7, '0')}`
    return {
      serial,
      attributes: { serialNumber: serial, status: 'UNASSIGNED', productFamily: 'Mac', deviceModel: 'MacBook Air', orderNumber: `ORDER${from}`, purchaseSourceType: 'APPLE', addedToOrgDateTime: '2026-01-05T10:00:00Z' },
      mdmServer: null
    }
  })
}

/** One first refresh of `devices`; its milliseconds and the events it wrote. */
async function refresh (subscribed: boolean): Promise<{ ms: number, events: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'depgate-bench-org-events-'))
  const store = await createStore({ dataDir, secretBox: createSecretBox(randomBytes(32)) })
  try {
    if (subscribed) {
      await store.webhooks.create({ url: 'http://127.0.0.1:9/hooks', description: 'bench', events: ['org_device.added', 'org_device.modified', 'org_device.removed'], servers: ['*'], orgs: ['acme'], enabled: true, secret: generateWebhookSecret() })
    }
    await store.orgMirror.acquireLease('acme', 'bench', 600_000)
    const started = performance.now()
    const generation = await store.orgMirror.startRefresh('acme', 'bench')
    for (let from = 0; from < devices; from += PAGE) await store.orgMirror.applyDevices('acme', 'bench', generation, page(from))
    await store.orgMirror.finishRefresh('acme', 'bench', generation, [])
    const ms = performance.now() - started
    const queued = await store.webhookDeliveries.backlog()
    return { ms, events: queued.reduce((sum, b) => sum + Number(b.pending), 0) }
  } finally {
    await store.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const without: number[] = []
const withEvents: number[] = []
let events = 0
for (let i = 0; i < rounds; i++) {
  without.push((await refresh(false)).ms)
  const run = await refresh(true)
  withEvents.push(run.ms)
  events = run.events
}
const note = `SQLite on disk, pages of ${PAGE}, median of ${rounds}; ${events} deliveries queued with the subscription; without: ${without.map((ms) => Math.round(ms)).join(', ')} ms; with: ${withEvents.map((ms) => Math.round(ms)).join(', ')} ms`
recordFigure({ bench: 'org-events', name: `org refresh writes of ${devices} new devices with an org_device.* subscription`, value: median(withEvents), unit: 'ms', baseline: { name: 'no subscription', value: median(without) }, target: 'ratio ≤ 2', met: median(withEvents) <= 2 * median(without), note })
