import t from 'tap'
import { request } from 'undici'
import { accountSchema } from '../../../../../src/api/account.js'
import { ADMIN_KEY, S, startStack } from './stack.js'

t.test('account, beta tokens, account-driven enrollment, replacement, activation lock', async (t) => {
  const s = await startStack(t, { devices: 30 })
  const truth = (await s.sim('GET', '/_sim/devices')).devices

  const account = await s.call('GET', `${S}/account`)
  t.equal(account.status, 200)
  t.match(account.headers['content-type'], /^application\/json/)
  t.match(account.json(), { server_name: String, server_uuid: String, org_name: String, urls: [{ uri: String }] })
  // The checked answer is Apple's own text (the schema keeps every field): the pass-through's body, byte for byte.
  t.equal(account.text, (await s.call('GET', `${S}/apple/account`)).text)
  t.same(accountSchema.parse(account.json()), account.json(), 'and it is what the documented schema writes')

  const beta = await s.call('GET', `${S}/beta-enrollment-tokens`)
  t.equal(beta.status, 200)
  t.type(beta.json().betaEnrollmentTokens, Array)

  const none = await s.call('GET', `${S}/account-driven-enrollment`)
  t.equal(none.status, 404)
  t.match(none.json(), { code: 'NOT_FOUND', detail: /Set one with PUT/ })
  const url = 'https://mdm.example.com/.well-known/com.apple.remotemanagement'
  const put = await s.call('PUT', `${S}/account-driven-enrollment`, { body: { mdm_service_discovery_url: url } })
  t.equal(put.status, 200)
  t.same(put.json(), { mdm_service_discovery_url: url })
  t.match((await s.call('GET', `${S}/account-driven-enrollment`)).json(), { mdm_service_discovery_url: url, last_updated_timestamp: String })
  const plain = await s.call('PUT', `${S}/account-driven-enrollment`, { body: { mdm_service_discovery_url: 'http://mdm.example.com/' } })
  t.match(plain.json(), { status: 400, code: 'VALIDATION_FAILED' })
  const del = await s.call('DELETE', `${S}/account-driven-enrollment`)
  t.equal(del.status, 204)
  t.equal(del.text, '')
  t.equal((await s.call('GET', `${S}/account-driven-enrollment`)).status, 404)
  await s.sim('PATCH', '/_sim/config', { adeSupported: false })
  t.match((await s.call('GET', `${S}/account-driven-enrollment`)).json(), { status: 400, code: 'ORG_NOT_SUPPORTED' })

  const serial = truth[0].serial_number
  await s.sim('PATCH', `/_sim/devices/${serial}`, { is_replacement_device: true })
  const repl = await s.call('GET', `${S}/devices/${serial}/replacement`)
  t.equal(repl.status, 200)
  t.match(repl.json(), { serial_number: serial, original_device_serial_number: String })
  const notRepl = await s.call('GET', `${S}/devices/${truth[1].serial_number}/replacement`)
  t.equal(notRepl.status, 404)
  t.match(notRepl.json(), { code: 'DEVICE_NOT_FOUND', detail: /not a replacement device/ })
  await s.sim('POST', '/_sim/faults', { endpoint: 'replacement_details', kind: 'status', status: 400, code: 'DEVICE_ID_REQUIRED' })
  t.match((await s.call('GET', `${S}/devices/${serial}/replacement`)).json(), { status: 400, code: 'DEVICE_ID_REQUIRED' })

  const lock = await s.call('POST', `${S}/devices/${serial.toLowerCase()}/activation-lock`, { body: { escrow_key: 'a'.repeat(64), lost_message: 'Property of Example Inc.' } })
  t.equal(lock.status, 200)
  t.same(lock.json(), { serial_number: serial, response_status: 'SUCCESS' })
  const dashed = await s.call('POST', `${S}/devices/${serial}/activation-lock`, { body: { escrow_key: 'ABCD-EFGH-JKLM-NPQR' } })
  t.match(dashed.json(), { status: 400, code: 'VALIDATION_FAILED', detail: /64-hex-digit hash/ })
  const bare = await s.call('POST', `${S}/devices/${truth[2].serial_number}/activation-lock`, { body: {} })
  t.same(bare.json(), { serial_number: truth[2].serial_number, response_status: 'SUCCESS' })
  const locks = await s.audit('device.activation_lock', 3)
  t.match(locks[0], { target: truth[2].serial_number, detail: 'SUCCESS, escrow key absent' })
  t.match(locks[2], { target: serial, detail: 'SUCCESS, escrow key given' })
  t.notMatch(JSON.stringify(locks), /a{64}/, 'the escrow key itself is never audited')
  t.match(await s.audit('ade.set', 2), [{ result: 'VALIDATION_FAILED' }, { result: 'ok', detail: url }])
})

