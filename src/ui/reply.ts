import type { FastifyReply } from 'fastify'
import type { Html } from './html.js'

const HTML_TYPE = 'text/html; charset=utf-8'

/** Sends a rendered page with its status. */
export function sendPage (reply: FastifyReply, status: number, body: Html): FastifyReply {
  return reply.code(status).type(HTML_TYPE).send(body.text)
}
