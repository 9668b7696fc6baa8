/**
 * The bad-input corpus: every route with a body or parameters, fed malformed JSON, wrong types,
 * oversized bodies, too many serials, control characters and non-ASCII, unknown servers. The
 * cases are generated from the table below; each must answer a 4xx problem, never a 5xx, and
 * none may reach Apple.
 */
import t from 'tap'
import { S, startStack, type CallOptions } from './stack.js'

const SERIAL = 'C02XK1ABCDEF'
const UUID = 'F'.repeat(32)
const serials = (n: number): string[] => Array.from({ length: n }, (_, i) => `C02${String(i).padStart(9, '0')}`)

/** Bad serials as they would arrive in JSON, and as path segments (percent-encoded). */
const BAD_SERIALS: Record<string, string> = {
  'a NUL byte': 'C02\u0000K1ABCDEF',
  'a newline': 'C02XK1ABCDE\n',
  'a tab': 'C02\tK1ABCDEF',
  'an escape character': 'C02\u001bK1ABCDEF',
  'non-ASCII (Ä)': 'C02ÄK1ABCDEF',
  'a full-width digit': 'C02XK1ABCDE１',
  'an emoji': 'C02XK1ABCD😀',
  'a space': 'C02XK1 ABCDE',
  punctuation: 'C02-K1ABCDEF',
  'too short': 'C02X',
  'too long': 'C02XK1ABCDEF123',
  empty: ''
}

interface Route {
  name: string
  method: string
  path: (server: string) => string
  /** A valid body, when the route takes one. */
  body?: unknown
  /** Fields that hold a list of serials: each gets every bad-list variant. */
  serialLists?: string[]
  /** Most serials the route accepts. */
  maxSerials?: number
  /** Path with a serial parameter. */
  serialPath?: (serial: string) => string
}

const ROUTES: Route[] = [
  { name: 'device list', method: 'GET', path: (s) => `/v1/servers/${s}/devices?os=OSX` },
  { name: 'one device', method: 'GET', path: (s) => `/v1/servers/${s}/devices/${SERIAL}`, serialPath: (x) => `${S}/devices/${x}` },
  { name: 'replacement', method: 'GET', path: (s) => `/v1/servers/${s}/devices/${SERIAL}/replacement`, serialPath: (x) => `${S}/devices/${x}/replacement` },
  { name: 'changes', method: 'GET', path: (s) => `/v1/servers/${s}/devices/changes?cursor=abc` },
  { name: 'get profile', method: 'GET', path: (s) => `/v1/servers/${s}/profiles/${UUID}` },
  { name: 'details', method: 'POST', path: (s) => `/v1/servers/${s}/devices/details`, body: { serials: [SERIAL] }, serialLists: ['serials'] },
  { name: 'define profile', method: 'POST', path: (s) => `/v1/servers/${s}/profiles`, body: { profile_name: 'P', url: 'https://mdm.example.com/enroll', devices: [SERIAL] }, serialLists: ['devices'], maxSerials: 1000 },
  { name: 'assign profile', method: 'PUT', path: (s) => `/v1/servers/${s}/profiles/${UUID}/devices`, body: { serials: [SERIAL] }, serialLists: ['serials'] },
  { name: 'remove profile', method: 'DELETE', path: (s) => `/v1/servers/${s}/devices/profile`, body: { serials: [SERIAL] }, serialLists: ['serials'] },
  { name: 'disown', method: 'POST', path: (s) => `/v1/servers/${s}/devices/disown`, body: { serials: [SERIAL], confirm: 'DISOWN 1 DEVICE FROM default' }, serialLists: ['serials'], maxSerials: 1000 },
  { name: 'activation lock', method: 'POST', path: (s) => `/v1/servers/${s}/devices/${SERIAL}/activation-lock`, body: { lost_message: 'x' }, serialPath: (x) => `${S}/devices/${x}/activation-lock` },
  { name: 'set ADE', method: 'PUT', path: (s) => `/v1/servers/${s}/account-driven-enrollment`, body: { mdm_service_discovery_url: 'https://mdm.example.com/' } },
  { name: 'pass-through', method: 'POST', path: (s) => `/v1/servers/${s}/apple/devices`, body: { devices: [SERIAL] } },
  { name: 'device summary', method: 'GET', path: (s) => `/v1/servers/${s}/devices/summary` },
  { name: 'sync', method: 'POST', path: (s) => `/v1/servers/${s}/sync?full=true` }
]

interface Case { label: string, method: string, path: string, opts: CallOptions }

