/**
 * Every `code` a depgate problem can carry, with the statuses it is answered with and one example
 * detail. `httpProblem` takes only these keys, so a raise site cannot use a code this catalog
 * lacks, and the OpenAPI document lists exactly these (the Problem schema's `code` enum, and per
 * operation the codes it can answer: src/api/problem-docs.ts). A test scans src/, routes/ and
 * plugins/ for codes raised there and fails on one missing here, or on one here raised nowhere.
 */

export interface ProblemCodeInfo {
  /** The HTTP statuses this code is answered with (a few have two: Apple's 429 and 503). */
  statuses: readonly number[]
  /** When it is answered, for the README's table. */
  summary: string
  /** One detail sentence as the raise site builds it, for the document's examples. */
  example: string
  /** Apple's own code, passed through from Apple's answer (docs/apple-dep.md §2.16). */
  apple?: true
  /** Answered to nobody (the caller hung up): the code names the outcome in the audit log and metrics only. */
  unseen?: true
  /** Answered before any route is found (src/server.ts), without the headers a route's answers carry: in the enum, under no operation. */
  unrouted?: true
}

/** Apple rejects a profile field with these codes; depgate checks the same rules before sending (src/dep/profile-rules.ts). */
const profileRule = (field: string): ProblemCodeInfo => ({
  statuses: [400],
  summary: `The profile's ${field} breaks Apple's rules (checked before sending, or Apple's own refusal).`,
  example: `The profile breaks Apple's rules: ${field} must be a non-empty string of at most 125 characters.`,
  apple: true
})

const appleRefusal = (summary: string, code: string): ProblemCodeInfo => ({
  statuses: [400], summary, example: `Apple refused the request with ${code}.`, apple: true
})

const tokenFile = (status: number, what: string): ProblemCodeInfo => ({
  statuses: [status], summary: `The uploaded token file ${what}; nothing was stored.`, example: `The token file cannot be used: it ${what}. Nothing was stored.`
})

