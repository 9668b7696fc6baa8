import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { deleteNamedProfile, enrollmentProfileParamsSchema, enrollmentProfileSchema, getNamedProfile, namedProfileDefinitionSchema, putNamedProfile } from '../../../../../../src/api/enrollment-profiles.js'
import { defineRoute, errorResponses } from '../../../../../../src/api/route-kit.js'
import { problemResponses } from '../../../../../../src/problems.js'

const PUT_DESCRIPTION = `Stores an enrollment profile under a name (1 to 64 of \`A-Z a-z 0-9 . _ -\`). The body is a profile with Apple's field names, checked against Apple's rules before anything is sent: a violation answers 400 with Apple's own code and the field, as \`POST …/profiles\` does.

depgate defines the profile at Apple only when its content changed (the SHA-256 of its canonical JSON: key order and layout do not count), and keeps every UUID the name was given. Answers 201 when the name is new, 200 otherwise: with the same UUID when nothing changed (nothing is sent to Apple), with a new one when the content changed (Apple's profiles cannot be edited; devices on the older UUID keep it until they are assigned the new one).`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.put('/', defineRoute({
    scope: 'write',
    audit: 'enrollment_profile.put',
    operationId: 'putEnrollmentProfile',
    sends: ['Location'],
    tag: 'enrollment',
    summary: 'Create or change a named enrollment profile',
    description: PUT_DESCRIPTION,
    schema: {
      params: enrollmentProfileParamsSchema,
      body: namedProfileDefinitionSchema,
      response: { 200: enrollmentProfileSchema, 201: enrollmentProfileSchema, ...errorResponses(413, 415) }
    }
  }), async (request, reply) => {
    const { server, name } = request.params
    const { created, answer } = await putNamedProfile(fastify, request, server, name, request.body)
    if (created) reply.code(201).header('location', `/v1/servers/${server}/enrollment-profiles/${name}`)
    return answer
  })

  fastify.get('/', defineRoute({
    scope: 'read',
    operationId: 'getEnrollmentProfile',
    tag: 'enrollment',
    summary: 'Get a named enrollment profile',
    description: 'A named enrollment profile: its definition, its current UUID at Apple and every UUID the name was given. An unknown name answers 404 `ENROLLMENT_PROFILE_NOT_FOUND`.',
    schema: {
      params: enrollmentProfileParamsSchema,
      response: { 200: enrollmentProfileSchema, ...problemResponses(404) }
    }
  }), async (request) => await getNamedProfile(fastify, request.params.server, request.params.name))

  fastify.delete('/', defineRoute({
    scope: 'write',
    audit: 'enrollment_profile.delete',
    operationId: 'deleteEnrollmentProfile',
    tag: 'enrollment',
    summary: 'Delete a named enrollment profile',
    description: 'Forgets the name and its history at depgate (Apple keeps its profiles; devices keep theirs). Refused with 409 `ENROLLMENT_PROFILE_IN_USE` while an assignment rule names it; an unknown name answers 404 `ENROLLMENT_PROFILE_NOT_FOUND`.',
    schema: {
      params: enrollmentProfileParamsSchema,
      response: { 204: z.null().describe('Deleted'), ...problemResponses(404, 409) }
    }
  }), async (request, reply) => {
    await deleteNamedProfile(fastify, request, request.params.server, request.params.name)
    return await reply.code(204).send(null)
  })
}

export default plugin
