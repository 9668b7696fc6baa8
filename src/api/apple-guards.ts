/**
 * depgate's policy for the Apple endpoints that change something at Apple, in ONE table that both
 * ways in use: the typed route (e.g. POST …/devices/disown) and the pass-through (POST
 * …/apple/devices/disown). Each entry says which Apple path and methods it guards, how Apple's
 * wire body maps to depgate's input, the input's schema (the typed route's own), and the guarded
 * action itself: the checks (disown's switch and confirmation, Apple's rules for a profile), the
 * chunking into Apple's batches, the audit attempt/outcome, and what Apple's SUCCESS changes in
 * the mirror at once (own-writes.ts). The pass-through runs the entry
 * for any guarded path instead of forwarding the body, so a call through it can do no more than
 * the typed route; a new guarded endpoint is one more entry, and test/api/apple-guards.test.ts
 * fails until it has a refusal to compare both ways in with.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { adeProfileBodySchema } from './account.js'
import { activationLockBodySchema, disownBodySchema, disownConfirmation } from './device-actions.js'
import { reflectOwnWrite } from './own-writes.js'
import { perSerialWrite } from './per-serial.js'
import { assignBodySchema, profileInputSchema, profileUuidSchema, removeBodySchema, summarize } from './profiles.js'
import { serialSchema } from './serials.js'
import { profileUrlViolation } from './url-policy.js'
import { validateProfile } from '../dep/profile-rules.js'
import { catalogCode } from '../problem-codes.js'
import { httpProblem } from '../problems.js'

type Wire = Record<string, unknown>

export interface AppleGuard<S extends z.ZodType = z.ZodType, R = unknown> {
  /** The audit action, whichever way the call came in. */
  action: string
  /** Apple's endpoint: its path, and the methods that reach this action. */
  apple: { path: string, methods: readonly string[] }
  /** The typed route that is the documented way in. */
  route: { method: string, url: string }
  /** depgate's input: the typed route's params and body, validated by the typed route's schemas. */
  input: S
  /** Apple's wire body (from the pass-through) as depgate's input, before validation. */
  fromApple: (body: Wire) => unknown
  /** The guarded action: checks, the call(s) to Apple, the audit attempt and outcome. */
  run: (fastify: FastifyInstance, request: FastifyRequest, server: string, input: z.output<S>) => Promise<R>
  /** The result in Apple's wire shape, for the pass-through's answer. */
  toApple: (result: R) => unknown
}

function guard<S extends z.ZodType, R> (g: AppleGuard<S, R>): AppleGuard<S, R> { return g }

const disown = guard({
  action: 'devices.disown',
  apple: { path: '/devices/disown', methods: ['POST'] },
  route: { method: 'POST', url: '/v1/servers/:server/devices/disown' },
  input: disownBodySchema,
  fromApple: ({ devices, confirm }) => ({ serials: devices, confirm }),
  async run (fastify, request, server, { serials, confirm }) {
    if (!fastify.config.allowDisown) {
      throw httpProblem(403, 'DISOWN_DISABLED', 'Disowning devices is turned off on this depgate. An operator can enable it with DEPGATE_ALLOW_DISOWN=true; it cannot be undone.')
    }
    const expected = disownConfirmation(serials.length, server)
    if (confirm !== expected) {
      throw httpProblem(400, 'DISOWN_CONFIRMATION_MISMATCH', `To disown these ${serials.length} serial(s) from "${server}", set confirm to exactly "${expected}". Nothing was disowned.`)
    }
    const { client } = fastify.depServers.get(server)
    const result = await perSerialWrite(fastify, request, { action: 'devices.disown', server, target: null, serials }, async () => ({ devices: await client.disownDevices(serials) }))
    await reflectOwnWrite(fastify, server, { kind: 'disown' }, result.devices)
    return result
  },
  toApple: ({ devices }) => ({ devices })
})

