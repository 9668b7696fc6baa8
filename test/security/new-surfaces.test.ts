/**
 * The newest surfaces as an attacker (or a careless admin) drives them: org accounts whose Apple
 * URLs carry a password or whose key does not parse, webhook URLs the parser reads otherwise than
 * they are typed, and the webhook sender facing a receiver that redirects or never ends its answer.
 * Nothing secret comes back in an answer or a log line; nothing is sent where nobody subscribed.
 */
import { generateKeyPairSync } from 'node:crypto'
import { createServer, type ServerResponse } from 'node:http'
import t from 'tap'
import { createHttpSender } from '../../src/events/send.js'
import { buildTestApp } from '../helper.js'

const PASSWORD = 'pw-newsurfaces-7d1c9e3a5b'

t.test('org accounts and webhook subscriptions refuse what would leak or mislead', async (t) => {
  const { app, auth, logs } = await buildTestApp(t, { simulator: false, env: { DEPGATE_WEBHOOK_ALLOW: 'hooks.example.com,*.corp.example' } })
  const call = async (method: 'PUT' | 'POST' | 'PATCH', url: string, payload: object) => {
    const res = await app.inject({ method, url, headers: auth(), payload })
    return { status: res.statusCode, body: res.body, json: res.json() }
  }
  const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
  const account = { client_id: 'BUSINESSAPI.3bb0b1a4-5e1b-4b2c-9d0a-2f5e8c1d7a61', key_id: 'd136aa66-0c3b-4bd4-9892-c20e8db024ab', private_key: privateKey }

  await t.test('an org\'s base_url or token_url with user:password@ is refused like a server\'s base_url', async (t) => {
    for (const field of ['base_url', 'token_url']) {
      const res = await call('PUT', '/v1/orgs/leaky?verify=false', { ...account, [field]: `https://abm:${PASSWORD}@api.example.com/` })
      t.equal(res.status, 400, field)
      t.match(res.json, { code: 'VALIDATION_FAILED', errors: [{ field: `body.${field}`, message: /must not carry a user name or password/ }] })
      t.notOk(res.body.includes(PASSWORD), `${field}: the password is not echoed`)
    }
    t.equal((await call('PUT', '/v1/orgs/leaky?verify=false', { ...account, base_url: 'ftp://api.example.com/' })).status, 400, 'http(s) only')
    const stored = await call('PUT', '/v1/orgs/leaky?verify=false', { ...account, base_url: 'https://abm-proxy.example.com/', token_url: 'https://abm-proxy.example.com/token' })
    t.equal(stored.status, 201, 'a plain https: URL is stored')
    t.match(stored.json, { base_url: 'https://abm-proxy.example.com/', token_url: 'https://abm-proxy.example.com/token' })
  })

  await t.test('a private key that does not parse is refused without quoting it', async (t) => {
    const marker = 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg'
    for (const broken of [
      `-----BEGIN PRIVATE KEY-----\n${marker}${PASSWORD}\n-----END PRIVATE KEY-----\n`,
      privateKey.slice(0, privateKey.length / 2),
      privateKey.replace(/-----[A-Z ]+-----/g, '')
    ]) {
      const res = await call('PUT', '/v1/orgs/broken?verify=false', { ...account, private_key: broken })
      t.match(res.json, { status: 400, code: 'INVALID_ORG_ACCOUNT', errors: [{ field: 'body.private_key' }] })
      const body = broken.split('\n').filter((l) => l !== '' && !l.startsWith('-----')).join('')
      for (let i = 0; i + 16 <= body.length; i += 8) {
        if (res.body.includes(body.slice(i, i + 16))) t.fail(`the answer quotes the key: ${body.slice(i, i + 16)}`)
      }
    }
  })

  await t.test('a webhook URL is stored and listed as the parser reads it: what is shown is where it goes', async (t) => {
    const sneaky = await call('POST', '/v1/webhooks', { url: ' https://hooks.example.com\t.evil.test/x\n' })
    t.equal(sneaky.status, 400, 'the tab hides the host hooks.example.com.evil.test, which the allow-list refuses')
    t.match(sneaky.json, { code: 'WEBHOOK_URL_REFUSED', detail: /host hooks\.example\.com\.evil\.test is not in DEPGATE_WEBHOOK_ALLOW/ })
    const made = await call('POST', '/v1/webhooks', { url: ' HTTPS://Hooks.Example.COM:443/a/../in\t\n', description: 'x\r\nX-Injected: 1' })
    t.equal(made.status, 201)
    t.equal(made.json.url, 'https://hooks.example.com/in', 'normalised: scheme, host, default port, dot segments, tab and spaces')
    t.equal(made.json.description, 'x\r\nX-Injected: 1', 'a description is data (JSON-escaped, HTML-escaped, never a header)')
    const patched = await call('PATCH', `/v1/webhooks/${made.json.id}`, { url: 'https://a.corp.example\n/b' })
    t.equal(patched.json.url, 'https://a.corp.example/b')
    for (const [method, url] of [['POST', '/v1/webhooks'], ['PATCH', `/v1/webhooks/${made.json.id}`]] as const) {
      const res = await call(method, url, { url: `https://hooks:${PASSWORD}@hooks.example.com/x` })
      t.match(res.json, { status: 400, code: 'WEBHOOK_URL_REFUSED' }, `${method}: user:password@ refused`)
      t.notOk(res.body.includes(PASSWORD), `${method}: the password is not echoed`)
    }
    t.equal((await call('POST', '/v1/webhooks', { url: 'https://hooks.example.com/x', servers: Array(101).fill('*') })).status, 400, 'at most 100 servers')
    t.equal((await call('POST', '/v1/webhooks', { url: 'https://hooks.example.com/x', description: 'd'.repeat(201) })).status, 400, 'a description of at most 200 characters')
    t.equal((await call('POST', '/v1/webhooks', { url: `https://hooks.example.com/${'p'.repeat(2048)}` })).status, 400, 'a URL of at most 2048 characters')
  })

  t.notOk(logs.some((l) => l.includes(PASSWORD)), 'no password in any log line')
})

t.test('the sender follows no redirect and reads at most 1 KiB of an answer that never ends', async (t) => {
  const hits: string[] = []
  const streams: ServerResponse[] = []
  const server = createServer((req, res) => {
    hits.push(req.url ?? '')
    req.resume()
    if (req.url === '/moved') {
      res.writeHead(307, { location: '/elsewhere' }).end()
      return
    }
    // An answer that never ends: a chunk now, and no more unless asked.
    streams.push(res)
    res.writeHead(500, { 'content-type': 'text/plain' })
    res.write('e'.repeat(4096))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const res of streams) res.destroy()
    server.closeAllConnections()
    server.close()
  })
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  const sender = createHttpSender()
  t.teardown(sender.close)

  const moved = await sender.send(`${base}/moved`, {}, '{}')
  t.equal(moved.status, 307, 'a redirect is the answer, a failure to retry')
  t.same(hits, ['/moved'], 'and its Location is not requested')

  const endless = await sender.send(`${base}/endless`, {}, '{}')
  t.equal(endless.status, 500, 'answered without waiting for an end that never comes')
  t.equal(endless.snippet.length, 1024, 'the first KiB only')
})
