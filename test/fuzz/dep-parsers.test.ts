/**
 * Fuzzing the parsers of what Apple sends (src/dep): error bodies (`parseErrorCode`), any non-2xx
 * answer (`errorFromResponse`), `Retry-After`, every 2xx body against its schema (`parseBody`,
 * whole, truncated or replaced), the cursor drain with pages in any shape, and the simulator's
 * cursor decoder. Property: a value or a typed DepError, never an untyped throw. Seeded; the seed
 * is printed on failure (FUZZ_SEED=… to change it).
 */
import fc from 'fast-check'
import t from 'tap'
import { DepCursorError, DepError, DepResponseError, DEP_ENDPOINTS, parseErrorCode, parseRetryAfter } from '../../src/dep/index.js'
import { drainPages } from '../../src/dep/drain.js'
import { errorFromResponse, parseBody } from '../../src/dep/responses.js'
import * as schemas from '../../src/dep/schemas.js'
import { decodeCursor, encodeCursor } from '../../src/simulator/cursors.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20261125)
const RUNS = 300
const opts = { numRuns: RUNS, seed: SEED }

const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('INVALID_CURSOR', '"EXPIRED_CURSOR"', '{"code":"T_C_NOT_SIGNED"}', '{"code":1}', '{"code":', 'FORBIDDEN', 'unauthorized', '<html>503</html>', ''),
  fc.jsonValue().map((v) => JSON.stringify(v))
)
const endpoint = fc.constantFrom(...DEP_ENDPOINTS)
const headers = fc.dictionary(fc.constantFrom('retry-after', 'content-type', 'x-adm-auth-session'), fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('120', '-1', '1e9', 'Wed, 21 Oct 2015 07:28:00 GMT', '99999999999999999999')))

/** A valid-looking body for each schema, then broken in one of several ways. */
const goodBodies: Record<string, unknown> = {
  devicePageSchema: { devices: [{ serial_number: 'C02X', op_type: 'added' }], cursor: 'abc', more_to_follow: false },
  accountDetailSchema: { server_name: 's', server_uuid: 'u', admin_id: 'a', facilitator_id: 'f', org_name: 'o', org_email: 'e', org_phone: 'p', org_address: 'a', urls: [{ uri: '/server/devices', limit: { maximum: 1000 } }] },
  deviceDetailsResponseSchema: { devices: { C02X: { serial_number: 'C02X', response_status: 'SUCCESS' } } },
  assignProfileResultSchema: { profile_uuid: 'p', devices: { C02X: 'SUCCESS' } },
  betaEnrollmentTokensSchema: { betaEnrollmentTokens: [{ token: 't', title: 'x', os: 'iOS' }] }
}
const schemaNames = Object.keys(schemas).filter((k) => k.endsWith('Schema') && typeof (schemas as Record<string, unknown>)[k] === 'object')

t.test('parseErrorCode: a code or undefined for any body', async () => {
  fc.assert(fc.property(text, (body) => {
    const code = parseErrorCode(body)
    if (code !== undefined && typeof code !== 'string') throw new Error('not a string')
  }), opts)
})

t.test('parseRetryAfter: a whole number of seconds ≥ 0 or undefined', async () => {
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.constant(undefined)), fc.integer({ min: 0, max: 4_102_444_800_000 }), (value, now) => {
    const s = parseRetryAfter(value, now)
    if (s !== undefined && !(Number.isInteger(s) && s >= 0)) throw new Error(`${String(value)} → ${s}`)
  }), opts)
})

t.test('errorFromResponse: a typed DepError for any non-2xx answer', async () => {
  fc.assert(fc.property(endpoint, fc.integer({ min: 300, max: 599 }), headers, text, (ep, status, h, body) => {
    const err = errorFromResponse(ep, { status, headers: h, body }, Date.now())
    if (!(err instanceof DepError) || typeof err.code !== 'string' || err.code === '') throw new Error('untyped')
  }), opts)
})

t.test('parseBody: the value or DepResponseError, for every schema and any body', async () => {
  const body = fc.oneof(
    text,
    fc.constantFrom(...Object.values(goodBodies)).map((v) => JSON.stringify(v)),
    fc.tuple(fc.constantFrom(...Object.values(goodBodies)), fc.nat()).map(([v, cut]) => { const s = JSON.stringify(v); return s.slice(0, cut % s.length) }),
    fc.anything().map((v) => { try { return JSON.stringify(v) ?? 'undefined' } catch { return '{}' } })
  )
  fc.assert(fc.property(fc.constantFrom(...schemaNames), body, (name, raw) => {
    try {
      parseBody('account', { status: 200, headers: {}, body: raw }, (schemas as Record<string, any>)[name])
    } catch (err) {
      if (!(err instanceof DepResponseError)) throw err
    }
  }), opts)
})

t.test('drainPages: pages or DepCursorError, whatever Apple pages say', async () => {
  const page = fc.record({
    devices: fc.array(fc.record({ serial_number: fc.string({ maxLength: 6 }) }), { maxLength: 2 }),
    cursor: fc.constantFrom('a', 'b', 'c'),
    more_to_follow: fc.boolean()
  })
  await fc.assert(fc.asyncProperty(fc.array(page, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 6 }), async (pages, maxPages) => {
    let i = 0
    const drained: unknown[] = []
    try {
      for await (const p of drainPages('fetch_devices', async () => pages[Math.min(i++, pages.length - 1)], { cursor: undefined, maxPages })) drained.push(p)
    } catch (err) {
      if (!(err instanceof DepCursorError)) throw err
    }
  }), opts)
})

t.test('the simulator\'s cursor decoder: a cursor or undefined for any string; its own cursors round-trip', async () => {
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.base64String({ maxLength: 80 })), (s) => { decodeCursor(s) }), opts)
  fc.assert(fc.property(fc.nat(), fc.nat(), (seq, issued) => {
    const c = { kind: 'sync' as const, seq, issued }
    if (JSON.stringify(decodeCursor(encodeCursor(c))) !== JSON.stringify(c)) throw new Error('no round trip')
  }), opts)
})
