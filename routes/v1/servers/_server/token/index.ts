/**
 * PUT /v1/servers/{server}/token: the `.p7m` downloaded from Apple Business/School Manager, as a
 * raw body (`curl --data-binary @token.p7m -H 'Content-Type: application/pkcs7-mime'`) or a form
 * upload (`curl -F token=@token.p7m`). The size limit is enforced while reading, so an oversized
 * upload is refused as P7M_TOO_LARGE before it is buffered.
 */
import multipart from '@fastify/multipart'
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import type { FastifyRequest } from 'fastify'
import { HttpProblem, httpProblem, problemResponses } from '../../../../../src/problems.js'
import { tokenUploadQuerySchema, tokenUploadResultSchema } from '../../schemas.js'
import { RAW_TOKEN_TYPES, tokenUploadBodySchema } from './upload-body.js'
import { tooLarge, uploadProblem } from './upload-errors.js'
import { defineRoute, serverParamsSchema } from '../../../../../src/api/route-kit.js'
import { serverPath } from '../../../../../src/api/server-info.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  const maxBytes = fastify.config.tokenMaxBytes

  fastify.addContentTypeParser(RAW_TOKEN_TYPES, (request, payload, done) => {
    const chunks: Buffer[] = []
    let size = 0
    let failed = false
    payload.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes && !failed) {
        failed = true
        payload.removeAllListeners('data')
        payload.resume() // drain the rest so the refusal can be sent on a healthy connection
        done(tooLarge(maxBytes), undefined)
        return
      }
      if (!failed) chunks.push(chunk)
    })
    payload.on('end', () => { if (!failed) done(null, Buffer.concat(chunks)) })
    payload.on('error', (err) => { if (!failed) done(err, undefined) })
  })
  await fastify.register(multipart, { limits: { fileSize: maxBytes, fieldSize: maxBytes, files: 4, fields: 8, parts: 12 } })

  fastify.put('/', defineRoute({
    scope: 'admin',
    problems: ['INVALID_FORM', 'P7M_MISSING', 'P7M_NOT_SMIME', 'P7M_CORRUPT', 'P7M_TOO_LARGE', 'P7M_WRONG_KEY', 'P7M_UNSUPPORTED_CIPHER', 'KEY_INVALID', 'TOKEN_INVALID', 'NO_KEY_PAIR', 'CONSUMER_KEY_MISMATCH', 'TOKEN_EXPIRED', 'TOKEN_VERIFY_FAILED', 'TOKEN_VERIFY_UNAVAILABLE', 'UNSUPPORTED_MEDIA_TYPE', 'BODY_TOO_LARGE'],
    audit: 'server.token',
    sends: ['Location'],
    operationId: 'importToken',
    tag: 'servers',
    summary: 'Upload the server token (.p7m) from Apple',
    description: 'Takes the `.p7m` token file downloaded from Apple Business/School Manager, as the raw body (Content-Type `application/pkcs7-mime`, `application/octet-stream` or `text/plain`) or as `multipart/form-data` (field `token`, else the first file). depgate decrypts it with the server\'s staged key pair (POST …/certificate) or its current one, checks the token, tries it with Apple\'s /session and /account (skip with `verify=false`), then stores it, sealed; a staged key pair that opened it becomes the current one. A token of a different Apple MDM server (another consumer key) is refused with 409 unless `force=true`. On any refusal nothing is stored. Answers 201 when the upload created the server (Location: the server), 200 when it replaced its token.',
    schema: {
      params: serverParamsSchema,
      querystring: tokenUploadQuerySchema,
      body: tokenUploadBodySchema,
      response: { 200: tokenUploadResultSchema, 201: tokenUploadResultSchema, ...problemResponses(409, 413, 415, 422, 502) }
    }
  }), async (request, reply) => {
    const p7m = await readUpload(request, maxBytes)
    const { force, verify, base_url: baseUrl } = request.query
    try {
      const { server } = request.params
      const audit = (made: boolean) => fastify.auditRow(request, { action: 'server.token', server, target: null, detail: made ? 'created' : 'replaced' })
      const result = await fastify.depServers.importP7m(server, p7m, { force, verify, audit, baseUrl })
      request.audited = true
      // 201: the upload created the server, which GET …/{server} now shows.
      if (result.created) reply.header('location', serverPath(server))
      return await reply.code(result.created ? 201 : 200).send(result)
    } catch (err) {
      throw uploadProblem(err) ?? err
    }
  })
}

async function readUpload (request: FastifyRequest, maxBytes: number): Promise<Buffer> {
  if (!request.isMultipart()) {
    const body = request.body
    if (!Buffer.isBuffer(body)) {
      throw httpProblem(415, 'UNSUPPORTED_MEDIA_TYPE', `Send the .p7m as the raw body (Content-Type ${RAW_TOKEN_TYPES.join(', ')}) or as multipart/form-data with a field "token".`)
    }
    return body
  }
  let chosen: Buffer | undefined
  let chosenIsToken = false
  try {
    for await (const part of request.parts()) {
      const isToken = part.fieldname === 'token'
      if (part.type === 'field' && part.valueTruncated) throw tooLarge(maxBytes)
      const value = part.type === 'file' ? await part.toBuffer() : Buffer.from(String(part.value))
      // The `token` field wins; otherwise the first file. Remaining parts are read (and dropped) so the stream ends cleanly.
      if ((isToken && !chosenIsToken) || (chosen === undefined && part.type === 'file')) {
        chosen = value
        chosenIsToken = isToken
      }
    }
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT' || code === 'FST_FILES_LIMIT') throw tooLarge(maxBytes)
    if (err instanceof HttpProblem) throw err
    // Busboy's messages name the defect in the form ("Unexpected end of form"), never its content.
    throw httpProblem(400, 'INVALID_FORM', `The multipart form cannot be read: ${(err as Error).message}.`)
  }
  if (chosen === undefined) throw httpProblem(400, 'P7M_MISSING', 'The form has no file: send the .p7m in a field named "token".')
  return chosen
}

export default plugin