export const PROBLEM_CODES = {
  // Every route: the request itself, the database, depgate.
  BAD_REQUEST: { statuses: [400], summary: 'The request could not be understood (not valid HTTP, a body that does not match its Content-Length…).', example: 'The request could not be understood.' },
  BAD_URL: { statuses: [400], summary: 'The URL\'s percent-encoding is broken.', example: 'The URL is not valid: check its percent-encoding (%XX).', unrouted: true },
  REQUEST_TIMEOUT: { statuses: [408], summary: 'The request did not arrive in time (DEPGATE_REQUEST_TIMEOUT); answered before any route runs.', example: 'The request did not arrive in time.', unrouted: true },
  REQUEST_HEADER_FIELDS_TOO_LARGE: { statuses: [431], summary: 'The request line or headers are too large; answered before any route runs.', example: 'The request line or headers are too large.', unrouted: true },
  VALIDATION_FAILED: { statuses: [400], summary: 'A parameter or body field is invalid; `errors` lists each one.', example: 'querystring.limit: Too big: expected number to be <=1000' },
  UNKNOWN_PARAMETER: { statuses: [400], summary: 'A query parameter the route does not take (refused, never ignored).', example: 'unknown query parameter limt; did you mean limit?' },
  UNKNOWN_FIELD: { statuses: [400], summary: 'A body field the route does not take (refused, never ignored).', example: 'unknown field /profile_nmae in the request body; did you mean profile_name?' },
  MALFORMED_JSON: { statuses: [400], summary: 'The request body is not valid JSON.', example: 'The request body is not valid JSON.' },
  BODY_TOO_LARGE: { statuses: [413], summary: 'The request body is over DEPGATE_BODY_LIMIT.', example: 'The request body is larger than this server accepts (DEPGATE_BODY_LIMIT).' },
  UNSUPPORTED_MEDIA_TYPE: { statuses: [415], summary: 'The request body is not of a type the route reads.', example: 'Send the request body as application/json.' },
  NOT_ACCEPTABLE: { statuses: [406], summary: 'The Accept header allows none of the types the route answers with.', example: 'This route answers application/json only, and the request\'s Accept header allows none of them: accept one of them, or */*.' },
  NOT_FOUND: { statuses: [404], summary: 'No such route; or Apple answered that the thing named does not exist.', example: 'No route GET /v1/server. See /docs for the API.', apple: true },
  METHOD_NOT_ALLOWED: { statuses: [405], summary: 'The pass-through does not forward this method (the Allow header lists those it does).', example: 'The pass-through forwards GET, POST, PUT, DELETE only.' },
  INTERNAL: { statuses: [500], summary: 'depgate failed unexpectedly; the error is logged with the request id.', example: 'depgate failed unexpectedly. The error has been logged with this request id.' },
  DATABASE_UNAVAILABLE: { statuses: [503], summary: 'depgate\'s database is not answering; retry after Retry-After.', example: 'depgate\'s database is not answering right now; try again in a moment.' },
  SHUTTING_DOWN: { statuses: [503], summary: 'This depgate is shutting down; retry after Retry-After (another replica answers).', example: 'depgate is shutting down; try again in a moment (another replica, or this one once restarted, will answer).' },

  // API keys, scopes and rate limits.
  UNAUTHENTICATED: { statuses: [401], summary: 'No API key, or one that is unknown, revoked or malformed.', example: 'The API key is unknown, revoked or malformed.' },
  INSUFFICIENT_SCOPE: { statuses: [403], summary: 'The API key\'s scope is below what the route (or a parameter of it) needs.', example: 'This route needs a key with the "write" scope; this key has "read".' },
  TOO_MANY_AUTH_FAILURES: { statuses: [429], summary: 'Too many failed authentications from this address or for this key (DEPGATE_AUTH_FAILURE_LIMIT).', example: 'Too many failed authentications from this address or for this key (limit 20 in 60 s, DEPGATE_AUTH_FAILURE_LIMIT). Retry after 42 s with a valid key.' },
  RATE_LIMITED: { statuses: [429], summary: 'Over the per-key request rate (DEPGATE_RATE_LIMIT); retry after Retry-After.', example: 'Too many requests for this API key (limit 600 per minute). Retry after 12 s.' },

  // DEP servers, their tokens and certificates.
  SERVER_NOT_FOUND: { statuses: [404], summary: 'No DEP server of that name is configured.', example: 'No DEP server named "paris" is configured. GET /v1/servers lists them; an admin adds one with PUT /v1/servers/{server}.' },
  SECRET_BOX_WRONG_KEY: { statuses: [503], summary: 'The server\'s token is sealed with another secret key than this depgate\'s.', example: 'The token of DEP server "default" is sealed with another secret key (id k2) than this depgate\'s.' },
  INVALID_SERVER_TOKEN: { statuses: [400], summary: 'The decrypted server token sent is not one depgate can use.', example: 'The server token cannot be used: access_token_expiry is not a date.' },
  NO_STAGED_CERTIFICATE: { statuses: [404], summary: 'The server has no staged key pair to show or decrypt with.', example: 'Server "default" has no staged key pair. Make one with POST /v1/servers/default/certificate, then upload its certificate to Apple Business or School Manager.' },
  CERTIFICATE_ALREADY_STAGED: { statuses: [409], summary: 'A key pair is staged already; ?replace=true makes a new one.', example: 'Server "default" already has a staged key pair: GET /v1/servers/default/certificate returns its certificate.' },
  INVALID_FORM: { statuses: [400], summary: 'The multipart form of a token upload cannot be read.', example: 'The multipart form cannot be read: Unexpected end of form.' },
  P7M_MISSING: { statuses: [400], summary: 'The token upload form has no file.', example: 'The form has no file: send the .p7m in a field named "token".' },
  P7M_NOT_SMIME: tokenFile(400, 'is not an S/MIME (.p7m) file from Apple'),
  P7M_CORRUPT: tokenFile(400, 'is a damaged .p7m'),
  P7M_TOO_LARGE: { statuses: [413], summary: 'The uploaded token file is over DEPGATE_TOKEN_MAX_BYTES.', example: 'The token file is larger than 65536 bytes (DEPGATE_TOKEN_MAX_BYTES); Apple\'s token files are a few KiB. Nothing was stored.' },
  P7M_WRONG_KEY: tokenFile(422, 'was encrypted to another certificate than the staged one'),
  P7M_UNSUPPORTED_CIPHER: tokenFile(422, 'uses a cipher depgate does not read'),
  KEY_INVALID: tokenFile(422, 'cannot be decrypted with the staged key'),
  TOKEN_INVALID: tokenFile(422, 'does not hold a DEP server token'),
  NO_KEY_PAIR: { statuses: [409], summary: 'A .p7m was uploaded for a server with no staged key pair.', example: 'Server "default" has no staged key pair to decrypt the token with. Nothing was stored.' },
  CONSUMER_KEY_MISMATCH: { statuses: [409], summary: 'The token belongs to another MDM server than the one stored (force=true replaces it).', example: 'The token is for another MDM server than the one stored; add force=true to replace it. Nothing was stored.' },
  TOKEN_EXPIRED: { statuses: [422], summary: 'The uploaded token has expired already.', example: 'The token expired on 2026-01-01. Nothing was stored.' },
  TOKEN_VERIFY_FAILED: { statuses: [422], summary: 'Apple refused the uploaded token when depgate tried it (verify=false skips the check).', example: 'Apple refused the token (ACCESS_DENIED). Nothing was stored.' },
  TOKEN_VERIFY_UNAVAILABLE: { statuses: [502], summary: 'Apple could not be reached to try the uploaded token (verify=false skips the check).', example: 'Apple could not be reached to verify the token. Nothing was stored.' },

  // The device mirror and its change feed.
  ASSIGNMENTS_DISABLED: { statuses: [409], summary: 'The assignment engine is off (DEPGATE_ASSIGN=false, or no device mirror), so nothing would send what the request queues.', example: 'The assignment engine is off on this depgate (DEPGATE_ASSIGN=false, or DEPGATE_MIRROR=false), so the rules cannot be applied for server "default". Turn it on, or assign with PUT …/profiles/{uuid}/devices.' },
  INVENTORY_DISABLED: { statuses: [409], summary: 'depgate keeps no device mirror (DEPGATE_MIRROR=false), which the request needs.', example: 'depgate keeps no device mirror (DEPGATE_MIRROR=false), so this cannot be answered for server "default".' },
  INVENTORY_NOT_READY: { statuses: [503], summary: 'The mirror is still fetching every device from Apple; retry after Retry-After, or ask Apple (source=apple).', example: 'depgate is still fetching every device of server "default" from Apple for its mirror; try again in a moment.' },
  MIRROR_ONLY_PARAMETER: { statuses: [400], summary: 'A parameter that only works on the mirror was sent with source=apple.', example: 'sort only work on depgate\'s mirror, not with source=apple: leave source=apple out, or leave it out.' },
  MIRROR_BUSY: { statuses: [503], summary: 'Too many sorted whole-list reads at once; retry after Retry-After, or leave out sort.', example: '4 whole device lists sorted by something other than the serial are being read already, the most depgate serves at once.' },
  TOO_MANY_STREAMS: { statuses: [429], summary: 'The key has too many whole device lists open (DEPGATE_STREAMS_PER_KEY).', example: 'This API key already has 4 whole device lists open (limit 4, DEPGATE_STREAMS_PER_KEY): let one finish, or page with limit=, and retry.' },
  INVALID_PAGE_TOKEN: { statuses: [400], summary: 'The page_token is not one depgate gave out for these filters.', example: 'The page_token is not one depgate gave out for these filters. Pass the next_page_token of the previous page unchanged, with the same filters.' },
  SINCE_AHEAD: { statuses: [409], summary: 'since= is beyond the newest change: the mirror was rebuilt. Start again with since=0.', example: 'since=900 is beyond the newest change of server "default" (812): the mirror was rebuilt or belongs to another depgate.' },
  SINCE_EXPIRED: { statuses: [409], summary: 'since= is older than the compacted feed. Start again with since=0.', example: 'since=3 is too old for the change feed of server "default": changes up to 400 were compacted.' },
  SINCE_REQUIRED: { statuses: [400], summary: 'The change feed needs since= (limit and wait apply to it only).', example: 'limit and wait apply to the mirror\'s change feed: pass since= with them (since=0 for everything).' },
  CURSOR_OR_SINCE: { statuses: [400], summary: 'Both since= (the mirror\'s feed) and cursor= (Apple\'s changes) were sent.', example: 'Pass either since= (the mirror\'s change feed) or cursor= (Apple\'s changes since a cursor), not both.' },
  FULL_SYNC_TOO_SOON: { statuses: [429], summary: 'A full fetch started less than DEPGATE_FULL_SYNC_MIN_INTERVAL ago.', example: 'A full fetch of server "default" started less than DEPGATE_FULL_SYNC_MIN_INTERVAL ago; try again in 120 seconds.' },
  CLIENT_CLOSED_REQUEST: { statuses: [499], summary: 'The caller hung up before a device list from Apple was complete.', example: 'The caller closed the connection before the device list was complete.', unseen: true },

  // Devices, profiles and depgate's own records.
  DEVICE_NOT_FOUND: { statuses: [404], summary: 'No such device (in the mirror, or at Apple).', example: 'No device C02XK0AAJGH6 in the mirror of server "default".', apple: true },
  DEVICE_NOT_ACCESSIBLE: { statuses: [404], summary: 'Apple answered NOT_ACCESSIBLE: the device is not assigned to this MDM server.', example: 'Device C02XK0AAJGH6 is not assigned to this MDM server ("default") in Apple Business Manager or Apple School Manager, or the serial number is wrong.' },
  PROFILE_NOT_FOUND: { statuses: [404], summary: 'Apple knows no profile with that UUID for this MDM server.', example: 'Apple knows no profile 9A1B… for this MDM server ("default"). Check the UUID returned when the profile was defined.', apple: true },
  PROFILE_URL_INVALID: { statuses: [400], summary: 'A URL of the profile is not an absolute https: URL.', example: 'The profile cannot be sent: url must be an absolute https: URL.' },
  PROFILE_URL_NOT_HTTPS: { statuses: [400], summary: 'A URL of the profile is http: (allowed for a loopback simulator only).', example: 'The profile cannot be sent: url must be an https: URL: Apple\'s devices enroll over HTTPS only.' },
  URL_HAS_CREDENTIALS: { statuses: [400], summary: 'A URL of the profile carries a user name or password, which every enrolling device would see.', example: 'The profile cannot be sent: url must not carry a user name or password.' },
  INVALID_JSON: { statuses: [400], summary: 'A guarded pass-through call needs a JSON object body, as Apple does.', example: '/profile needs a JSON object body, as Apple does; depgate checks it before anything is sent.' },
  DISOWN_DISABLED: { statuses: [403], summary: 'Disowning is turned off (DEPGATE_ALLOW_DISOWN).', example: 'Disowning devices is turned off on this depgate. An operator can enable it with DEPGATE_ALLOW_DISOWN=true; it cannot be undone.' },
  DISOWN_CONFIRMATION_MISMATCH: { statuses: [400], summary: 'The disown confirmation field does not say exactly what is disowned.', example: 'To disown these 2 serial(s) from "default", set confirm to exactly "disown 2 from default". Nothing was disowned.' },
  PASSTHROUGH_PATH_REFUSED: { statuses: [400], summary: 'The pass-through path is not one depgate forwards.', example: '/session is depgate\'s to call: the pass-through does not forward it.' },
  KEY_NOT_FOUND: { statuses: [404], summary: 'No API key with that id (to revoke: no active one).', example: 'No active API key with id 42.' },
  AUDIT_ENTRY_NOT_FOUND: { statuses: [404], summary: 'No audit entry with that id.', example: 'No audit entry with id 42.' },
  WEBHOOK_NOT_FOUND: { statuses: [404], summary: 'No webhook subscription with that id.', example: 'No webhook subscription with id 0a1b2c3d4e5f. GET /v1/webhooks lists them.' },
  WEBHOOK_URL_REFUSED: { statuses: [400], summary: 'The webhook URL is not an http(s) URL, carries a password, or its host is not in DEPGATE_WEBHOOK_ALLOW.', example: 'The webhook cannot be saved: url\'s host example.org is not in DEPGATE_WEBHOOK_ALLOW (the hosts this depgate may send webhooks to).' },
  DELIVERY_NOT_FOUND: { statuses: [404], summary: 'The webhook subscription has no delivery with that id.', example: 'Webhook 0a1b2c3d4e5f has no delivery 42.' },

  // Named enrollment profiles and assignment rules.
  ENROLLMENT_PROFILE_NOT_FOUND: { statuses: [404], summary: 'The server has no enrollment profile of that name.', example: 'Server "default" has no enrollment profile named "staff-macs". GET /v1/servers/default/enrollment-profiles lists them.' },
  ENROLLMENT_PROFILE_IN_USE: { statuses: [409], summary: 'An assignment rule names the enrollment profile; change the rules first.', example: 'The enrollment profile "staff-macs" is named by the assignment rule(s) "laptops"; change those rules first (PUT /v1/servers/default/assignment-rules). Nothing was deleted.' },
  DUPLICATE_RULE_NAME: { statuses: [400], summary: 'Two assignment rules have the same name.', example: 'Rule 2 has the name "laptops" of an earlier rule; each rule needs a name of its own.' },
  UNKNOWN_ENROLLMENT_PROFILE: { statuses: [400], summary: 'An assignment rule names an enrollment profile the server does not have.', example: 'Rule 0 names the enrollment profile "staff-macs", which server "default" does not have.' },
  IF_MATCH_REQUIRED: { statuses: [428], summary: 'Replacing existing assignment rules needs If-Match with the ETag of the list read.', example: 'Server "default" has assignment rules: send If-Match with the ETag of the list you changed (GET /v1/servers/default/assignment-rules answers it).' },
  RULES_CHANGED: { statuses: [412], summary: 'The assignment rules changed since the ETag in If-Match was read: read them again.', example: 'The assignment rules of server "default" changed since you read them. GET them again, redo your change and PUT it with the new ETag. Nothing was changed.' },

  // Jobs (long work with progress).
  JOB_NOT_FOUND: { statuses: [404], summary: 'No job with that id (finished jobs are kept DEPGATE_JOB_RETENTION_DAYS).', example: 'No job with id 3f1c2b9e-8a4d-4c1e-9b7a-2d5e6f708192. Finished jobs are kept 30 days (DEPGATE_JOB_RETENTION_DAYS); GET /v1/jobs lists those there are.' },
  JOB_FINISHED: { statuses: [409], summary: 'The job has already finished: there is nothing to cancel.', example: 'Job 3f1c2b9e-8a4d-4c1e-9b7a-2d5e6f708192 has already finished (succeeded); there is nothing to cancel.' },

  // Apple: its account state, its failures, and its own codes passed through.
  SERVER_TOKEN_EXPIRED: { statuses: [409], summary: 'The DEP server token has expired: download a new one from Apple Business Manager.', example: 'The DEP server token has expired. Download a new server token from Apple Business Manager (or Apple School Manager) and upload it with PUT /v1/servers/{server}.' },
  T_C_NOT_SIGNED: { statuses: [403], summary: 'The latest terms and conditions have not been accepted in Apple Business Manager.', example: 'Apple refused the request because the latest terms and conditions have not been accepted.', apple: true },
  ACCESS_DENIED: { statuses: [403], summary: 'Apple denied access with this server token.', example: 'Apple denied access with this server token. Check that the MDM server still exists in Apple Business Manager (or Apple School Manager) and that its token is current.', apple: true },
  OAUTH_REJECTED: { statuses: [502], summary: 'Apple rejected depgate\'s authentication: the server token may be revoked or replaced.', example: 'Apple rejected depgate\'s authentication (OAUTH_REJECTED). The server token may have been revoked or replaced: download a new one from Apple Business Manager and upload it.' },
  UNAUTHORIZED: { statuses: [502], summary: 'Apple kept refusing depgate\'s session after a new authentication.', example: 'Apple rejected depgate\'s authentication (UNAUTHORIZED). The server token may have been revoked or replaced.', apple: true },
  EXPIRED_CURSOR: { statuses: [409], summary: 'Apple no longer accepts the cursor (older than 7 days): start over.', example: 'Apple no longer accepts this cursor: it is older than 7 days. Start over with GET /v1/servers/default/devices and use the cursor it returns.', apple: true },
  INVALID_CURSOR: { statuses: [409], summary: 'Apple does not recognise the cursor (or refused it for another reason): start over.', example: 'Apple does not recognise this cursor. Start over with GET /v1/servers/default/devices and use the cursor it returns.', apple: true },
  EXHAUSTED_CURSOR: { statuses: [409], summary: 'Apple says the cursor has returned everything it will: start over.', example: 'Apple says this cursor has already returned everything it will. Start over with GET /v1/servers/default/devices and use the cursor it returns.', apple: true },
  CURSOR_REQUIRED: { statuses: [400, 409], summary: 'Apple\'s changes need a cursor (400: none was sent; 409: Apple asked for one).', example: 'Pass ?cursor= with the cursor returned by GET /v1/servers/default/devices (or by the previous call here).', apple: true },
  PAGE_LIMIT: { statuses: [409], summary: 'More pages remain than depgate drains in one answer: resume from the last cursor.', example: 'Apple refused the cursor (PAGE_LIMIT). Start over with GET /v1/servers/default/devices and use the cursor it returns.' },
  SAME_CURSOR: { statuses: [502], summary: 'Apple kept answering with the same cursor; depgate stopped instead of looping.', example: 'Apple kept answering with the same cursor; depgate stopped instead of looping. Try again later.' },
  UPSTREAM_THROTTLED: { statuses: [429, 503], summary: 'Apple is throttling (429) or unavailable (503); retry after Retry-After.', example: 'Apple is throttling requests to Apple\'s fetch devices endpoint; wait and try again.' },
  UPSTREAM_TIMEOUT: { statuses: [504], summary: 'Apple did not answer in time.', example: 'Apple\'s fetch devices endpoint did not answer in time; try again.' },
  UPSTREAM_UNREACHABLE: { statuses: [502], summary: 'Apple could not be reached (network error).', example: 'Apple\'s fetch devices endpoint could not be reached (network error); try again.' },
  UPSTREAM_INVALID_RESPONSE: { statuses: [502], summary: 'Apple answered with a body depgate could not read.', example: 'Apple\'s fetch devices endpoint answered with a body depgate could not read; try again.' },
  UPSTREAM_ERROR: { statuses: [502], summary: 'Apple failed (5xx) after retries.', example: 'Apple\'s fetch devices endpoint failed (HTTP 500) after retries; try again later.' },
  UPSTREAM_REFUSED: { statuses: [400], summary: 'Apple refused the request with a code depgate does not know (named in the detail).', example: 'Apple refused the request with NEW_APPLE_CODE.' },
  USER_AGENT_MISSING: appleRefusal('Apple refused the request: no User-Agent.', 'USER_AGENT_MISSING'),
  USER_AGENT_INVALID: appleRefusal('Apple refused the request\'s User-Agent.', 'USER_AGENT_INVALID'),
  MALFORMED_REQUEST_BODY: appleRefusal('Apple could not read the request body.', 'MALFORMED_REQUEST_BODY'),
  DEVICE_ID_REQUIRED: appleRefusal('Apple needs at least one serial number.', 'DEVICE_ID_REQUIRED'),
  PROFILE_UUID_REQUIRED: appleRefusal('Apple needs a profile UUID.', 'PROFILE_UUID_REQUIRED'),
  APPLE_SEED_FOR_IT_TURNED_OFF: appleRefusal('AppleSeed for IT is turned off for the organisation.', 'APPLE_SEED_FOR_IT_TURNED_OFF'),
  MDM_SERVICE_DISCOVERY_URL_REQUIRED: appleRefusal('Apple needs the account-driven enrollment URL.', 'MDM_SERVICE_DISCOVERY_URL_REQUIRED'),
  MDM_SERVICE_DISCOVERY_URL_NOT_VALID: appleRefusal('Apple refused the account-driven enrollment URL.', 'MDM_SERVICE_DISCOVERY_URL_NOT_VALID'),
  ORG_NOT_SUPPORTED: appleRefusal('The organisation does not support account-driven enrollment.', 'ORG_NOT_SUPPORTED'),
  CONFIG_NAME_REQUIRED: profileRule('profile_name'),
  CONFIG_NAME_INVALID: profileRule('profile_name'),
  CONFIG_URL_REQUIRED: profileRule('url'),
  CONFIG_URL_INVALID: profileRule('url'),
  DEPARTMENT_INVALID: profileRule('department'),
  FLAGS_INVALID: profileRule('is_mdm_removable'),
  LOCALE_INVALID: profileRule('language'),
  MAGIC_INVALID: profileRule('org_magic'),
  SUPPORT_EMAIL_INVALID: profileRule('support_email_address'),
  SUPPORT_PHONE_INVALID: profileRule('support_phone_number'),

  // Apple Business / School Manager organisations (docs/apple-axm.md).
  ORG_NOT_FOUND: { statuses: [404], summary: 'No organisation of that name is configured.', example: 'No organisation named "acme" is configured. GET /v1/orgs lists them; an admin adds one with PUT /v1/orgs/{org}.' },
  INVALID_ORG_ACCOUNT: { statuses: [400], summary: 'The API account sent cannot be used (client id prefix, private key); nothing was stored.', example: 'The client id must start with BUSINESSAPI. or SCHOOLAPI., as Apple Business Manager shows it. Nothing was stored.' },
  ORG_CREDENTIALS_REJECTED: { statuses: [422], summary: 'Apple refused the API account sent (wrong client id or key id, revoked key); nothing was stored.', example: 'Apple refused this API account: check the client id, the key id and that the key is the one Apple Business Manager shows for them. Nothing was stored.' },
  ORG_ACCOUNT_REFUSED: { statuses: [502], summary: 'Apple refused a stored organisation\'s API account (key revoked or account deleted since).', example: 'Apple refused the API account of org "acme". Check in Apple Business Manager (Preferences → API) that the account and its key still exist.' },
  ORG_MIRROR_NOT_READY: { statuses: [503], summary: 'The org mirror\'s first refresh has not completed; retry after Retry-After.', example: 'depgate is still reading every device of org "acme" from Apple; try again in a moment.' },
  ORG_DEVICE_NOT_FOUND: { statuses: [404], summary: 'The organisation has no device with that serial number.', example: 'Org "acme" has no device with serial number C02XXXXXXXXX.' },
  ORG_MDM_SERVER_NOT_FOUND: { statuses: [404], summary: 'The organisation has no MDM server with that id.', example: 'Org "acme" has no MDM server with id 1F97349736CF4614A94F624E705841AD. GET /v1/orgs/acme/mdm-servers lists them.' },
  ORG_REQUEST_BUDGET_EXHAUSTED: { statuses: [429], summary: 'A live call to Apple for the organisation would overrun its request budget (DEPGATE_ORG_REQUEST_BUDGET, shared with the org mirror); Apple was not called: retry after Retry-After.', example: 'depgate keeps its calls to Apple for org "acme" within 20 a minute (DEPGATE_ORG_REQUEST_BUDGET), and that budget is used up for now; try again in 9 second(s), or read the org mirror (leave out source=apple).' },
  ORG_MDM_SERVER_NOT_MATCHED: { statuses: [422], summary: 'Linking a DEP server to an org: none (or several) of the org\'s MDM servers has the DEP server\'s name; pass `org_mdm_server`. Nothing was changed.', example: 'No MDM server of org "acme" is named "Paris MDM" (the name of DEP server "paris" in Apple Business Manager). Its MDM servers: "Branch office MDM" (id 8B2C0D6E4A1F4E7C9D3B5A7F1E2C4D6A). Pass org_mdm_server with the id of this server (GET /v1/orgs/acme/mdm-servers lists them). Nothing was changed.' }
} as const satisfies Record<string, ProblemCodeInfo>