t.test('disown: off by default, then only with the exact confirmation', async (t) => {
  const off = await startStack(t, { devices: 5 })
  const serials = (await off.sim('GET', '/_sim/devices')).devices.slice(0, 2).map((d: any) => d.serial_number)
  const disabled = await off.call('POST', `${S}/devices/disown`, { body: { serials, confirm: 'DISOWN 2 DEVICES FROM default' } })
  t.equal(disabled.status, 403)
  t.match(disabled.json(), { code: 'DISOWN_DISABLED', detail: /DEPGATE_ALLOW_DISOWN=true/ })

  const on = await startStack(t, { devices: 5, env: { DEPGATE_ALLOW_DISOWN: 'true' } })
  const mine = (await on.sim('GET', '/_sim/devices')).devices.slice(0, 3).map((d: any) => d.serial_number)
  for (const confirm of ['DISOWN 3 DEVICES FROM default', 'disown 2 devices from default', 'DISOWN 2 DEVICES FROM other', 'DISOWN 2 DEVICE FROM default', 'yes']) {
    const res = await on.call('POST', `${S}/devices/disown`, { body: { serials: mine.slice(0, 2), confirm } })
    t.equal(res.status, 400, confirm)
    t.match(res.json(), { code: 'DISOWN_CONFIRMATION_MISMATCH', detail: /exactly "DISOWN 2 DEVICES FROM default"\. Nothing was disowned/ })
  }
  const missing = await on.call('POST', `${S}/devices/disown`, { body: { serials: mine } })
  t.match(missing.json(), { status: 400, code: 'VALIDATION_FAILED' })
  t.equal((await on.sim('GET', '/_sim/devices')).devices.length, 5, 'nothing was disowned so far')

  const one = await on.call('POST', `${S}/devices/disown`, { body: { serials: [mine[0]], confirm: 'DISOWN 1 DEVICE FROM default' } })
  t.equal(one.status, 200)
  t.same(one.json(), { devices: { [mine[0]]: 'SUCCESS' }, summary: { SUCCESS: 1 } })
  const two = await on.call('POST', `${S}/devices/disown`, { body: { serials: [mine[1], mine[2]], confirm: 'DISOWN 2 DEVICES FROM default' } })
  t.same(two.json().summary, { SUCCESS: 2 })
  t.equal((await on.sim('GET', '/_sim/devices')).devices.length, 2)
  const audit = await on.audit('devices.disown', 8)
  t.match(audit[0], { result: 'ok', detail: '2 serial(s): {"SUCCESS":2}', serials: [mine[1], mine[2]], serialCount: 2 })
  t.same(audit.map((e) => e.result), ['ok', 'ok', 'VALIDATION_FAILED', ...Array(5).fill('DISOWN_CONFIRMATION_MISMATCH')], 'refused attempts are audited too')
})

t.test('pass-through to Apple', async (t) => {
  const s = await startStack(t, { devices: 10, sim: { rotateSessions: true } })
  const truth = (await s.sim('GET', '/_sim/devices')).devices
  const res = await request(`${s.url}${S}/apple/account`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'x-adm-auth-session': 'caller-value', connection: 'keep-alive' }
  })
  const text = await res.body.text()
  t.equal(res.statusCode, 200)
  t.match(JSON.parse(text), { server_name: String })
  t.notOk('x-adm-auth-session' in res.headers, 'Apple\'s (rotated) session token never comes back')
  t.match(res.headers['content-type'], /application\/json/)

  const details = await s.call('POST', `${S}/apple/devices`, { raw: JSON.stringify({ devices: [truth[0].serial_number] }), headers: { 'content-type': 'application/json;charset=UTF8' } })
  t.equal(details.status, 200)
  t.equal(details.json().devices[truth[0].serial_number].response_status, 'SUCCESS')

  const query = await s.call('GET', `${S}/apple/device/replacementDetails?device=${truth[0].serial_number}`)
  t.equal(query.status, 400, 'Apple\'s own error status comes back as is')
  t.match(query.text, /DEVICE_NOT_FOUND/)

  const session = await s.call('GET', `${S}/apple/session`)
  t.equal(session.status, 400)
  t.match(session.json(), { code: 'PASSTHROUGH_PATH_REFUSED' })
  const dots = await s.call('GET', `${S}/apple/a/%2e%2e/session`)
  t.match(dots.json(), { status: 400, code: 'PASSTHROUGH_PATH_REFUSED' })
  const options = await s.call('OPTIONS', `${S}/apple/account`)
  t.equal(options.status, 405)
  t.equal(options.headers.allow, 'GET, HEAD, POST, PUT, DELETE')
  // Apple's DEP API has no PATCH endpoint (docs/apple-dep.md), so depgate does not forward one.
  const patch = await s.call('PATCH', `${S}/apple/account`)
  t.same([patch.status, patch.json().code, patch.headers.allow], [405, 'METHOD_NOT_ALLOWED', 'GET, HEAD, POST, PUT, DELETE'])
  const readKey = await s.call('GET', `${S}/apple/account`, { key: null })
  t.equal(readKey.status, 401)
})

t.test('error mapping: T_C_NOT_SIGNED, a 500 burst, a timeout', async (t) => {
  const s = await startStack(t, { devices: 5 })
  await s.sim('PATCH', '/_sim/config', { termsSigned: false })
  const terms = await s.call('GET', `${S}/account`)
  t.equal(terms.status, 403)
  t.match(terms.headers['content-type'], /application\/problem\+json/)
  t.match(terms.json(), { code: 'T_C_NOT_SIGNED', detail: /accept the latest terms and conditions in Apple Business Manager/ })
  await s.sim('PATCH', '/_sim/config', { termsSigned: true })

  await s.sim('POST', '/_sim/faults', { endpoint: 'account', kind: 'status', status: 500, times: 2 })
  t.equal((await s.call('GET', `${S}/account`)).status, 200, 'a short burst is absorbed by retries')
  await s.sim('POST', '/_sim/faults', { endpoint: 'account', kind: 'status', status: 500, times: 3 })
  const burst = await s.call('GET', `${S}/account`)
  t.equal(burst.status, 502)
  t.match(burst.json(), { code: 'UPSTREAM_ERROR' })

  await s.sim('POST', '/_sim/faults', { endpoint: 'account', kind: 'latency', ms: 1500, times: 3 })
  // undici checks timeouts on a coarse (~0.5 s) tick, hence an answer well past headersMs.
  const slow = await s.call('GET', `${S}/account`)
  t.equal(slow.status, 504)
  t.match(slow.json(), { code: 'UPSTREAM_TIMEOUT' })
})
