/**
 * No test waits for background work by sleeping: a fixed pause is either too short on a loaded
 * machine (a flaky test) or too long everywhere (a slow suite), and proves "nothing happened" only
 * for as long as it lasted. Tests drive the app's clock instead (a ManualScheduler passed as
 * `scheduler`, or the simulator's /_sim/clock), wait for an event, or poll a condition with a
 * deadline through `until` in test/helper.ts, the one sanctioned poller.
 *
 * This test reads every .ts file under test/ and fails on a timer used to wait (`setTimeout`, a
 * promise-returning sleep from node:timers/promises) outside the allow-list below, where each
 * remaining use says why no clock can be driven instead.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import t from 'tap'

const root = join(import.meta.dirname, '..')
const testDir = join(root, 'test')

/** file (from the repository root) → how many timer uses it may hold, and why. */
const ALLOWED: Record<string, { count: number, reason: string }> = {
  'test/helper.ts': { count: 1, reason: '`until` itself: the one poller, with a deadline and a message naming what it waited for' },
  'test/store/dialect.test.ts': { count: 2, reason: 'PostgreSQL ends a killed backend\'s socket on its own time; the client side exposes no event for its arrival (PostgreSQL only)' },
  'test/scheduler.test.ts': { count: 1, reason: 'keeps the event loop alive while the real scheduler\'s unref\'d timers are tested' }
}

/** A timer started in order to wait: setTimeout or setInterval anywhere, or the promise API of node:timers. */
const TIMER = /\b(setTimeout|setInterval)\s*\(|from\s+'node:timers\/promises'/g

function tsFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return tsFiles(path)
    return e.name.endsWith('.ts') ? [path] : []
  })
}

/** Comments may name the pattern (this file's own header does): only code counts. */
const code = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')

t.test('no test waits on a timer outside the allow-list', async (t) => {
  // This file names the patterns in its own strings.
  const files = tsFiles(testDir).filter((f) => f !== import.meta.filename)
  t.ok(files.length > 50, `read ${files.length} files`)
  for (const file of files) {
    const name = relative(root, file).split('\\').join('/')
    const uses = code(readFileSync(file, 'utf8')).match(TIMER)?.length ?? 0
    const allowed = ALLOWED[name]?.count ?? 0
    t.ok(uses <= allowed, `${name}: ${uses} timer use(s), ${allowed} allowed`, { hint: 'drive a ManualScheduler (src/scheduler.ts) or the simulator\'s /_sim/clock, or poll with until() from test/helper.ts' })
  }
})

t.test('every allow-list entry is still needed and says why', async (t) => {
  for (const [name, { count, reason }] of Object.entries(ALLOWED)) {
    if (count === 0) continue
    const uses = code(readFileSync(join(root, name), 'utf8')).match(TIMER)?.length ?? 0
    t.equal(uses, count, `${name}: the allowance matches its uses (lower it when one goes)`)
    t.ok(reason.length > 20, `${name}: a reason is given`)
  }
})

t.test('the pattern catches the forms of waiting it is meant to', async (t) => {
  const caught = (s: string): number => code(s).match(TIMER)?.length ?? 0
  t.equal(caught('await new Promise((resolve) => setTimeout(resolve, 200))'), 1)
  t.equal(caught("import { setTimeout as sleep } from 'node:timers/promises'"), 1)
  t.equal(caught('setTimeout(() => ac.abort(), 50)'), 1)
  t.equal(caught('const poll = setInterval(check, 10)'), 1)
  t.equal(caught('// setTimeout(resolve, 1)\n/* setTimeout( */'), 0, 'comments do not count')
  t.equal(caught('await clock.advance(1000)'), 0)
})
