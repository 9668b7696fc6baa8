/**
 * The .p7m lifecycle over real HTTP: certificates from depgate, token files made by the openssl
 * CLI the way Apple makes them, the simulator standing in for Apple's /session and /account.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { FormData, request } from 'undici'
import { buildTestApp, type TestApp } from '../../../../helper.js'
import { encryptToken, NO_OPENSSL, TOKEN, TOKEN_JSON, TOKEN_READ, tempDir } from '../../../../tokens/helpers.js'

async function listen (t: Parameters<typeof buildTestApp>[0], env: Record<string, string> = {}): Promise<TestApp & { url: string }> {
  const built = await buildTestApp(t, { env })
  const url = await built.app.listen({ host: '127.0.0.1', port: 0 })
  return { ...built, url }
}

async function stageCert (ctx: TestApp & { url: string }, server: string, dir: string): Promise<string> {
  // replace=true: each call stages a fresh pair, as a renewal that abandons the last one does.
  const res = await request(`${ctx.url}/v1/servers/${server}/certificate?replace=true`, { method: 'POST', headers: ctx.auth() })
  const body = await res.body.json() as { certificate_pem: string }
  const path = join(dir, `${server}-${Date.now()}-${Math.random()}.pem`)
  writeFileSync(path, body.certificate_pem)
  return path
}

async function upload (ctx: TestApp & { url: string }, server: string, file: string | Buffer, query = '', type = 'application/pkcs7-mime') {
  const res = await request(`${ctx.url}/v1/servers/${server}/token${query}`, {
    method: 'PUT',
    headers: { ...ctx.auth(), 'content-type': type },
    body: typeof file === 'string' ? readFileSync(file) : file
  })
  return { status: res.statusCode, location: res.headers.location, body: await res.body.json() as Record<string, any> }
}

t.test('first upload, renewal, refusal, force, abandoned staging', { skip: NO_OPENSSL }, async (t) => {
  const ctx = await listen(t)
  const dir = tempDir(t)
  const simUrl = encodeURIComponent(ctx.sim!.url)

  // No key pair yet: a clear 409.
  const p7mForNobody = encryptToken(dir, [await stageCert(ctx, 'other', dir)])
  t.match(await upload(ctx, 'acme', p7mForNobody), { status: 409, body: { code: 'NO_KEY_PAIR' } })

  // First upload: AES-256, the S/MIME file as Apple sends it, verified against the simulator.
  const cert1 = await stageCert(ctx, 'acme', dir)
  const first = await upload(ctx, 'acme', encryptToken(dir, [cert1]), `?base_url=${simUrl}`)
  t.equal(first.status, 201)
  t.equal(first.location, '/v1/servers/acme', 'the server it created: GET reads it')
  t.match(first.body, { created: true, key: 'staged', server: { name: 'acme', base_url: ctx.sim!.url, token_expires_at: TOKEN_READ.access_token_expiry, account: { server_name: String, org_name: String } } })
  t.notMatch(JSON.stringify(first.body), /CS_|AT_|AS_/, 'no secret in the answer')
  const devices = await request(`${ctx.url}/v1/servers/acme/devices`, { headers: ctx.auth() })
  t.equal(devices.statusCode, 200, 'the new server serves requests')
  await devices.body.dump()

  // Renewal with the same consumer key, 3DES, to the same (now current) key: 200.
  const again = await upload(ctx, 'acme', encryptToken(dir, [cert1], { cipher: 'des3' }))
  t.match(again, { status: 200, body: { created: false, key: 'current' } })
  t.equal(again.location, undefined, 'nothing created: no Location')

  // A staged key abandoned: the current key keeps working.
  await stageCert(ctx, 'acme', dir)
  t.match(await upload(ctx, 'acme', encryptToken(dir, [cert1])), { status: 200, body: { key: 'current' } })

  // A different Apple MDM server's token: refused, then accepted with force (verify=false: the simulator knows only its own).
  const other = { ...TOKEN, consumer_key: 'CK_0ther' }
  const mime = `Content-Type: text/plain;charset=UTF8\r\n\r\n-----BEGIN MESSAGE-----\r\n${JSON.stringify(other)}\r\n-----END MESSAGE-----\r\n`
  const otherP7m = encryptToken(dir, [cert1], { plaintext: mime })
  t.match(await upload(ctx, 'acme', otherP7m, '?verify=false'), { status: 409, body: { code: 'CONSUMER_KEY_MISMATCH', detail: /its consumer key differs\); check the name, or add force=true to replace it on purpose\. Nothing was stored\./ } })
  t.equal(ctx.app.depServers.get('acme').info.token_fingerprint, first.body.server.token_fingerprint, 'nothing stored')
  t.match(await upload(ctx, 'acme', otherP7m, '?verify=false&force=true'), { status: 200 })
  t.not(ctx.app.depServers.get('acme').info.token_fingerprint, first.body.server.token_fingerprint)
  // Verification on: the simulator refuses the stranger's token, nothing is stored.
  const before = ctx.app.depServers.get('acme').info
  const back = encryptToken(dir, [cert1], { plaintext: mime.replace('CK_0ther', 'CK_1other') })
  t.match(await upload(ctx, 'acme', back, '?force=true'), { status: 422, body: { code: 'TOKEN_VERIFY_FAILED', detail: /^Apple did not accept this token \(\w+\); add verify=false to store it without this check\./ } })
  t.same(ctx.app.depServers.get('acme').info, before)
})

t.test('bad files: wrong key, corrupt, too large, not a .p7m, expired; each a 4xx and nothing stored', { skip: NO_OPENSSL }, async (t) => {
  const ctx = await listen(t, { DEPGATE_TOKEN_MAX_BYTES: '8192' })
  const dir = tempDir(t)
  await stageCert(ctx, 'acme', dir)
  const stranger = await stageCert(ctx, 'stranger', dir)
  const wrong = encryptToken(dir, [stranger])
  t.match(await upload(ctx, 'acme', wrong), { status: 422, body: { code: 'P7M_WRONG_KEY' } })
  const der = readFileSync(encryptToken(dir, [stranger], { outform: 'DER' }))
  t.match(await upload(ctx, 'acme', der.subarray(0, 200), '', 'application/octet-stream'), { status: 400, body: { code: 'P7M_CORRUPT' } })
  t.match(await upload(ctx, 'acme', Buffer.alloc(9000, 0x41)), { status: 413, body: { code: 'P7M_TOO_LARGE' } })
  t.match(await upload(ctx, 'acme', Buffer.from(TOKEN_JSON), '', 'text/plain'), { status: 400, body: { code: 'P7M_NOT_SMIME' } })
  t.match(await upload(ctx, 'acme', Buffer.from('{}'), '', 'application/json'), { status: 415 })
  t.notOk(ctx.app.depServers.has('acme'))
  t.equal(await ctx.store.servers.get('acme'), undefined)
})

t.test('multipart upload, PEM certificate, staged certificate', { skip: NO_OPENSSL }, async (t) => {
  const ctx = await listen(t, { DEPGATE_TOKEN_MAX_BYTES: '8192' })
  const dir = tempDir(t)
  const none = await request(`${ctx.url}/v1/servers/acme/certificate`, { headers: ctx.auth() })
  t.equal(none.statusCode, 404)
  t.match(await none.body.json(), { code: 'NO_STAGED_CERTIFICATE', detail: /POST \/v1\/servers\/acme\/certificate/ })
  const cert = await stageCert(ctx, 'acme', dir)
  const pem = await request(`${ctx.url}/v1/servers/acme/certificate`, { headers: { ...ctx.auth(), accept: 'application/x-pem-file' } })
  t.equal(pem.headers['content-type'], 'application/x-pem-file')
  t.equal(await pem.body.text(), readFileSync(cert, 'utf8'))
  const form = new FormData()
  form.append('note', 'hello')
  form.append('other', new Blob(['x']), 'other.txt')
  form.append('token', new Blob([readFileSync(encryptToken(dir, [cert]))]), 'token.p7m')
  const res = await request(`${ctx.url}/v1/servers/acme/token?base_url=${encodeURIComponent(ctx.sim!.url)}`, { method: 'PUT', headers: ctx.auth(), body: form })
  t.equal(res.statusCode, 201)
  t.equal(res.headers.location, '/v1/servers/acme')
  await res.body.dump()
  // The upload used the staged pair: it is current now, and nothing is staged any more.
  const used = await request(`${ctx.url}/v1/servers/acme/certificate`, { headers: ctx.auth() })
  t.equal(used.statusCode, 404)
  t.match(await used.body.json(), { code: 'NO_STAGED_CERTIFICATE' })

  const empty = new FormData()
  empty.append('note', 'no file')
  const noFile = await request(`${ctx.url}/v1/servers/acme/token`, { method: 'PUT', headers: ctx.auth(), body: empty })
  t.match(await noFile.body.json(), { code: 'P7M_MISSING' })
  const big = new FormData()
  big.append('token', new Blob([Buffer.alloc(9000, 0x41)]), 'token.p7m')
  const tooBig = await request(`${ctx.url}/v1/servers/acme/token`, { method: 'PUT', headers: ctx.auth(), body: big })
  t.equal(tooBig.statusCode, 413)
  t.match(await tooBig.body.json(), { code: 'P7M_TOO_LARGE' })
})

t.test('GET certificate reads, POST certificate stages: 201, then 409 unless replace=true', async (t) => {
  const ctx = await listen(t)
  const url = `${ctx.url}/v1/servers/fresh/certificate`
  // GET and HEAD never make a key pair.
  for (const method of ['GET', 'HEAD', 'GET'] as const) {
    const res = await request(url, { method, headers: ctx.auth() })
    t.equal(res.statusCode, 404, method)
    await res.body.dump()
  }
  t.same(await ctx.store.servers.getKeys('fresh'), {})

  const made = await request(url, { method: 'POST', headers: ctx.auth() })
  t.equal(made.statusCode, 201)
  t.equal(made.headers.location, '/v1/servers/fresh/certificate')
  const first = await made.body.json() as { certificate_pem: string, fingerprint_sha256: string, staged_at: string }
  t.match(first, { server: 'fresh', certificate_pem: /^-----BEGIN CERTIFICATE-----/, staged_at: /^\d{4}-/ })

  // Reading twice gives the same certificate, and stages nothing new.
  for (let i = 0; i < 2; i++) {
    const read = await request(url, { headers: ctx.auth() })
    t.equal(read.statusCode, 200)
    t.same(await read.body.json(), first)
  }
  const head = await request(url, { method: 'HEAD', headers: ctx.auth() })
  t.equal(head.statusCode, 200)
  await head.body.dump()

  const again = await request(url, { method: 'POST', headers: { ...ctx.auth(), accept: 'application/x-pem-file' } })
  t.equal(again.statusCode, 409)
  t.match(await again.body.json(), { code: 'CERTIFICATE_ALREADY_STAGED', detail: /replace=true/ })
  t.equal(((await (await request(url, { headers: ctx.auth() })).body.json()) as typeof first).certificate_pem, first.certificate_pem)

  const replaced = await request(`${url}?replace=true`, { method: 'POST', headers: { ...ctx.auth(), accept: 'application/x-pem-file' } })
  t.equal(replaced.statusCode, 201)
  t.equal(replaced.headers['content-type'], 'application/x-pem-file')
  const pem = await replaced.body.text()
  t.not(pem, first.certificate_pem)
  t.equal(((await (await request(url, { headers: ctx.auth() })).body.json()) as typeof first).certificate_pem, pem)

  // Both ways in are audited: one read per GET/HEAD, one create per POST (the refused one too).
  const actions = (await ctx.store.audit.list({ limit: 100 })).map((e: { action: string }) => e.action)
  t.equal(actions.filter((a: string) => a === 'server.certificate.create').length, 3)
  t.ok(actions.filter((a: string) => a === 'server.certificate.read').length >= 6)
})
