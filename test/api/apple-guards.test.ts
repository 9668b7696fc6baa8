/**
 * Both ways into a guarded Apple endpoint — the typed route and the pass-through — answer the same
 * refusal, for every entry of the policy table (a new entry fails here until it has a case), and
 * nothing reaches Apple. Then the pass-through's guarded calls do what the typed route does:
 * chunking, Apple's answer shape, the audit attempt and outcome.
 */
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { APPLE_GUARDS, guardFor } from '../../src/api/apple-guards.js'
import { perSerialWrite } from '../../src/api/per-serial.js'
import { buildTestApp, type TestApp, until } from '../helper.js'

const S = '/v1/servers/default'
const serial = (i: number) => `C02T${String(i).padStart(8, '0')}`
const many = (n: number) => Array.from({ length: n }, (_, i) => serial(i))

interface Way { method: string, url: string, payload: unknown }
interface Case { name: string, disown: boolean, typed: Way, apple: Way, code: string }

/** One or more refusals per guard, keyed by the guard's action. */
const CASES: Record<string, Case[]> = {
  'devices.disown': [
    { name: 'switch off', disown: false, code: 'DISOWN_DISABLED', typed: { method: 'POST', url: '/devices/disown', payload: { serials: [serial(1)], confirm: 'DISOWN 1 DEVICE FROM default' } }, apple: { method: 'POST', url: '/devices/disown', payload: { devices: [serial(1)], confirm: 'DISOWN 1 DEVICE FROM default' } } },
    { name: 'no confirmation', disown: true, code: 'DISOWN_CONFIRMATION_MISMATCH', typed: { method: 'POST', url: '/devices/disown', payload: { serials: [serial(1)], confirm: 'yes' } }, apple: { method: 'POST', url: '/devices/disown', payload: { devices: [serial(1)], confirm: 'yes' } } },
    { name: 'over 1000', disown: true, code: 'VALIDATION_FAILED', typed: { method: 'POST', url: '/devices/disown', payload: { serials: many(1001), confirm: 'DISOWN 1001 DEVICES FROM default' } }, apple: { method: 'POST', url: '/devices/disown', payload: { devices: many(1001), confirm: 'DISOWN 1001 DEVICES FROM default' } } }
  ],
  'profile.assign': [
    { name: 'over 10000', disown: false, code: 'VALIDATION_FAILED', typed: { method: 'PUT', url: `/profiles/${'A'.repeat(32)}/devices`, payload: { serials: many(10001) } }, apple: { method: 'PUT', url: '/profile/devices', payload: { profile_uuid: 'A'.repeat(32), devices: many(10001) } } },
    { name: 'duplicates', disown: false, code: 'VALIDATION_FAILED', typed: { method: 'PUT', url: `/profiles/${'A'.repeat(32)}/devices`, payload: { serials: [serial(1), serial(1)] } }, apple: { method: 'POST', url: '/profile/devices', payload: { profile_uuid: 'A'.repeat(32), devices: [serial(1), serial(1)] } } }
  ],
  'profile.remove': [
    { name: 'bad serial', disown: false, code: 'VALIDATION_FAILED', typed: { method: 'DELETE', url: '/devices/profile', payload: { serials: ['no spaces'] } }, apple: { method: 'DELETE', url: '/profile/devices', payload: { devices: ['no spaces'] } } }
  ],
  'profile.define': [
    { name: 'Apple\'s rules', disown: false, code: 'CONFIG_URL_INVALID', typed: { method: 'POST', url: '/profiles', payload: { profile_name: 'x', url: 'not a url' } }, apple: { method: 'POST', url: '/profile', payload: { profile_name: 'x', url: 'not a url' } } }
  ],
  'device.activation_lock': [
    { name: 'escrow key', disown: false, code: 'VALIDATION_FAILED', typed: { method: 'POST', url: `/devices/${serial(1)}/activation-lock`, payload: { escrow_key: '1234-5678' } }, apple: { method: 'POST', url: '/device/activationlock', payload: { device: serial(1), escrow_key: '1234-5678' } } }
  ],
  'ade.set': [
    { name: 'not https', disown: false, code: 'VALIDATION_FAILED', typed: { method: 'PUT', url: '/account-driven-enrollment', payload: { mdm_service_discovery_url: 'http://mdm.example.com/x' } }, apple: { method: 'POST', url: '/account-driven-enrollment/profile', payload: { mdm_service_discovery_url: 'http://mdm.example.com/x' } } }
  ]
}

