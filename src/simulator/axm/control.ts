/** The AxM part of the control API under /_sim/axm (listed by GET /_sim). */
import type { FastifyInstance, FastifyReply } from 'fastify'
import { randomUUID } from 'node:crypto'
import { generateAccountKey } from './auth.js'

const MAX_ADD = 100_000

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function bad (reply: FastifyReply, error: string, status = 400): FastifyReply {
  return reply.code(status).send({ error })
}

export function registerAxmControl (app: FastifyInstance): void {
  const sim = app.sim
  const axm = sim.axm

  app.post('/_sim/axm/accounts', async (request, reply) => {
    const body = isRecord(request.body) ? request.body : {}
    const { clientId, keyId, publicKey } = body
    if (typeof clientId !== 'string' || typeof keyId !== 'string' || typeof publicKey !== 'string') return bad(reply, 'clientId, keyId and publicKey (PEM) are required strings')
    const account = axm.auth.register(clientId, keyId, publicKey)
    return typeof account === 'string' ? bad(reply, account) : { clientId, keyId }
  })

  // A key pair for tests and the demo: the private key is a throwaway the simulator made, never Apple's.
  app.post('/_sim/axm/keys', async (request, reply) => {
    const body = isRecord(request.body) ? request.body : {}
    const { scope = 'business', form = 'apple' } = body
    if (scope !== 'business' && scope !== 'school') return bad(reply, 'scope must be business or school')
    if (form !== 'apple' && form !== 'sec1' && form !== 'pkcs8') return bad(reply, 'form must be apple, sec1 or pkcs8')
    const clientId = `${scope === 'business' ? 'BUSINESSAPI' : 'SCHOOLAPI'}.${randomUUID()}`
    const keyId = randomUUID()
    const { privateKey, publicKey } = generateAccountKey(form)
    axm.auth.register(clientId, keyId, publicKey)
    return { clientId, keyId, privateKey, publicKey }
  })

  app.get('/_sim/axm/devices', async () => ({
    devices: axm.org.order.map((serial) => {
      const r = axm.org.records.get(serial)
      return { serialNumber: serial, mdmServer: r?.server ?? null }
    })
  }))

  app.post('/_sim/axm/devices', async (request, reply) => {
    const count = isRecord(request.body) ? request.body.count : undefined
    if (!Number.isSafeInteger(count) || (count as number) < 0 || (count as number) > MAX_ADD) return bad(reply, `count must be an integer from 0 to ${MAX_ADD}`)
    const added = axm.org.addDevices(count as number, sim.now())
    return { devices: added.map((r) => ({ serialNumber: r.serial, mdmServer: r.server })) }
  })

  app.delete<{ Params: { serial: string } }>('/_sim/axm/devices/:serial', async (request, reply) => {
    const { serial } = request.params
    return axm.org.release(serial, sim.now()) ? { released: serial } : bad(reply, 'no such device in the organisation', 404)
  })

  app.get('/_sim/axm/servers', async () => ({ depServerId: axm.org.depServerId, servers: [...axm.org.servers.values()] }))

  app.post('/_sim/axm/tokens/expire', async () => ({ expired: axm.auth.expireAll(sim.now()) }))

  app.get('/_sim/axm/stats', async () => axm.stats())

  app.post('/_sim/axm/stats/reset', async () => {
    axm.resetStats()
    return axm.stats()
  })
}
