/**
 * The less common refusals of PUT …/token: expired token, Apple unreachable, a key that fits
 * neither pair, form-data edge cases, a key pair sealed with another secret key, and the error table.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { FormData, request } from 'undici'
import { uploadProblem } from '../../../../../routes/v1/servers/_server/token/upload-errors.js'
import { DepApiError, DepTransportError, DepUpstreamError } from '../../../../../src/dep/index.js'
import { TokenError } from '../../../../../src/tokens/errors.js'
import { createSecretBox } from '../../../../../src/tokens/secret-box.js'
import { TokenImportError, verifyToken } from '../../../../../src/tokens/token-import.js'
import { generateServerKeyPair } from '../../../../../src/tokens/keypair.js'
import { openTestStore, testDialectFromEnv } from '../../../../databases.js'
import { buildTestApp, type TestApp } from '../../../../helper.js'
import { encryptToken, NO_OPENSSL, TOKEN, tempDir } from '../../../../tokens/helpers.js'

type Ctx = TestApp & { url: string }

async function listen (t: Parameters<typeof buildTestApp>[0], env: Record<string, string> = {}): Promise<Ctx> {
  const built = await buildTestApp(t, { env })
  return { ...built, url: await built.app.listen({ host: '127.0.0.1', port: 0 }) }
}

async function certFor (ctx: Ctx, server: string, dir: string): Promise<string> {
  const res = await request(`${ctx.url}/v1/servers/${server}/certificate?replace=true`, { method: 'POST', headers: ctx.auth() })
  const path = join(dir, `${server}-${randomBytes(4).toString('hex')}.pem`)
  writeFileSync(path, (await res.body.json() as { certificate_pem: string }).certificate_pem)
  return path
}

async function put (ctx: Ctx, server: string, body: Buffer | FormData, query = '', headers: Record<string, string> = { 'content-type': 'application/pkcs7-mime' }) {
  const res = await request(`${ctx.url}/v1/servers/${server}/token${query}`, { method: 'PUT', headers: { ...ctx.auth(), ...headers }, body })
  return { status: res.statusCode, body: await res.body.json() as Record<string, any> }
}

const mimeOf = (token: object): string => `Content-Type: text/plain;charset=UTF8\r\n\r\n-----BEGIN MESSAGE-----\r\n${JSON.stringify(token)}\r\n-----END MESSAGE-----\r\n`

t.test('refusals', { skip: NO_OPENSSL }, async (t) => {
  const ctx = await listen(t, { DEPGATE_TOKEN_MAX_BYTES: '8192' })
  const dir = tempDir(t)
  const cert = await certFor(ctx, 'acme', dir)
  const p7m = readFileSync(encryptToken(dir, [cert]))

  // Apple unreachable: 502, nothing stored.
  t.match(await put(ctx, 'acme', p7m, '?base_url=http://127.0.0.1:9'), { status: 502, body: { code: 'TOKEN_VERIFY_UNAVAILABLE', detail: /could not be reached .*add verify=false.*Nothing was stored/ } })
  // Expired token: 422.
  const expired = readFileSync(encryptToken(dir, [cert], { plaintext: mimeOf({ ...TOKEN, access_token_expiry: '2001-01-01T00:00:00Z' }) }))
  t.match(await put(ctx, 'acme', expired, '?verify=false'), { status: 422, body: { code: 'TOKEN_EXPIRED' } })
  t.notOk(ctx.app.depServers.has('acme'))

  // Without verification or base URL: stored for Apple, no account identity.
  const stored = await put(ctx, 'acme', p7m, '?verify=false')
  t.match(stored, { status: 201, body: { server: { base_url: 'https://mdmenrollment.apple.com', account: null } } })

  // Both a current and a staged pair, and a file for neither.
  await certFor(ctx, 'acme', dir)
  const stranger = readFileSync(encryptToken(dir, [await certFor(ctx, 'stranger', dir)]))
  t.match(await put(ctx, 'acme', stranger), { status: 422, body: { code: 'P7M_WRONG_KEY', detail: /staged or the current/ } })

  // Form edge cases: too many files, a token field too long, no boundary.
  const many = new FormData()
  for (let i = 0; i < 5; i++) many.append(`f${i}`, new Blob(['x']), `f${i}.txt`)
  t.match(await put(ctx, 'acme', many as never, '', {}), { status: 413, body: { code: 'P7M_TOO_LARGE' } })
  const longField = new FormData()
  longField.append('token', 'A'.repeat(9000))
  t.match(await put(ctx, 'acme', longField as never, '', {}), { status: 413, body: { code: 'P7M_TOO_LARGE' } })
  const pasted = new FormData()
  pasted.append('token', p7m.toString('latin1'))
  t.match(await put(ctx, 'acme', pasted as never, '?verify=false', {}), { status: 200 }, 'a pasted S/MIME text field works')
  const broken = await put(ctx, 'acme', Buffer.from('--x\r\nnot a form'), '', { 'content-type': 'multipart/form-data' })
  t.ok(broken.status >= 400 && broken.status < 500, `a malformed form is a 4xx (${broken.status})`)

  // A key pair sealed with another secret key than the running app's (a replica with another
  // key staged it): our fault, a 500, and no secret in the answer.
  const elsewhere = await openTestStore(t, testDialectFromEnv(), { database: ctx.database, secretBox: createSecretBox(randomBytes(32)) })
  await elsewhere.servers.stageKey('acme', generateServerKeyPair({ serverName: 'acme' }))
  const wrongBox = await put(ctx, 'acme', p7m, '?verify=false')
  t.equal(wrongBox.status, 500)
})

t.test('the error table', async (t) => {
  t.equal(uploadProblem(new TokenError('SECRET_BOX_TAMPERED', 'x')), undefined)
  t.equal(uploadProblem(new Error('x')), undefined)
  // What Apple said decides the code: unreachable (network, 5xx) is a 502, a refusal a 422.
  const refusal = async (cause: Error): Promise<unknown> => await verifyToken(async () => { throw cause }, () => new Date()).catch((err: unknown) => err)
  const unreachable = await refusal(new DepTransportError('refused', { code: 'NETWORK_ERROR', endpoint: 'account' }))
  t.match(unreachable, { code: 'TOKEN_VERIFY_UNAVAILABLE', cause: { code: 'NETWORK_ERROR' } })
  t.match(uploadProblem(unreachable), { statusCode: 502, code: 'TOKEN_VERIFY_UNAVAILABLE', detail: 'Apple could not be reached to check the token (NETWORK_ERROR); try again, or add verify=false to store it without this check. Nothing was stored.' })
  t.match(uploadProblem(await refusal(new DepUpstreamError('x', { code: 'SERVER_ERROR', status: 503, endpoint: 'account' }))), { statusCode: 502, code: 'TOKEN_VERIFY_UNAVAILABLE' })
  t.match(uploadProblem(await refusal(new DepApiError('denied', { code: 'ACCESS_DENIED', status: 403, endpoint: 'account' }))), { statusCode: 422, code: 'TOKEN_VERIFY_FAILED', detail: 'Apple did not accept this token (ACCESS_DENIED); add verify=false to store it without this check. Nothing was stored.' })
  t.match(await refusal(new Error('plain')), { code: 'TOKEN_VERIFY_FAILED', message: /UNKNOWN/ })
  // A refusal without an override is worded the same everywhere.
  t.match(uploadProblem(new TokenImportError('TOKEN_EXPIRED', 'this token expired')), { statusCode: 422, detail: 'this token expired. Nothing was stored.' })
})
