/**
 * The suite-wide scan must be able to fail: a route that echoes a secret in its body or a header,
 * or a log line that carries one, is found, and a clean app passes; so are the secret-box key and a
 * generated private key, in each form leak-kit derives, while the public key passes.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import t from 'tap'
import { DEPSIM_CREDENTIALS, type StartedSimulator } from '../../src/simulator/index.js'
import { buildTestApp, randomAdminKey } from '../helper.js'
import { secretWatch } from './suite-scan.js'

async function leakyApp (watch: ReturnType<typeof secretWatch>, leak: { body?: string, header?: string }) {
  const app = Fastify()
  app.addHook('onRoute', watch.onRoute)
  app.get('/x', { onSend: (_req, _reply, payload, done) => { done(null, payload) } }, async (_req, reply) => {
    if (leak.header !== undefined) reply.header('x-debug', leak.header)
    return { value: leak.body ?? 'nothing to see' }
  })
  app.get('/buffer', async (_req, reply) => reply.type('text/plain').send(Buffer.from(leak.body ?? 'plain')))
  await app.ready()
  await app.inject('/x')
  await app.inject('/buffer')
  await app.close()
}

t.test('finds a secret in a body, a header, a Buffer body or a log line; passes a clean app', async (t) => {
  const adminKey = randomAdminKey()
  const clean = secretWatch({ adminKey, token: DEPSIM_CREDENTIALS })
  await leakyApp(clean, {})
  t.doesNotThrow(() => { clean.check(['{"msg":"request completed"}']) })

  const body = secretWatch({ adminKey })
  await leakyApp(body, { body: `key=${adminKey}` })
  t.throws(() => { body.check([]) }, /DEPGATE_ADMIN_KEY in GET \/x → 200 body/)

  const header = secretWatch({ adminKey, token: DEPSIM_CREDENTIALS })
  await leakyApp(header, { header: DEPSIM_CREDENTIALS.access_secret.slice(10, 40) })
  t.throws(() => { header.check([]) }, /server token access_secret in GET \/x → 200 headers/)

  const added = secretWatch({ adminKey })
  added.secret('API key t', 'Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eA')
  await leakyApp(added, {})
  t.throws(() => { added.check(['{"msg":"key Zm9vYmFyYmF6cXV4cXV1eHF1dXhx"}']) }, /API key t in log line 0/)
})

t.test('a buildTestApp records its logs and responses and knows the simulator\'s session tokens', async (t) => {
  const { app, auth, sim } = await buildTestApp(t)
  const res = await app.inject({ method: 'GET', url: '/v1/servers/default/account', headers: auth() })
  t.equal(res.statusCode, 200)
  const issued = [...(sim?.app.sim.sessions['sessions'].keys() ?? [])]
  t.equal(issued.length, 1, 'depgate opened one session with the simulator')
  const watch = secretWatch({ adminKey: 'not-used-here-0123456789abcdef', sim })
  t.throws(() => { watch.check([`oops ${issued[0]}`]) }, /a simulator session token in log line 0/)
})

t.test('watches the secret-box key (hex, base64, base64url) and a generated private key (PEM body, hex, JWK)', async (t) => {
  const adminKey = randomAdminKey()
  const boxKey = randomBytes(32)
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
  const der = privateKey.export({ type: 'pkcs8', format: 'der' })
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, string>
  const body = pem.split('\n').filter((l) => !l.startsWith('-----')).join('')
  // The PEM body's base64 can line up with a JWK member's base64url (same bytes, no + or /), which the
  // scan would then name first: take a slice that only the PEM body holds, so this case tests the PEM form.
  const jwkValues = Object.values(jwk)
  let from = Math.floor(body.length / 2)
  while (jwkValues.some((v) => v.includes(body.slice(from, from + 20)))) from += 1
  const watch = () => secretWatch({ adminKey, secretBoxKey: () => boxKey, privateKeys: [['the staged key', pem]] })
  const leaks: Array<[string, RegExp]> = [
    [boxKey.toString('hex').slice(8, 40), /the secret-box key \(hex\) in GET \/x → 200 body/],
    [boxKey.toString('base64').slice(4, 24), /the secret-box key \(base64(url)?\)/],
    [boxKey.toString('base64url').slice(20, 40), /the secret-box key \(base64(url)?\)/],
    [body.slice(from, from + 20), /the staged key \(PEM body\)/],
    [der.subarray(der.length - 40).toString('hex'), /the staged key \(hex\)/],
    [jwk.d.slice(100, 130), /the staged key \(JWK d\)/],
    [jwk.qi.slice(10, 30), /the staged key \(JWK qi\)/]
  ]
  for (const [leak, found] of leaks) {
    const w = watch()
    await leakyApp(w, { body: leak })
    t.throws(() => { w.check([]) }, found, `finds ${String(found)}`)
  }
  const clean = watch()
  await leakyApp(clean, { body: publicKey.export({ type: 'spki', format: 'pem' }) as string })
  t.doesNotThrow(() => { clean.check([JSON.stringify(publicKey.export({ format: 'jwk' }))]) }, 'the public key is not a secret')
  const noKeyFile = secretWatch({ adminKey, secretBoxKey: () => undefined, privateKeys: [] })
  await leakyApp(noKeyFile, { body: boxKey.toString('hex') })
  t.doesNotThrow(() => { noKeyFile.check([]) }, 'an app without a key file has no key to watch')
})

t.test('a dashboard session id: the Set-Cookie that opens it passes, the id anywhere else is found', async (t) => {
  const id = randomBytes(32).toString('base64url')
  const watch = secretWatch({ adminKey: randomAdminKey() })
  const app = Fastify()
  app.addHook('onRoute', watch.onRoute)
  app.post('/sign-in', async (_req, reply) => reply.header('set-cookie', [`depgate_session=${id}; Path=/ui; HttpOnly`, 'depgate_csrf=abc; Path=/ui']).send('ok'))
  app.get('/echo', async () => ({ cookie: id }))
  await app.ready()
  await app.inject({ method: 'POST', url: '/sign-in' })
  t.doesNotThrow(() => { watch.check([]) }, 'the sign-in answer shows it')
  t.throws(() => { watch.check([`session ${id}`]) }, /a dashboard session id in log line 0/)
  await app.inject('/echo')
  t.throws(() => { watch.check([]) }, /a dashboard session id in GET \/echo → 200 body/)
  await app.close()
})

t.test('an org private key PUT /v1/orgs/{org} was given, and the AxM access tokens the simulator issued', async (t) => {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
  const d = (createPrivateKey(pem).export({ format: 'jwk' }) as { d: string }).d
  const accessToken = randomBytes(24).toString('base64url')
  const sim = { app: { sim: { sessions: { sessions: new Map() }, axm: { auth: { tokens: new Map([[accessToken, {}]]) } } } } } as unknown as StartedSimulator
  const watch = secretWatch({ adminKey: randomAdminKey(), sim })
  const app = Fastify()
  app.addHook('onRoute', watch.onRoute)
  app.put('/v1/orgs/acme', { schema: { operationId: 'putOrg' } }, async () => ({ name: 'acme' }))
  app.get('/leak', async (request) => ({ leaked: (request.query as { what: string }).what }))
  await app.ready()
  await app.inject({ method: 'PUT', url: '/v1/orgs/acme', payload: { private_key: 'not a key at all, nothing to derive' } })
  t.doesNotThrow(() => { watch.check([]) }, 'a key that does not parse is skipped')
  await app.inject({ method: 'PUT', url: '/v1/orgs/acme', payload: { private_key: pem } })
  t.doesNotThrow(() => { watch.check([]) }, 'the PUT itself answers no key')
  t.throws(() => { watch.check([`d=${d}`]) }, /org private key #1 \(JWK d\) in log line 0/)
  t.throws(() => { watch.check([`bearer ${accessToken}`]) }, /an AxM access token the simulator issued in log line 0/)
  await app.close()
})