const assign = guard({
  action: 'profile.assign',
  // Apple takes PUT as well as POST here (docs/apple-dep.md §2.8).
  apple: { path: '/profile/devices', methods: ['POST', 'PUT'] },
  route: { method: 'PUT', url: '/v1/servers/:server/profiles/:uuid/devices' },
  input: assignBodySchema.extend({ uuid: profileUuidSchema }),
  fromApple: ({ profile_uuid: uuid, devices }) => ({ uuid, serials: devices }),
  async run (fastify, request, server, { uuid, serials }) {
    const { client } = fastify.depServers.get(server)
    const result = await perSerialWrite(fastify, request, { action: 'profile.assign', server, target: uuid, serials }, async () => await client.assignProfile(uuid, serials))
    await reflectOwnWrite(fastify, server, { kind: 'assign', profileUuid: uuid }, result.devices)
    const wait = result.retry_after_seconds
    return { profile_uuid: uuid, devices: result.devices, summary: result.summary, ...(wait === undefined ? {} : { retry_after_seconds: Math.ceil(wait) }) }
  },
  toApple: ({ summary: _summary, ...answer }) => answer
})

const remove = guard({
  action: 'profile.remove',
  apple: { path: '/profile/devices', methods: ['DELETE'] },
  route: { method: 'DELETE', url: '/v1/servers/:server/devices/profile' },
  input: removeBodySchema,
  fromApple: ({ devices, profile_uuid: uuid }) => ({ serials: devices, profile_uuid: uuid }),
  async run (fastify, request, server, { serials, profile_uuid: uuid }) {
    const { client } = fastify.depServers.get(server)
    const { devices, summary } = await perSerialWrite(fastify, request, { action: 'profile.remove', server, target: null, serials }, async () => await client.removeProfile(serials, uuid))
    await reflectOwnWrite(fastify, server, { kind: 'remove' }, devices)
    return { devices, summary }
  },
  toApple: ({ devices }) => ({ devices })
})

/** Refuses (400, Apple's code and the field) a profile Apple or depgate's URL policy would refuse, before anything is sent. */
export function checkProfileRules (profile: Omit<z.output<typeof profileInputSchema>, 'devices'>): void {
  const violation = validateProfile(profile)
  if (violation !== undefined) {
    // Apple's own codes for these rules, all in the catalog; VALIDATION_FAILED should a new rule's code not be.
    throw httpProblem(400, catalogCode(violation.code, 400, 'VALIDATION_FAILED', { apple: true }), `The profile breaks Apple's rules: ${violation.message}.`, { errors: [{ field: `body.${violation.field}`, message: violation.message }] })
  }
  const urlViolation = profileUrlViolation(profile)
  if (urlViolation !== undefined) {
    throw httpProblem(400, urlViolation.code, `The profile cannot be sent: ${urlViolation.message}.`, { errors: [{ field: `body.${urlViolation.field}`, message: urlViolation.message }] })
  }
}

const define = guard({
  action: 'profile.define',
  apple: { path: '/profile', methods: ['POST'] },
  route: { method: 'POST', url: '/v1/servers/:server/profiles' },
  input: profileInputSchema,
  fromApple: (body) => body,
  async run (fastify, request, server, profile) {
    checkProfileRules(profile)
    const { client } = fastify.depServers.get(server)
    const serials = profile.devices ?? []
    const named = `profile_name ${JSON.stringify(profile.profile_name)}, ${serials.length} serial(s)`
    // validateProfile guarantees profile_name and url are present strings.
    const result = await fastify.auditCall(request, { action: 'profile.define', server, target: null, serials, detail: named },
      async () => await client.defineProfile(profile as typeof profile & { profile_name: string, url: string }),
      (defined) => ({ detail: `${defined.profile_uuid}: ${named}: ${JSON.stringify(summarize(defined.devices))}` }))
    await reflectOwnWrite(fastify, server, { kind: 'assign', profileUuid: result.profile_uuid }, result.devices)
    return result
  },
  toApple: (result) => result
})

