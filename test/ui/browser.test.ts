// @slow: a real Chromium against depgate and a simulator with 20,000 devices
/**
 * The dashboard as a person meets it, in Debian's chromium driven by playwright-core: sign in with
 * a read key, the overview's numbers against GET …/devices/summary, the device table filtered,
 * sorted and paged against GET …/devices for the same query, a device, the admin pages' 403, sign
 * out, a revoked key's session, and an admin's keys and audit pages; a failing assignment on the
 * enrollment page and its device's engine state (and its org block: the server is linked to the
 * simulator's organisation), the Orgs page, and an admin's webhooks page. Every page is checked by
 * axe-core (no serious or critical violation) and screenshotted into test-artifacts/; any console
 * error, page error or Content-Security-Policy violation fails the test.
 * DEPGATE_SCREENSHOTS=<dir> also writes the README's overview screenshot there (npm run screenshots).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import { chromium, type Page } from 'playwright-core'
import t from 'tap'
import { count } from '../../src/ui/format.js'
import { PROFILE } from '../enrollment/engine-app.js'
import { buildTestApp, tempDir, until, untilReady } from '../helper.js'

const CHROMIUM = '/usr/bin/chromium'
// This machine's network is closed: Chromium's own background connections would only fail.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync']
const ARTIFACTS = 'test-artifacts'
const DEVICES = 20_000

t.test('a person signs in, reads the fleet, and signs out', async (t) => {
  const { app, createKey, auth, adminKey, sim } = await buildTestApp(t, {
    env: { DEPGATE_MIRROR: 'true', DEPGATE_SYNC_PAGE_SIZE: '1000', DEPGATE_ASSIGN: 'true', DEPGATE_ORG_REQUEST_BUDGET: '10000' },
    simulator: { devices: DEVICES }
  })
  await app.ready()
  await untilReady(app, 'default', 120_000)
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const readKey = await createKey('read', 'service desk')
  const api = async (url: string) => (await app.inject({ url, headers: auth(readKey) })).json()

  // The simulator's organisation as org "acme": its first refresh runs beside the pages below.
  const account = (await sim!.app.inject({ method: 'POST', url: '/_sim/axm/keys', payload: {} })).json()
  const putOrg = await app.inject({
    method: 'PUT', url: '/v1/orgs/acme', headers: auth(), payload: { client_id: account.clientId, key_id: account.keyId, private_key: account.privateKey, base_url: sim!.url, token_url: `${sim!.url}/auth/oauth2/token` }
  })
  t.equal(putOrg.statusCode, 201)
  await app.orgs.refresher.tick()

  const context = await chromium.launchPersistentContext(tempDir(t, 'depgate-chromium-'), {
    executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1280, height: 900 }
  })
  t.teardown(async () => { await context.close() })
  context.setDefaultTimeout(15_000)
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', (msg) => { if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()} (${msg.location().url})`) })
  page.on('pageerror', (err) => { problems.push(`page error: ${err.message}`) })
  // A CSP violation is also reported as an event the page sees: it is collected as a problem too.
  await page.addInitScript({ content: "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))" })
  mkdirSync(ARTIFACTS, { recursive: true })
  const shots = process.env.DEPGATE_SCREENSHOTS

  /** axe-core on the page as it is, then a full-page screenshot. */
  async function check (p: Page, name: string): Promise<void> {
    const { violations } = await new AxeBuilder({ page: p }).analyze()
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    t.same(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), [], `${name}: no serious or critical accessibility violation`)
    await p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
  }
  const rows = async (): Promise<string[]> => await page.locator('tbody tr td:first-child a').allTextContents()

  await page.goto(`${base}/`)
  t.match(page.url(), /\/ui\/sign-in\?next=%2Fui$/, '/ leads to the sign-in page')
  await check(page, 'sign-in')
  await page.getByLabel('API key').fill(readKey)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(`${base}/ui`)

  const summary = await api('/v1/servers/default/devices/summary')
  t.equal(summary.total, DEVICES)
  t.equal(await page.locator('#total-default').textContent(), count(summary.total), 'the overview shows the summary\'s total')
  for (const [label, n] of Object.entries(summary.by_device_family as Record<string, number>)) {
    t.equal(await page.locator('#family-default-list li', { hasText: `${label}:` }).textContent(), `${label}: ${count(n)}`, `family ${label}`)
  }
  await check(page, 'overview')
  if (shots !== undefined) {
    mkdirSync(shots, { recursive: true })
    await page.screenshot({ path: join(shots, 'overview.png') })
  }

  await page.getByRole('link', { name: 'Devices', exact: true }).click()
  await page.waitForURL(/\/devices$/)
  t.equal(await page.locator('#total').textContent(), count(DEVICES))
  // Choosing from a list applies it at once (the script submits the form).
  await page.getByLabel('OS', { exact: true }).selectOption('iOS')
  await page.waitForURL(/os=iOS/)
  await page.getByRole('link', { name: 'Model' }).click()
  await page.waitForURL(/sort=model&order=asc/)
  await page.getByRole('link', { name: /Model/ }).click()
  await page.waitForURL(/sort=model&order=desc/)
  const first = await api('/v1/servers/default/devices?os=iOS&sort=model&order=desc&limit=50')
  t.same(await rows(), first.devices.map((d: { serial_number: string }) => d.serial_number), 'filtered and sorted: the API\'s rows')
  t.equal(await page.locator('#total').textContent(), count(first.total), 'and its total')
  await check(page, 'devices')
  await page.getByRole('link', { name: 'Next page' }).click()
  await page.waitForURL(/page_token=/)
  const second = await api(`/v1/servers/default/devices?os=iOS&sort=model&order=desc&limit=50&page_token=${first.next_page_token as string}`)
  t.same(await rows(), second.devices.map((d: { serial_number: string }) => d.serial_number), 'the next page: the API\'s next page')

  const serial = second.devices[0].serial_number as string
  await page.getByRole('link', { name: serial, exact: true }).click()
  await page.waitForURL(new RegExp(`/devices/${serial}$`))
  t.equal(await page.locator('#serial').textContent(), serial)
  // axe-core and the screenshot: below, on a device the assignment engine has a row for (the same page, more on it).

  // The server linked to its MDM server of the org, found by its name once the org is read: its devices show the org's view.
  await until('the org mirror', async () => (await api('/v1/orgs/acme')).mirror.ready === true)
  t.equal((await app.inject({ method: 'PATCH', url: '/v1/servers/default', headers: auth(), payload: { org: 'acme' } })).statusCode, 200)

  // One device Apple refuses, by a rule that matches it alone: a failing assignment.
  const refused = (await api('/v1/servers/default/devices?profile_status=empty&limit=1')).devices[0].serial_number as string
  const admin = async (method: 'PUT' | 'POST', url: string, payload?: object) => {
    const res = await app.inject({ method, url, headers: auth(), ...(payload === undefined ? {} : { payload }) })
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.body}`)
  }
  await sim!.app.inject({ method: 'PATCH', url: '/_sim/config', payload: { failSerials: [refused] } })
  await admin('PUT', '/v1/servers/default/enrollment-profiles/macs', PROFILE)
  await admin('PUT', '/v1/servers/default/assignment-rules', { rules: [{ name: 'One device', match: { serial_prefix: refused }, profile: 'macs' }] })
  await admin('POST', '/v1/servers/default/assignment-rules/apply')
  await until('the refused assignment', async () => (await api(`/v1/servers/default/assignments?status=failed&serial=${refused}`)).assignments.length === 1)
  await page.goto(`${base}/ui/servers/default/enrollment`)
  await check(page, 'enrollment')
  await page.locator('#failing ~ div').getByRole('link', { name: refused, exact: true }).click()
  await page.waitForURL(new RegExp(`/devices/${refused}$`))
  t.match(await page.locator('#engine').textContent(), /failed[^]*FAILED/, 'the device page shows the engine\'s state')
  t.match(await page.locator('#device-org').textContent(), 'this DEP server', 'and the org\'s view of it')
  await check(page, 'device')
  await page.getByRole('link', { name: 'Jobs' }).click()
  await page.waitForURL(/\/ui\/jobs$/)
  await check(page, 'jobs')
  await page.getByRole('link', { name: 'Orgs' }).click()
  await page.waitForURL(/\/ui\/orgs$/)
  const org = await api('/v1/orgs/acme')
  t.equal(await page.locator('[data-org-count="acme"]').textContent(), count(org.mirror.device_count), 'the Orgs page shows the org mirror\'s size')
  await check(page, 'orgs')

  const forbidden = await page.goto(`${base}/ui/keys`)
  t.equal(forbidden?.status(), 403, 'a read session gets the 403 page on admin pages')
  t.match(await page.locator('h1').textContent(), 'Admin only')
  await check(page, 'forbidden')
  // The browser reports the 403 it was answered: expected here, and only here.
  const expected = problems.findIndex((p) => p.includes('status of 403') && p.endsWith('/ui/keys)'))
  t.ok(expected >= 0)
  problems.splice(expected, 1)

  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.waitForURL(/\/ui\/sign-in$/)
  await page.goto(`${base}/ui`)
  t.match(page.url(), /\/ui\/sign-in/, 'signed out: the dashboard asks for a key again')

  // A revoked key's session stops working at its next page.
  await page.getByLabel('API key').fill(readKey)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(`${base}/ui`)
  const id = readKey.split('_')[1]
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/keys/${id}`, headers: auth() })).statusCode, 204)
  await page.reload()
  t.match(page.url(), /\/ui\/sign-in/, 'the revoked key\'s session is over')

  await page.getByLabel('API key').fill(adminKey)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(`${base}/ui`)
  await page.getByRole('link', { name: 'API keys' }).click()
  t.match(await page.locator('tbody').textContent(), 'service desk')
  await check(page, 'keys')
  await page.getByRole('link', { name: 'Audit log' }).click()
  t.match(await page.locator('tbody').textContent(), 'ui.sign_in')
  await check(page, 'audit')

  // A subscription whose receiver is not there (nothing listens on port 9 here): a failed delivery to show.
  const hook = (await app.inject({ method: 'POST', url: '/v1/webhooks', headers: auth(), payload: { url: 'http://127.0.0.1:9/hook', description: 'Nobody listens' } })).json()
  await app.inject({ method: 'POST', url: `/v1/webhooks/${hook.id as string}/test`, headers: auth() })
  await until('the failed delivery', async () => (await app.inject({ url: `/v1/webhooks/${hook.id as string}/deliveries`, headers: auth() })).json().deliveries[0].attempts > 0)
  await page.getByRole('link', { name: 'Webhooks' }).click()
  await page.waitForURL(/\/ui\/webhooks$/)
  t.match(await page.locator('#failures ~ div tbody').textContent(), 'webhook.test')
  await check(page, 'webhooks')

  t.same(problems, [], 'no console error, page error or CSP violation on any page')
})
