import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { inventoryStatusSchema } from '../../../src/api/mirror-status.js'
import type { DepServerInfo } from '../../../src/api/server-info.js'
import { serverInfoSchema } from './schemas.js'

export const serverWithInventorySchema = serverInfoSchema.extend({
  inventory: inventoryStatusSchema.describe('The device mirror of this server')
}).meta({ id: 'ServerWithInventory', description: 'A DEP server (one server token) with its token health and its device mirror. Secrets are never shown.' })

export type ServerWithInventory = z.infer<typeof serverWithInventorySchema>

/** Each server's info with its mirror status (a server added a moment ago has a status too: not ready, no phase). */
export async function withInventory (fastify: FastifyInstance, servers: DepServerInfo[]): Promise<ServerWithInventory[]> {
  return await Promise.all(servers.map(async (s) => ({ ...s, inventory: await fastify.inventory.status(s.name) })))
}