const activationLock = guard({
  action: 'device.activation_lock',
  apple: { path: '/device/activationlock', methods: ['POST'] },
  route: { method: 'POST', url: '/v1/servers/:server/devices/:serial/activation-lock' },
  input: activationLockBodySchema.extend({ serial: serialSchema }),
  fromApple: ({ device, ...rest }) => ({ ...rest, serial: device }),
  async run (fastify, request, server, { serial, ...body }) {
    const { client } = fastify.depServers.get(server)
    // The escrow key unlocks the device: the audit log says only whether one was given.
    const escrow = `escrow key ${body.escrow_key === undefined ? 'absent' : 'given'}`
    return await fastify.auditCall(request, { action: 'device.activation_lock', server, target: serial, serials: [serial], detail: escrow },
      async () => await client.activationLock({ device: serial, ...body }),
      (result) => ({ detail: `${result.response_status}, ${escrow}` }))
  },
  toApple: (result) => result
})

const adeSet = guard({
  action: 'ade.set',
  apple: { path: '/account-driven-enrollment/profile', methods: ['POST'] },
  route: { method: 'PUT', url: '/v1/servers/:server/account-driven-enrollment' },
  input: adeProfileBodySchema,
  fromApple: (body) => body,
  async run (fastify, request, server, { mdm_service_discovery_url: url }) {
    const { client } = fastify.depServers.get(server)
    await fastify.auditCall(request, { action: 'ade.set', server, target: null, detail: url }, async () => { await client.setAdeProfile(url) }, () => ({}))
    return { mdm_service_discovery_url: url }
  },
  toApple: () => ({})
})

/** Every guarded Apple endpoint. */
export const APPLE_GUARDS = { disown, assign, remove, define, activationLock, adeSet } as const
const ALL: readonly AppleGuard[] = Object.values(APPLE_GUARDS) as unknown as AppleGuard[]

/** A path as Apple might route it: case-folded, without a `.ext` suffix on the last segment. */
function pathKey (path: string): string {
  return path.toLowerCase().replace(/\.[^/]*$/, '')
}

/**
 * The guard for a pass-through call, `undefined` for an unguarded one, or `refused` (with the
 * methods Apple's path takes) for a write method no guard covers on a guarded path: what Apple
 * would do with it is unknown, so it is not sent.
 */
export function guardFor (method: string, path: string): AppleGuard | { refused: string[] } | undefined {
  const key = pathKey(path)
  const onPath = ALL.filter((g) => pathKey(g.apple.path) === key)
  if (onPath.length === 0) return undefined
  const match = onPath.find((g) => g.apple.methods.includes(method))
  if (match !== undefined) return match
  if (method === 'GET' || method === 'HEAD') return undefined
  return { refused: ['GET', 'HEAD', ...onPath.flatMap((g) => g.apple.methods)] }
}

/** The forwarded methods some guarded path refuses with 405 (guardFor): never GET or HEAD. */
export function refusedMethods (methods: readonly string[]): string[] {
  return methods.filter((m) => ALL.some((g) => { const r = guardFor(m, g.apple.path); return r !== undefined && 'refused' in r }))
}

/** The methods some guard takes: only they reach a guard's body checks (INVALID_JSON…). */
export const GUARDED_METHODS: readonly string[] = [...new Set(ALL.flatMap((g) => g.apple.methods))]

/** A body's validation failure in the shape the error handler answers for a typed route's. */
function validationError (error: z.ZodError): Error {
  return Object.assign(new Error('validation failed'), {
    validation: error.issues.map((i) => ({ instancePath: i.path.map((p) => `/${String(p)}`).join(''), message: i.message })),
    validationContext: 'body'
  })
}

function jsonObject (body: string | undefined): Wire | undefined {
  try {
    const value: unknown = JSON.parse(body ?? '')
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Wire : undefined
  } catch {
    return undefined
  }
}

/** Runs a guarded Apple call that came through the pass-through with Apple's wire body (a JSON string). */
export async function runGuarded (fastify: FastifyInstance, request: FastifyRequest, server: string, g: AppleGuard, body: string | undefined): Promise<unknown> {
  const wire = jsonObject(body)
  if (wire === undefined) throw httpProblem(400, 'INVALID_JSON', `${g.apple.path} needs a JSON object body, as Apple does; depgate checks it before anything is sent.`)
  const parsed = g.input.safeParse(g.fromApple(wire))
  if (!parsed.success) throw validationError(parsed.error)
  return g.toApple(await g.run(fastify, request, server, parsed.data))
}
