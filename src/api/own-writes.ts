/**
 * Read your own writes: once Apple answers SUCCESS for a profile assignment, a removal or a
 * disown made through depgate, the mirror shows the devices' new state at once (with a change-feed
 * entry, long polls woken), instead of after the next sync; a sync is then requested so Apple's
 * own record confirms it, and any later sync page wins (store/mirror-own-writes.ts). The fields
 * set are the ones Apple changes (docs/apple-dep.md §2.5, §2.8, §2.9, §2.15.1).
 *
 * The write to Apple has happened whatever becomes of this: a failure here is logged, never
 * answered (the next sync brings the mirror there anyway).
 */
import type { FastifyInstance } from 'fastify'
import type { OwnWrite } from '../store/mirror.js'

export type OwnWriteEffect =
  | { kind: 'assign', profileUuid: string }
  | { kind: 'remove' }
  | { kind: 'disown' }

/** Apple's time format in device records: ISO 8601 to the second. */
const appleTime = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z')

export function writeFor (effect: OwnWriteEffect, serial: string, at: Date): OwnWrite {
  switch (effect.kind) {
    case 'assign': return { serial, set: { profile_uuid: effect.profileUuid, profile_status: 'assigned', profile_assign_time: appleTime(at), profile_push_time: null } }
    case 'remove': return { serial, set: { profile_uuid: null, profile_status: 'removed', profile_push_time: null } }
    case 'disown': return { serial, removed: true }
  }
}

export async function reflectOwnWrite (fastify: FastifyInstance, server: string, effect: OwnWriteEffect, devices: Readonly<Record<string, string>>): Promise<void> {
  if (!fastify.mirror.enabled) return
  const at = new Date()
  const writes = Object.entries(devices).filter(([, status]) => status === 'SUCCESS').map(([serial]) => writeFor(effect, serial, at))
  if (writes.length === 0) return
  try {
    const { changed } = await fastify.store.mirror.applyOwnWrites(server, writes)
    if (changed > 0) fastify.mirror.changed(server)
    await fastify.mirror.requestSync(server)
  } catch (err) {
    fastify.log.warn({ server, err }, `mirror: could not show a ${effect.kind} at once; the next sync brings it`)
  }
}