async function stats (app: TestApp): Promise<Record<string, number>> {
  return ((await app.sim!.app.inject('/_sim/stats')).json() as { requests: Record<string, number> }).requests
}

async function send (app: FastifyInstance, headers: Record<string, string>, method: string, url: string, payload?: unknown, raw?: string) {
  return await app.inject({ method: method as 'GET', url, headers: { ...headers, 'content-type': 'application/json' }, ...(raw !== undefined ? { payload: raw } : payload === undefined ? {} : { payload: JSON.stringify(payload) }) })
}

t.test('every guarded Apple path answers the same refusal both ways in, and Apple hears nothing', async (t) => {
  const off = await buildTestApp(t)
  const on = await buildTestApp(t, { env: { DEPGATE_ALLOW_DISOWN: 'true' } })
  const before = { off: await stats(off), on: await stats(on) }
  for (const guard of Object.values(APPLE_GUARDS)) {
    const cases = CASES[guard.action]
    t.ok(cases !== undefined && cases.length > 0, `${guard.action} has a refusal to compare`)
    t.ok(off.app.hasRoute({ method: guard.route.method as 'GET', url: guard.route.url }), `${guard.route.method} ${guard.route.url} exists`)
    for (const c of cases ?? []) {
      const { app, auth } = c.disown ? on : off
      const typed = await send(app, auth(), c.typed.method, `${S}${c.typed.url}`, c.typed.payload)
      const apple = await send(app, auth(), c.apple.method, `${S}/apple${c.apple.url}`, c.apple.payload)
      t.equal(typed.json().code, c.code, `${guard.action}, ${c.name}: typed route`)
      t.same({ status: apple.statusCode, code: apple.json().code }, { status: typed.statusCode, code: typed.json().code }, `${guard.action}, ${c.name}: the pass-through answers the same`)
    }
  }
  t.same(await stats(off), before.off, 'no refused call reached Apple')
  t.same(await stats(on), before.on, 'no refused call reached Apple')
  // Refusals are audited under the guarded action whichever way they came.
  const refused = (await off.store.audit.list({ action: 'devices.disown' })).map((e) => [e.target, e.result])
  t.same(refused, [[`${S}/apple/devices/disown`, 'DISOWN_DISABLED'], [`${S}/devices/disown`, 'DISOWN_DISABLED']])
})

t.test('the pass-through cannot slip past a guard by spelling, method or body', async (t) => {
  const off = await buildTestApp(t)
  const { app, auth } = off
  for (const path of ['Devices/Disown', 'devices/DISOWN.json']) {
    const res = await send(app, auth(), 'POST', `${S}/apple/${path}`, { devices: [serial(1)], confirm: 'DISOWN 1 DEVICE FROM default' })
    t.match({ status: res.statusCode, code: res.json().code }, { status: 403, code: 'DISOWN_DISABLED' }, path)
  }
  const patch = await send(app, auth(), 'PATCH', `${S}/apple/profile/devices`, { devices: [serial(1)] })
  t.same([patch.statusCode, patch.json().code, patch.headers.allow], [405, 'METHOD_NOT_ALLOWED', 'GET, HEAD, POST, PUT, DELETE'], 'PATCH is never forwarded')
  const put = await send(app, auth(), 'PUT', `${S}/apple/devices/disown`, { devices: [serial(1)] })
  t.equal(put.headers.allow, 'GET, HEAD, POST', 'any other write method on a guarded path is refused')
  for (const raw of ['{', '[1]', '']) {
    const res = await send(app, auth(), 'POST', `${S}/apple/profile/devices`, undefined, raw)
    t.match({ status: res.statusCode, code: res.json().code }, { status: 400, code: 'INVALID_JSON' }, `body ${JSON.stringify(raw)}`)
  }
  t.same(guardFor('GET', '/profile'), undefined, 'a read of a guarded path is forwarded')
  t.same(guardFor('HEAD', '/profile/devices'), undefined)
  t.equal(guardFor('POST', '/account'), undefined, 'an unguarded path is forwarded')
})

