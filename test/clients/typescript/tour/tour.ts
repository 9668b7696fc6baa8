/**
 * A small program written against the TypeScript client the way a dashboard would: type-checked
 * under strict options by tour.test.ts (tsconfig.json beside it), then run against a real depgate.
 */
import { changePages, createDepgateClient, devicePages, header, type ResponseObject, unwrap } from '../../../../clients/typescript/index.js'

export interface TourResult {
  servers: string[]
  serials: string[]
  lastSeq: number
  notFound: { status: number, code: string }
  summaryTotal: number
  changes: number
  assigned: Record<string, string>
  removed: Record<string, string>
  throttled: { status: number, code: string, retryAfter: string | undefined }
}

export async function tour (baseUrl: string, apiKey: string): Promise<TourResult> {
  const client = createDepgateClient({ baseUrl, apiKey })
  const server = { path: { server: 'default' } }

  const { servers } = unwrap(await client.GET('/v1/servers'))

  // Every device, a page of 7 at a time; `last_seq` is where the change feed goes on.
  const serials: string[] = []
  let lastSeq = 0
  for await (const page of devicePages(client, 'default', { pageSize: 7 })) {
    serials.push(...page.devices.map((d) => d.serial_number))
    if (page.source === 'mirror') lastSeq = page.last_seq
  }

  // A serial nobody has: the error is the typed problem, with its code.
  const missing = await client.GET('/v1/servers/{server}/devices/{serial}', { params: { path: { server: 'default', serial: 'ZZZZ0000ZZZZ' } } })
  const notFound = { status: missing.response.status, code: missing.error?.code ?? 'none' }

  const summary = unwrap(await client.GET('/v1/servers/{server}/devices/summary', { params: server }))

  let changes = 0
  for await (const page of changePages(client, 'default', { since: 0, limit: 5 })) changes += page.changes.length

  // noUncheckedIndexedAccess: the first serial may not exist.
  const first = serials[0]
  if (first === undefined) throw new Error('no device to assign')
  const profile = unwrap(await client.POST('/v1/servers/{server}/profiles', {
    params: server,
    body: { profile_name: 'Client tour', url: 'https://mdm.example.com/enroll' }
  }))
  const assigned = unwrap(await client.PUT('/v1/servers/{server}/profiles/{uuid}/devices', {
    params: { path: { server: 'default', uuid: profile.profile_uuid } },
    body: { serials: [first] }
  }))
  // One serial, no Prefer: respond-async: Apple's answer at once (200), not a job (202).
  if (!('devices' in assigned)) throw new Error(`the assignment became job ${assigned.id}`)
  const removed = unwrap(await client.DELETE('/v1/servers/{server}/devices/profile', { params: server, body: { serials: [first] } }))

  // A full fetch just ran: another one so soon is refused with 429 and a Retry-After longer than
  // the client waits for, so the refusal is the answer.
  const sync = await client.POST('/v1/servers/{server}/sync', { params: { ...server, query: { full: true } } })
  const throttled = {
    status: sync.response.status,
    code: sync.error?.code ?? 'none',
    // A header this 429 does not document would not compile.
    retryAfter: header<ResponseObject<'/v1/servers/{server}/sync', 'post', 429>>(sync.response, 'Retry-After')
  }

  return {
    servers: servers.map((s) => s.name),
    serials,
    lastSeq,
    notFound,
    summaryTotal: summary.total,
    changes,
    assigned: assigned.devices,
    removed: removed.devices,
    throttled
  }
}
