/**
 * The token endpoint refuses assertions as Apple does, and the client loads keys in every form
 * Apple has shipped (docs/apple-axm.md §1.1, §1.2, §1.5, §8).
 */
import { createPrivateKey, generateKeyPairSync, randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import t from 'tap'
import { AxmClient, DEFAULT_AUDIENCE, loadPrivateKey, scopeOf, defaultBaseUrl } from '../../src/axm/index.js'
import { startSimulator } from '../../src/simulator/index.js'
import { startOrg } from './fixtures.js'

t.test('assertions Apple refuses get a bare 400 invalid_client; good ones a Bearer token', async (t) => {
  const org = await startOrg(t, { devices: 0, orgDevices: 0 })
  const { clientId, keyId, privateKey } = org.account
  const key = createPrivateKey({ key: privateKey.replace(/EC PRIVATE KEY/g, 'PRIVATE KEY') })
  const now = Math.floor(Date.now() / 1000)
  const sign = async (o: { alg?: string, kid?: string, aud?: string | string[], iat?: number, exp?: number, noExp?: boolean, sub?: string, iss?: string, with?: Parameters<SignJWT['sign']>[0] } = {}): Promise<string> => {
    const iat = o.iat ?? now
    const jwt = new SignJWT({}).setProtectedHeader({ alg: o.alg ?? 'ES256', kid: o.kid ?? keyId })
      .setSubject(o.sub ?? clientId).setIssuer(o.iss ?? clientId).setAudience(o.aud ?? DEFAULT_AUDIENCE)
      .setIssuedAt(iat).setJti(randomUUID())
    if (o.noExp !== true) jwt.setExpirationTime(o.exp ?? iat + 3600)
    return await jwt.sign(o.with ?? key)
  }
  const form = (assertion: string, extra: Record<string, string> = {}): string => new URLSearchParams({
    grant_type: 'client_credentials', client_id: clientId, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion, scope: 'business.api', ...extra
  }).toString()
  const post = async (body: string, path = '/auth/oauth2/token'): Promise<{ status: number, json: any }> => {
    const { status, json } = await org.call('POST', path, body, { 'content-type': 'application/x-www-form-urlencoded' })
    return { status, json }
  }

  const ok = await post(form(await sign()))
  t.match(ok, { status: 200, json: { access_token: /^sim\./, token_type: 'Bearer', expires_in: 3600, scope: 'business.api' } })
  t.equal((await post(form(await sign()), '/auth/oauth2/v2/token')).status, 200, 'the v2 path works too')
  t.equal((await org.call('POST', `/auth/oauth2/token?${form(await sign())}`)).status, 200, 'parameters in the query string')
  t.equal((await post(form(await sign({ aud: [DEFAULT_AUDIENCE] })))).status, 200, 'aud as a one-element array')

  const otherKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  const refused: Array<[string, string]> = [
    ['wrong aud', form(await sign({ aud: 'https://account.apple.com/auth/oauth2/token' }))],
    ['expired exp', form(await sign({ iat: now - 7200, exp: now - 60 }))],
    ['exp more than 180 days after iat', form(await sign({ exp: now + 181 * 86_400 }))],
    ['iat in the future', form(await sign({ iat: now + 3600 }))],
    ['signed with another key', form(await sign({ with: otherKey }))],
    ['alg RS256', form(await sign({ alg: 'RS256', with: rsa }))],
    ['alg HS256', form(await sign({ alg: 'HS256', with: new Uint8Array(32) }))],
    ['unknown kid', form(await sign({ kid: randomUUID() }))],
    ['sub is not the client', form(await sign({ sub: 'BUSINESSAPI.other' }))],
    ['not a JWT', form('not-a-jwt')],
    ['no exp', form(await sign({ noExp: true }))],
    ['aud array with another audience', form(await sign({ aud: [DEFAULT_AUDIENCE, 'https://example.com'] }))],
    ['no client_id', form(await sign()).replace(/client_id=[^&]*&/, '')],
    ['no assertion', form('').replace(/&client_assertion=/, '&x=')],
    ['wrong scope', form(await sign(), { scope: 'school.api' })],
    ['unknown client', form(await sign(), { client_id: `BUSINESSAPI.${randomUUID()}` })],
    ['grant_type', form(await sign(), { grant_type: 'password' })],
    ['assertion type', form(await sign(), { client_assertion_type: 'jwt' })]
  ]
  for (const [why, body] of refused) t.same(await post(body), { status: 400, json: { error: 'invalid_client' } }, why)

  await org.call('PATCH', '/_sim/config', { axmRequireIss: true })
  t.equal((await post(form(await sign({ iss: 'someone' })))).status, 400, 'iss checked when configured')
  t.equal((await post(form(await sign()))).status, 200)

  // The client's view of a refusal: a typed error naming no secret.
  const wrongKey = org.client({ privateKey: otherKey.export({ format: 'pem', type: 'pkcs8' }) as string })
  const err = await wrongKey.verify().catch((e: unknown) => e)
  t.match(err, { name: 'AxmError', code: 'INVALID_CLIENT', status: 400, endpoint: 'token', message: /invalid_client/ })
  t.notMatch(String((err as Error).message), /BEGIN|sim\./)
  const badAud = org.client({ audience: 'https://account.apple.com/auth/oauth2/token' })
  await t.rejects(badAud.verify(), { code: 'INVALID_CLIENT' })
})

t.test('the private key loads in each PEM form Apple has shipped; anything else is INVALID_KEY', async (t) => {
  for (const form of ['apple', 'sec1', 'pkcs8'] as const) {
    const org = await startOrg(t, { devices: 0, orgDevices: 0 }, form)
    t.match(org.account.privateKey, form === 'pkcs8' ? /BEGIN PRIVATE KEY/ : /BEGIN EC PRIVATE KEY/)
    const client = org.client()
    await client.verify()
    t.match(client.tokenState(), { acquiredAt: Number, expiresAt: Number }, `${form} form signs an accepted assertion`)
  }
  const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey
  t.throws(() => loadPrivateKey(p384.export({ format: 'pem', type: 'pkcs8' }) as string), { code: 'INVALID_KEY', message: /P-256/ })
  t.throws(() => loadPrivateKey('-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n'), { code: 'INVALID_KEY', message: /not a PEM private key/ })
  t.throws(() => loadPrivateKey('hello'), { code: 'INVALID_KEY' })
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  t.equal(loadPrivateKey(ec.privateKey), ec.privateKey, 'a loaded KeyObject is taken as it is')
  t.throws(() => loadPrivateKey(ec.publicKey), { code: 'INVALID_KEY' }, 'a public key is not a private key')
  t.throws(() => new AxmClient({ clientId: 'abc', keyId: 'k', privateKey: ec.privateKey }), { code: 'INVALID_CLIENT', message: /BUSINESSAPI\. or SCHOOLAPI\./ })
  t.equal(scopeOf('SCHOOLAPI.x'), 'school.api')
  t.equal(defaultBaseUrl('school.api'), 'https://api-school.apple.com')
  t.equal(new AxmClient({ clientId: 'SCHOOLAPI.x', keyId: 'k', privateKey: ec.privateKey }).scope, 'school.api')
})

t.test('accounts are registered through /_sim/axm and checked', async (t) => {
  const org = await startOrg(t, { devices: 0, orgDevices: 0 })
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const publicKey = ec.publicKey.export({ format: 'pem', type: 'spki' }) as string
  const clientId = `SCHOOLAPI.${randomUUID()}`
  t.same((await org.call('POST', '/_sim/axm/accounts', { clientId, keyId: 'k1', publicKey })).json, { clientId, keyId: 'k1' })
  const client = new AxmClient({ clientId, keyId: 'k1', privateKey: ec.privateKey, baseUrl: org.url, tokenUrl: `${org.url}/auth/oauth2/v2/token` })
  t.teardown(() => client.close())
  await client.verify()
  t.equal(client.scope, 'school.api')
  const rsaPublic = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }) as string
  const bad = async (body: unknown): Promise<string> => (await org.call('POST', '/_sim/axm/accounts', body)).json.error
  t.match(await bad({ clientId }), /required/)
  t.match(await bad('[]'), /required/)
  t.match(await bad({ clientId: 'x', keyId: 'k', publicKey }), /BUSINESSAPI/)
  t.match(await bad({ clientId, keyId: '', publicKey }), /keyId/)
  t.match(await bad({ clientId, keyId: 'k', publicKey: 'nope' }), /PEM public key/)
  t.match(await bad({ clientId, keyId: 'k', publicKey: rsaPublic }), /P-256/)
  t.match((await org.call('POST', '/_sim/axm/keys', { scope: 'x' })).json.error, /scope/)
  t.match((await org.call('POST', '/_sim/axm/keys', { form: 'x' })).json.error, /form/)
  t.match((await org.call('POST', '/_sim/axm/keys', { scope: 'school', form: 'sec1' })).json, { clientId: /^SCHOOLAPI\./, privateKey: /BEGIN EC PRIVATE KEY/ })
  t.match((await org.call('POST', '/_sim/axm/keys')).json, { clientId: /^BUSINESSAPI\./ })
  const docs = (await org.call('GET', '/_sim')).json
  t.ok(docs.endpoints.includes('axm.create_activity'))
  t.ok(docs.routes.some((r: { path: string }) => r.path === '/_sim/axm/keys'))
  await t.rejects(startSimulator({ orgDevices: -1 }), { message: 'invalid simulator option orgDevices' })
})