t.test('guarded calls through the pass-through do what the typed route does, in Apple\'s shape, audited', async (t) => {
  const on = await buildTestApp(t, { env: { DEPGATE_ALLOW_DISOWN: 'true' } })
  const { app, auth, store } = on
  const devices = ((await on.sim!.app.inject('/_sim/devices')).json() as { devices: Array<{ serial_number: string }> }).devices.map((d) => d.serial_number)
  const defined = await send(app, auth(), 'POST', `${S}/apple/profile`, { profile_name: 'Guarded', url: 'https://mdm.example.com/enroll', devices: [devices[0]] })
  t.equal(defined.statusCode, 200)
  const uuid = defined.json().profile_uuid as string
  t.same(defined.json().devices, { [devices[0]]: 'SUCCESS' })

  const calls = (await stats(on)).assign_profile ?? 0
  const list = [...devices.slice(0, 5), ...many(1495)]
  const assigned = await send(app, auth(), 'POST', `${S}/apple/profile/devices`, { profile_uuid: uuid, devices: list })
  t.equal(assigned.statusCode, 200)
  t.same(Object.keys(assigned.json()).sort(), ['devices', 'profile_uuid'], 'Apple\'s answer shape, no summary')
  t.equal(Object.keys(assigned.json().devices).length, 1500)
  t.equal((await stats(on)).assign_profile - calls, 2, 'sent to Apple in chunks of 1000')

  const removed = await send(app, auth(), 'DELETE', `${S}/apple/profile/devices`, { devices: [devices[1]] })
  t.same(removed.json(), { devices: { [devices[1]]: 'SUCCESS' } })
  const locked = await send(app, auth(), 'POST', `${S}/apple/device/activationlock`, { device: devices[2], escrow_key: 'a'.repeat(64) })
  t.match(locked.json(), { serial_number: devices[2], response_status: 'SUCCESS' })
  const ade = await send(app, auth(), 'POST', `${S}/apple/account-driven-enrollment/profile`, { mdm_service_discovery_url: 'https://mdm.example.com/ade' })
  t.same({ status: ade.statusCode, body: ade.json() }, { status: 200, body: {} })
  const disowned = await send(app, auth(), 'POST', `${S}/apple/devices/disown`, { devices: [devices[3]], confirm: 'DISOWN 1 DEVICE FROM default' })
  t.same(disowned.json(), { devices: { [devices[3]]: 'SUCCESS' } })

  const missing = await send(app, auth(), 'GET', `${S}/apple/no-such-endpoint`)
  t.equal(missing.statusCode, 404)

  const log = await store.audit.list({ server: 'default' })
  t.match(log.find((e) => e.action === 'profile.assign'), { result: 'ok', serialCount: 1500, serials: undefined, serialsRef: /^\/v1\/audit\/.+\/serials$/, detail: /^1500 serial\(s\): / })
  t.match(log.find((e) => e.action === 'devices.disown'), { result: 'ok', serials: [devices[3]] })
  t.notMatch(JSON.stringify(log), /a{64}/, 'the escrow key is not audited')
  t.match(log.find((e) => e.action === 'apple.passthrough'), { result: 'HTTP_404', detail: 'GET /no-such-endpoint: 404' })
  t.notOk(log.some((e) => e.result === 'pending'), 'every attempt has its outcome')

  // A chunk Apple fails: the attempt's outcome says what the chunks before it did.
  await on.sim!.app.inject({ method: 'POST', url: '/_sim/faults', payload: { endpoint: 'assign_profile', kind: 'status', status: 400, code: 'BAD_REQUEST' } })
  const failed = await send(app, auth(), 'PUT', `${S}/profiles/${uuid}/devices`, { serials: [devices[4]] })
  t.equal(failed.statusCode, 400)
  // The outcome of a call that threw is written once the answer is sent.
  const outcome = await until('the failed attempt\'s outcome', async () => {
    const [entry] = await store.audit.list({ action: 'profile.assign', limit: 1 })
    return entry?.result !== 'pending' && entry
  })
  t.match(outcome, { result: 'UPSTREAM_REFUSED', detail: '1 serial(s); before the failure: {}, 1 not done', finishedAt: String })
})

t.test('an error that is not Apple\'s leaves the attempt\'s detail alone', async (t) => {
  const noted: unknown[] = []
  const fastify = { auditCall: async (_r: unknown, _e: unknown, call: () => Promise<unknown>) => await call() } as unknown as FastifyInstance
  const request = { auditWith: (a: unknown) => { noted.push(a) } } as never
  await t.rejects(perSerialWrite(fastify, request, { action: 'x', target: null, serials: ['A'] }, async () => { throw new TypeError('boom') }), /boom/)
  t.same(noted, [])
})