function cases (): Case[] {
  const out: Case[] = []
  const add = (r: Route, what: string, path: string, opts: CallOptions = {}): void => {
    out.push({ label: `${r.method} ${r.name}: ${what}`, method: r.method, path, opts })
  }
  for (const r of ROUTES) {
    add(r, 'unknown server', r.path('nope'), r.body === undefined ? {} : { body: r.body })
    add(r, 'server name with a NUL byte', r.path('bad%00name'), r.body === undefined ? {} : { body: r.body })
    if (r.body !== undefined) {
      // Over the 1 MiB default body limit; a valid JSON string, so only its size is wrong.
      add(r, 'a body over the limit', r.path('default'), { raw: JSON.stringify({ pad: 'x'.repeat(1_100_000) }) })
    }
    if (r.serialPath !== undefined) {
      for (const [what, bad] of Object.entries(BAD_SERIALS)) {
        if (bad !== '') add(r, `serial parameter with ${what}`, r.serialPath(encodeURIComponent(bad)), r.body === undefined ? {} : { body: r.body })
      }
    }
    if (r.body === undefined || r.name === 'pass-through') continue // the pass-through forwards any body verbatim
    add(r, 'malformed JSON', r.path('default'), { raw: '{"serials": [' })
    add(r, 'an empty body', r.path('default'), { raw: '' })
    add(r, 'text/plain', r.path('default'), { raw: 'serials=C02XK1ABCDEF', headers: { 'content-type': 'text/plain' } })
    for (const [what, body] of Object.entries({ 'an array': [SERIAL], 'a string': SERIAL, 'a number': 42, null: null, 'an object of wrong types': { serials: 42, devices: 'x', confirm: 1, lost_message: 5, escrow_key: 7, profile_name: 3, mdm_service_discovery_url: 9 } })) {
      add(r, `the body is ${what}`, r.path('default'), { raw: JSON.stringify(body) })
    }
    for (const field of r.serialLists ?? []) {
      const valid = r.body as Record<string, unknown>
      const max = r.maxSerials ?? 10_000
      const lists: Record<string, unknown> = {
        [`${max}+1 serials`]: serials(max + 1),
        'no serials': [],
        'a duplicate (differing only in case)': [SERIAL, SERIAL.toLowerCase()],
        'numbers for serials': [12345678],
        'a nested list': [[SERIAL]],
        ...Object.fromEntries(Object.entries(BAD_SERIALS).map(([what, bad]) => [`a serial with ${what}`, [SERIAL.replace('C', 'D'), bad]]))
      }
      for (const [what, list] of Object.entries(lists)) add(r, `${field} has ${what}`, r.path('default'), { body: { ...valid, [field]: list } })
    }
  }
  // Query and parameter shapes that only some routes have.
  const get = ROUTES[3]
  add(get, 'a 1001-character cursor', `${S}/devices/changes?cursor=${'A'.repeat(1001)}`)
  add(get, 'an empty cursor', `${S}/devices/changes?cursor=`)
  add(ROUTES[0], 'a 9000-character filter (the limit is 8000)', `${S}/devices?serial=${'A'.repeat(9000)}`)
  // PostgreSQL refuses NUL in text: a control character in a filter or a page token is refused before any query.
  add(ROUTES[0], 'a NUL byte in a filter', `${S}/devices?model=Mac%00mini`)
  add(ROUTES[0], 'a page token carrying a NUL byte', `${S}/devices?limit=5&page_token=${Buffer.from(JSON.stringify(['a\u0000', 'b', 'c'])).toString('base64url')}`)
  for (const query of ['limit=abc', 'limit=0', 'limit=1001', 'limit=%00', 'limit=1.5', 'page_token=', `page_token=${'A'.repeat(2001)}`, 'sort=serial', 'order=up', 'removed=yes', 'source=cache', 'os=macOS', 'device_family=Watch,Mac', 'profile_status=%00', 'assigned_after=yesterday']) {
    add(ROUTES[0], `mirror query ${query.slice(0, 40)}`, `${S}/devices?${query}`)
  }
  add(ROUTES[1], 'an unknown source', `${S}/devices/${SERIAL}?source=cache`)
  for (const query of ['since=abc', 'since=-1', 'since=', 'since=1e3', 'since=0&limit=0', 'since=0&wait=61', 'since=0&wait=-1']) {
    add(get, `feed query ${query}`, `${S}/devices/changes?${query}`)
  }
  for (const query of ['full=yes', 'wait=1', 'full=%00']) add(ROUTES[14], `sync query ${query}`, `${S}/sync?${query}`)
  for (const uuid of ['xyz', 'F'.repeat(31), 'F'.repeat(33), `${'F'.repeat(31)}%00`, `${'F'.repeat(31)}%C3%84`]) {
    add(ROUTES[4], `profile UUID ${uuid}`, `${S}/profiles/${uuid}`)
    add(ROUTES[7], `profile UUID ${uuid}`, `${S}/profiles/${uuid}/devices`, { body: { serials: [SERIAL] } })
  }
  add(ROUTES[10], 'an escrow key that is not 64 hex digits', `${S}/devices/${SERIAL}/activation-lock`, { body: { escrow_key: 'g'.repeat(64) } })
  add(ROUTES[10], 'an unknown field', `${S}/devices/${SERIAL}/activation-lock`, { body: { escrow: 'x' } })
  add(ROUTES[11], 'a URL that is not a URL', `${S}/account-driven-enrollment`, { body: { mdm_service_discovery_url: 'mdm example' } })
  add(ROUTES[12], 'a path with ..', `${S}/apple/devices/../session`)
  add(ROUTES[12], 'a path with a NUL byte', `${S}/apple/devices%00`)
  return out
}

t.test('every bad input is a 4xx problem, never a 5xx, and never reaches Apple', async (t) => {
  const s = await startStack(t, { devices: 5, env: { DEPGATE_ALLOW_DISOWN: 'true' } })
  await s.sim('POST', '/_sim/stats/reset')
  const all = cases()
  t.ok(all.length > 150, `${all.length} cases`)
  const failures: string[] = []
  for (const c of all) {
    const res = await s.call(c.method, c.path, c.opts)
    const problem = /application\/problem\+json/.test(String(res.headers['content-type']))
    const code = problem ? res.json().code : undefined
    if (res.status < 400 || res.status >= 500 || !problem || typeof code !== 'string') {
      failures.push(`${c.label} → ${res.status} ${String(res.headers['content-type'])} ${res.text.slice(0, 120)}`)
    }
  }
  t.same(failures, [], 'every case answered a 4xx problem')
  const stats = await s.sim('GET', '/_sim/stats')
  const reached = Object.entries(stats.requests as Record<string, number>).filter(([endpoint, n]) => endpoint !== 'session' && n > 0)
  t.same(reached, [], 'no bad input was sent on to Apple')
})
