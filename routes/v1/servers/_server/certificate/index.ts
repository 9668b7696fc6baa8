import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { httpProblem, problemResponses } from '../../../../../src/problems.js'
import { certificateSchema } from '../../schemas.js'
import { defineRoute, serverParamsSchema } from '../../../../../src/api/route-kit.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'admin',
    audit: 'server.certificate',
    tag: 'servers',
    summary: 'Make a key pair and get its certificate for Apple',
    description: 'Creates an RSA key pair with a self-signed certificate and stages it for this server (which need not exist yet), then returns the certificate to upload to Apple Business Manager or Apple School Manager (Preferences > Your MDM Servers > the server > Upload Public Key). The current key pair keeps working until a token encrypted to the new one is uploaded with PUT …/token, so an abandoned renewal breaks nothing. Each call stages a fresh pair; `?existing=true` returns the staged (else current) certificate instead. Answers PEM for `Accept: application/x-pem-file`, JSON otherwise.',
    schema: {
      params: serverParamsSchema,
      querystring: z.object({
        existing: z.enum(['true', 'false']).default('false').transform((v) => v === 'true')
          .describe('Return the already staged (else current) certificate instead of making a new pair')
      }),
      response: { 200: certificateSchema, ...problemResponses(404) }
    }
  }), async (request, reply) => {
    const { server } = request.params
    const cert = request.query.existing
      ? await fastify.depServers.currentCertificate(server)
      : await fastify.depServers.stageCertificate(server)
    if (cert === undefined) {
      throw httpProblem(404, 'NO_KEY_PAIR', `Server "${server}" has no key pair yet. GET this URL without ?existing=true to make one.`)
    }
    if (request.headers.accept?.includes('application/x-pem-file') === true) {
      return reply.type('application/x-pem-file')
        .header('content-disposition', `attachment; filename="depgate-${server}.pem"`)
        .serializer(String).send(cert.certificate_pem as unknown as typeof cert)
    }
    return cert
  })
}

export default plugin
