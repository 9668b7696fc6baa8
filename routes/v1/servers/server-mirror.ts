import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { mirrorStatusSchema } from '../../../src/api/mirror-status.js'
import type { DepServerInfo } from '../../../src/api/server-info.js'
import { serverInfoSchema } from './schemas.js'

// Where the two words meet: the code says "mirror", the published contract keeps "inventory" (the
// field, the schema ids, the INVENTORY_* codes), because scripts already read them.
export const serverWithMirrorSchema = serverInfoSchema.extend({
  inventory: mirrorStatusSchema.describe('The device mirror of this server')
}).meta({ id: 'ServerWithInventory', description: 'A DEP server (one server token) with its token health and its device mirror. Secrets are never shown.' })

export type ServerWithMirror = z.infer<typeof serverWithMirrorSchema>

/** Each server's info with its mirror status (a server added a moment ago has a status too: not ready, no phase). */
export async function withMirrorStatus (fastify: FastifyInstance, servers: DepServerInfo[]): Promise<ServerWithMirror[]> {
  return await Promise.all(servers.map(async (s) => ({ ...s, inventory: await fastify.mirror.status(s.name) })))
}
