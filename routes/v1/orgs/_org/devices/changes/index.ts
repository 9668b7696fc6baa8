import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { problemResponses } from '../../../../../../src/problems.js'
import { defineRoute } from '../../../../../../src/api/route-kit.js'
import { MAX_PAGE } from '../../../../../../src/api/mirror.js'
import { orgChangesQuerySchema, orgChangesSchema, orgParamsSchema } from '../../../../../../src/api/org-schemas.js'
import { readOrgChanges } from '../../../../../../src/api/org-changes.js'

const DESCRIPTION = `The org mirror's change feed: what each refresh of the organisation's device list found changed, after sequence number \`since\`, oldest first: \`{ source: "mirror", changes: [{ seq, op, serial_number, at, device }], count, next_since, last_seq, more }\`, the shape of the DEP mirror's feed (\`GET /v1/servers/{server}/devices/changes\`).

\`op\` is \`added\` (the device appeared in the organisation, or came back), \`modified\` (an attribute or its MDM server changed) or \`removed\` (a completed refresh no longer saw it); \`device\` is \`{ serial_number, mdm_server, attributes }\` after the change (for \`removed\`, as last seen). Start with \`since=0\` (every change the feed holds) or with the \`last_seq\` of \`GET /v1/orgs/{org}/devices\`, then pass the \`next_since\` of each answer: nothing is repeated or skipped. \`limit\` (1 to ${MAX_PAGE}, default ${MAX_PAGE}) bounds an answer; \`more: true\` says call again at once. Apple's organisation API has no change cursor, so the mirror finds changes by reading the whole list every \`DEPGATE_ORG_SYNC_INTERVAL\`: a change shows here after the refresh that saw it.

A \`since\` this feed cannot answer in full is refused with 409 \`SINCE_AHEAD\`: one beyond the feed's \`last_seq\`, or one from before the org was deleted and added again under the same name (the new feed's numbers go on above the old one's, so an old \`since\` is never answered with part of the new feed). Drop what you kept and start again from 0.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    problems: ['ORG_NOT_FOUND', 'SINCE_AHEAD'],
    operationId: 'listOrgChanges',
    tag: 'orgs',
    summary: 'The org mirror\'s change feed',
    description: DESCRIPTION,
    schema: {
      params: orgParamsSchema,
      querystring: orgChangesQuerySchema,
      response: { 200: orgChangesSchema, ...problemResponses(404, 409) }
    }
  }), async (request, reply) => {
    const { org } = request.params
    const { since, limit } = request.query
    // Text built from the stored records (mirror-stream.ts), not an object to serialize.
    const raw: FastifyReply = reply
    return raw.type('application/json; charset=utf-8').send(await readOrgChanges(fastify, org, since, limit ?? MAX_PAGE))
  })
}

export default plugin
