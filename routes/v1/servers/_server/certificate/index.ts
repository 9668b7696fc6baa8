import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { httpProblem, problemResponses } from '../../../../../src/problems.js'
import type { StagedCertificate } from '../../../../../src/api/server-info.js'
import { certificateSchema } from '../../schemas.js'
import { defineRoute, serverParamsSchema } from '../../../../../src/api/route-kit.js'
import { queryFlag } from '../../../../../src/api/query-values.js'

const PEM = 'application/x-pem-file'

/** The certificate as JSON, or as the PEM file itself for `Accept: application/x-pem-file`. */
function sendCertificate (request: FastifyRequest, reply: FastifyReply, cert: StagedCertificate) {
  if (request.headers.accept?.includes(PEM) === true) {
    return reply.type(PEM)
      .header('content-disposition', `attachment; filename="depgate-${cert.server}.pem"`)
      .serializer(String).send(cert.certificate_pem)
  }
  return reply.send(cert)
}

const FORMATS = 'Answers PEM for `Accept: application/x-pem-file`, JSON otherwise.'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  // A read: it never makes or changes a key pair (HEAD too), so a script may call it as often as it likes.
  fastify.get('/', defineRoute({
    scope: 'admin',
    audit: 'server.certificate.read',
    produces: ['application/json', 'application/x-pem-file'],
    operationId: 'getCertificate',
    tag: 'servers',
    summary: 'Get the staged certificate to upload to Apple',
    description: `Returns the certificate of the key pair staged for this server by POST …/certificate, to upload to Apple Business Manager or Apple School Manager (Preferences > Your MDM Servers > the server > Upload Public Key). Never creates a key pair: with none staged (none made yet, or the staged pair was already used by an uploaded token), 404 \`NO_STAGED_CERTIFICATE\`. ${FORMATS}`,
    schema: {
      params: serverParamsSchema,
      response: { 200: certificateSchema, ...problemResponses(404) }
    }
  }), async (request, reply) => {
    const { server } = request.params
    const cert = await fastify.depServers.stagedCertificate(server)
    if (cert === undefined) {
      throw httpProblem(404, 'NO_STAGED_CERTIFICATE', `Server "${server}" has no staged key pair. Make one with POST /v1/servers/${server}/certificate, then upload its certificate to Apple Business or School Manager.`)
    }
    return sendCertificate(request, reply, cert)
  })

  fastify.post('/', defineRoute({
    scope: 'admin',
    audit: 'server.certificate.create',
    produces: ['application/json', 'application/x-pem-file'],
    operationId: 'createCertificate',
    sends: ['Location'],
    tag: 'servers',
    summary: 'Make a key pair and get its certificate for Apple',
    description: `Creates an RSA key pair with a self-signed certificate and stages it for this server (which need not exist yet), then answers 201 with the certificate to upload to Apple Business Manager or Apple School Manager. The private key stays in depgate, sealed. The current key pair keeps working until a token encrypted to the new one is uploaded with PUT …/token, so an abandoned renewal breaks nothing. While a key pair is already staged the answer is 409 \`CERTIFICATE_ALREADY_STAGED\` (a certificate already uploaded to Apple would stop matching); \`replace=true\` makes a new one anyway. ${FORMATS}`,
    schema: {
      params: serverParamsSchema,
      querystring: z.object({
        replace: queryFlag(false)
          .describe('Replace a key pair that is already staged (its certificate stops working for new tokens)')
      }),
      response: { 201: certificateSchema, ...problemResponses(409) }
    }
  }), async (request, reply) => {
    const { server } = request.params
    if (!request.query.replace && await fastify.depServers.stagedCertificate(server) !== undefined) {
      throw httpProblem(409, 'CERTIFICATE_ALREADY_STAGED', `Server "${server}" already has a staged key pair: GET /v1/servers/${server}/certificate returns its certificate. Add ?replace=true to make a new one (the staged certificate then stops matching what Apple will encrypt to).`)
    }
    const cert = await fastify.depServers.stageCertificate(server, fastify.auditRow(request, { action: 'server.certificate.create', server, target: null, detail: request.query.replace ? 'key pair staged, replacing one' : 'key pair staged' }))
    request.audited = true
    reply.code(201).header('location', `/v1/servers/${encodeURIComponent(server)}/certificate`)
    return sendCertificate(request, reply, cert)
  })
}

export default plugin
