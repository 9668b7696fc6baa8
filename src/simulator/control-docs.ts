import { ENDPOINT_NAMES } from './endpoints.js'
import { FAULT_KINDS } from './faults.js'

/** What `GET /_sim` answers: the control API, described for humans and scripts. */
export const CONTROL_DOCS = {
  description: 'depgate DEP simulator control API. JSON in and out, no authentication: bind the simulator to loopback.',
  endpoints: ENDPOINT_NAMES,
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
    { method: 'PATCH', path: '/_sim/config', body: 'Partial<SimulatorConfig>: rotateSessions, quoteErrors, termsSigned, accessDenied, adeSupported, betaAccess, activationLockSupported, sessionTtlMs, timestampWindowSec, userAgentDenyList, failSerials, throttleSerials, throttleRetryAfterSec, defaultLimit, maxLimit, invalidLimit, replacementNotFoundStatus, orgType', description: 'change runtime behaviour', response: 'SimulatorConfig' }
  ]
}