export type ProblemCode = keyof typeof PROBLEM_CODES

/** Every code, in the catalog's order (the OpenAPI enum). */
export const PROBLEM_CODE_LIST = Object.keys(PROBLEM_CODES) as [ProblemCode, ...ProblemCode[]]

const info = (code: ProblemCode): ProblemCodeInfo => PROBLEM_CODES[code]

export function isProblemCode (value: string): value is ProblemCode {
  return Object.hasOwn(PROBLEM_CODES, value)
}

/**
 * `code` when the catalog answers it with `status` (and, with `apple`, when it is Apple's own
 * code), else `fallback`: for codes read at run time (Apple's answers, a stored sync failure), so
 * every code depgate answers is one the document lists.
 */
export function catalogCode (code: string, status: number, fallback: ProblemCode, opts: { apple?: boolean } = {}): ProblemCode {
  if (!isProblemCode(code)) return fallback
  const entry = info(code)
  return entry.statuses.includes(status) && (opts.apple !== true || entry.apple === true) ? code : fallback
}

/** The status and code read at run time when the catalog answers that code with that status, else `fallback`. */
export function catalogProblem (status: number, code: string, fallback: { status: number, code: ProblemCode }): { status: number, code: ProblemCode } {
  const known = catalogCode(code, status, fallback.code)
  return known === code ? { status, code: known } : fallback
}

