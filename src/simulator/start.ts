import type { FastifyInstance } from 'fastify'
import { buildSimulator } from './app.js'
import type { SimulatorOptions } from './options.js'

export interface StartedSimulator {
  url: string
  app: FastifyInstance
  close (): Promise<void>
}

/** Builds and listens; loopback by default because the control API has no authentication. */
export async function startSimulator (opts: SimulatorOptions & { host?: string, port?: number } = {}): Promise<StartedSimulator> {
  const { host = '127.0.0.1', port = 0, ...rest } = opts
  const app = await buildSimulator(rest)
  await app.listen({ host, port })
  const address = app.server.address()
  /* c8 ignore next -- listen() on TCP always yields an AddressInfo; a string is for pipes */
  const boundPort = typeof address === 'object' && address !== null ? address.port : port
  const shownHost = host.includes(':') ? `[${host}]` : host
  return { url: `http://${shownHost}:${boundPort}`, app, close: async () => { await app.close() } }
}
