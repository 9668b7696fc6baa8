import { AXM_SIM_ENDPOINTS } from './axm/state.js'
import { ENDPOINT_NAMES } from './endpoints.js'
import { FAULT_KINDS } from './faults.js'

/** What `GET /_sim` answers: the control API, described for humans and scripts. */
export const CONTROL_DOCS = {
  description: 'depgate DEP and AxM simulator control API. JSON in and out, no authentication: bind the simulator to loopback.',
  endpoints: [...ENDPOINT_NAMES, ...AXM_SIM_ENDPOINTS],
  faultKinds: FAULT_KINDS,
  routes: [
    { method: 'GET', path: '/_sim', description: 'this listing' },
    { method: 'GET', path: '/_sim/devices', description: 'every device currently assigned to the server, all fields (the truth)', response: '{ devices: Device[] }' },
    { method: 'POST', path: '/_sim/devices', body: '{ count?: number, devices?: Partial<Device>[] }', description: 'add generated devices (count) and/or given ones (missing fields generated); they appear in sync as "added"', response: '{ devices: Device[] }' },
    { method: 'GET', path: '/_sim/devices/:serial', description: 'one device', response: '{ device: Device }' },
    { method: 'PATCH', path: '/_sim/devices/:serial', body: '{ ...fields }', description: 'change fields (null removes one); sync shows "modified"', response: '{ device: Device }' },
    { method: 'DELETE', path: '/_sim/devices/:serial', body: '{ released_by_replacement?: boolean }', description: 'unassign the device; sync shows "deleted"', response: '{ deleted: serial }' },
    { method: 'GET', path: '/_sim/profiles', description: 'every defined profile', response: '{ profiles: Profile[] }' },
    { method: 'GET', path: '/_sim/faults', description: 'scripted faults still pending', response: '{ faults: Fault[] }' },
    {
      method: 'POST',
      path: '/_sim/faults',
      body: '{ endpoint: DepEndpoint | "*", kind, times?: number (default 1, 0 = until cleared), share?: number (0 < share <= 1, default every call), ms?, status?, code?, retryAfter?, count? }',
      description: 'share: the fault fires on that share of the calls it could apply to, drawn at random per call from a fixed-seed PRNG (calls it skips do not count against times; the next fault of the same kind gets its chance); latency {ms}: delay the answer; status {status, code?, retryAfter?}: answer that status with that code (and a Retry-After header); drop: close the connection without answering; truncate: send the first half of a successful body; same_cursor: fetch/sync answer with the cursor sent and more_to_follow true; content_type: a successful status with a text/html body; throttle {count?, retryAfter?}: assign_profile answers THROTTLED for the next count serials (default all) with retry_after_seconds (retryAfter 0: without it; the same for the config\'s throttleRetryAfterSec)',
      response: '{ id: number }'
    },
    { method: 'DELETE', path: '/_sim/faults', description: 'clear every fault', response: '{ cleared: number }' },
    { method: 'DELETE', path: '/_sim/faults/:id', description: 'clear one fault', response: '{ cleared: number }' },
    { method: 'POST', path: '/_sim/sessions/expire', description: 'every issued session expires now (next API call: 401 UNAUTHORIZED)', response: '{ expired: number }' },
    { method: 'GET', path: '/_sim/clock', description: 'the simulator clock', response: '{ now: ISO-8601 }' },
    { method: 'POST', path: '/_sim/clock', body: '{ advanceMs: number }', description: 'move the DEP clock forward (session TTL, 7-day cursor expiry); the OAuth timestamp window stays on the wall clock', response: '{ now: ISO-8601 }' },
    { method: 'GET', path: '/_sim/stats', description: 'requests per DEP endpoint, those of them the client abandoned (closed the connection before the answer was complete), sessions issued by /session, sessions handed out by rotation', response: '{ requests: Record<DepEndpoint, number>, abandoned: Record<DepEndpoint, number>, sessionsIssued: number, sessionsRotated: number }' },
    { method: 'POST', path: '/_sim/stats/reset', description: 'zero the stats', response: 'stats' },
    { method: 'GET', path: '/_sim/config', description: 'runtime configuration', response: 'SimulatorConfig' },
    { method: 'PATCH', path: '/_sim/config', body: 'Partial<SimulatorConfig>: rotateSessions, quoteErrors, termsSigned, accessDenied, adeSupported, betaAccess, activationLockSupported, sessionTtlMs, timestampWindowSec, userAgentDenyList, failSerials, throttleSerials, throttleRetryAfterSec, defaultLimit, maxLimit, invalidLimit, replacementNotFoundStatus, orgType, axmTokenTtlSec, axmAssertionSkewSec, axmRequireIss, axmActivityMs, axmConsistencyLagMs, axmUnassignedLinkage, axmFailSerials, axmRateLimit, axmGetPerMinute, axmPostPerHour', description: 'change runtime behaviour', response: 'SimulatorConfig' },
    { method: 'POST', path: '/_sim/axm/keys', body: '{ scope?: "business" | "school", form?: "apple" | "sec1" | "pkcs8" }', description: 'generate a P-256 key pair and register an AxM API account for it (tests and the demo; "apple" is the SEC1 header around a PKCS#8 body)', response: '{ clientId, keyId, privateKey, publicKey }' },
    { method: 'POST', path: '/_sim/axm/accounts', body: '{ clientId, keyId, publicKey }', description: 'register an AxM API account with its public key (PEM)', response: '{ clientId, keyId }' },
    { method: 'GET', path: '/_sim/axm/devices', description: 'every device of the organisation and its MDM server id (null: unassigned)', response: '{ devices: { serialNumber, mdmServer }[] }' },
    { method: 'POST', path: '/_sim/axm/devices', body: '{ count: number }', description: 'add generated organisation devices, not on the DEP server', response: '{ devices: { serialNumber, mdmServer }[] }' },
    { method: 'DELETE', path: '/_sim/axm/devices/:serial', description: 'release the device from the organisation (it leaves the org lists, and the DEP server if it was there: sync shows "deleted")', response: '{ released: serial }' },
    { method: 'GET', path: '/_sim/axm/servers', description: 'the organisation\'s MDM servers and which one is the DEP server', response: '{ depServerId, servers }' },
    { method: 'POST', path: '/_sim/axm/tokens/expire', description: 'every issued AxM access token expires now (next API call: 401)', response: '{ expired: number }' },
    { method: 'GET', path: '/_sim/axm/stats', description: 'requests per AxM endpoint and tokens issued', response: '{ requests, tokensIssued }' },
    { method: 'POST', path: '/_sim/axm/stats/reset', description: 'zero the AxM stats', response: 'stats' }
  ]
}