/** Codes several routes name in their `problems` (defineRoute, src/api/route-kit.ts). */
export const PROBLEM_GROUPS = {
  /** A read the mirror answers: off, or still fetching (src/api/mirror-source.ts). */
  mirror: ['INVENTORY_DISABLED', 'INVENTORY_NOT_READY'],
  /** Draining Apple's fetch or sync cursors (src/dep/drain.ts), as src/api/error-mapping.ts maps them. */
  appleCursor: ['EXPIRED_CURSOR', 'INVALID_CURSOR', 'EXHAUSTED_CURSOR', 'CURSOR_REQUIRED', 'PAGE_LIMIT', 'SAME_CURSOR'],
  /** Apple's rules for a profile and depgate's URL policy, checked before sending (src/api/apple-guards.ts). */
  profileRules: [
    'CONFIG_NAME_REQUIRED', 'CONFIG_NAME_INVALID', 'CONFIG_URL_REQUIRED', 'CONFIG_URL_INVALID', 'DEPARTMENT_INVALID', 'FLAGS_INVALID',
    'LOCALE_INVALID', 'MAGIC_INVALID', 'SUPPORT_EMAIL_INVALID', 'SUPPORT_PHONE_INVALID', 'PROFILE_URL_INVALID', 'PROFILE_URL_NOT_HTTPS', 'URL_HAS_CREDENTIALS'
  ],
  /** Disowning, off unless configured and confirmed (src/api/apple-guards.ts). */
  disown: ['DISOWN_DISABLED', 'DISOWN_CONFIRMATION_MISMATCH', 'DEVICE_ID_REQUIRED']
} as const satisfies Record<string, readonly ProblemCode[]>
