import { z } from 'zod'
import { timestamp } from './timestamps.js'
import { SCOPES } from '../scopes.js'

export const scopeSchema = z.enum(SCOPES).describe('read < write < admin: each scope includes the ones before it')

export const apiKeySchema = z.object({
  id: z.string().describe('Public id of the key (the part after dgk_)'),
  label: z.string(),
  scope: scopeSchema,
  created_at: timestamp(),
  last_used_at: timestamp().nullable().describe('Updated at most once a minute'),
  revoked_at: timestamp().nullable()
}).meta({
  id: 'ApiKey',
  description: 'An API key, without its secret (only a hash of it is stored).',
  examples: [{ id: '0a1b2c3d4e5f', label: 'munki reports', scope: 'read', created_at: '2026-01-05T10:00:00.000Z', last_used_at: null, revoked_at: null }]
})

export const createKeySchema = z.object({
  label: z.string().trim().min(1).max(100).describe('What the key is for, e.g. "munki reports"'),
  scope: scopeSchema
}).meta({ id: 'ApiKeyRequest', examples: [{ label: 'munki reports', scope: 'read' }] })

export const createdKeySchema = apiKeySchema.extend({
  key: z.string().describe('The full key to send as "Authorization: Bearer <key>". Shown once: depgate keeps only a hash.')
}).meta({
  id: 'ApiKeyCreated',
  examples: [{ id: '0a1b2c3d4e5f', label: 'munki reports', scope: 'read', created_at: '2026-01-05T10:00:00.000Z', last_used_at: null, revoked_at: null, key: 'dgk_0a1b2c3d4e5f_<secret shown once>' }]
})

export const keyIdParamsSchema = z.object({
  id: z.string().regex(/^[a-f0-9]{12}$/, 'is not a key id (12 hexadecimal characters)').describe('The key id')
})

export function keyView (k: { id: string, label: string, scope: z.infer<typeof scopeSchema>, createdAt: string, lastUsedAt?: string, revokedAt?: string }) {
  return { id: k.id, label: k.label, scope: k.scope, created_at: k.createdAt, last_used_at: k.lastUsedAt ?? null, revoked_at: k.revokedAt ?? null }
}
