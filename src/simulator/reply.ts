import type { FastifyReply, FastifyRequest } from 'fastify'
import { protocolVersion } from './protocol.js'

/** The exact value depsim and Apple use, no space, `UTF8` (docs/apple-dep.md §1.5). */
export const JSON_TYPE = 'application/json;charset=UTF8'

/** An Apple error: a bare code in text/plain (quoted in depsim mode), or an empty body (405). */
export function sendError (reply: FastifyReply, status: number, code = ''): FastifyReply {
  const quoted = reply.server.sim.config.quoteErrors && code !== ''
  return reply.code(status).type('text/plain;charset=UTF8').send(quoted ? `"${code}"` : code)
}

export function sendJson (reply: FastifyReply, body: unknown, status = 200): FastifyReply {
  return reply.code(status).header('content-type', JSON_TYPE).send(JSON.stringify(body))
}

/** An empty 200, as the account-driven enrollment POST / DELETE answer. */
export function sendEmpty (reply: FastifyReply): FastifyReply {
  return reply.code(200).send('')
}

export function versionOf (request: FastifyRequest): number {
  // Node joins a repeated header into one string ("10, 9"), which then reads as unreadable → 1.
  return protocolVersion(request.headers['x-server-protocol-version'] as string | undefined)
}

/** Thrown where a handler finds the request body unusable; the error handler turns it into a bare code. */
export class SimHttpError extends Error {
  constructor (readonly statusCode: number, readonly code: string) {
    super(code)
  }
}

/** The JSON body as an object; absent means `{}`, anything else is MALFORMED_REQUEST_BODY. */
export function bodyObject (request: FastifyRequest): Record<string, unknown> {
  const body = request.body
  if (body === undefined || body === null) return {}
  if (typeof body !== 'object' || Array.isArray(body)) throw new SimHttpError(400, 'MALFORMED_REQUEST_BODY')
  return body as Record<string, unknown>
}

/** `devices: [serial, …]`, non-empty, or DEVICE_ID_REQUIRED. */
export function serialsOf (body: Record<string, unknown>): string[] {
  const devices = body.devices
  if (!Array.isArray(devices) || devices.length === 0 || !devices.every((s) => typeof s === 'string' && s !== '')) {
    throw new SimHttpError(400, 'DEVICE_ID_REQUIRED')
  }
  return devices as string[]
}
