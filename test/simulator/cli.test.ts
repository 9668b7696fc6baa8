import t from 'tap'
import { EventEmitter } from 'node:events'
import { main } from '../../src/cli.js'
import { DEPSIM_CREDENTIALS, runSimulateCommand, startSimulator } from '../../src/simulator/index.js'
import { until } from '../helper.js'
import { call, login } from './fixtures/helper.js'

t.test('depgate simulate starts, prints URL and credentials, stops on a signal', async (t) => {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    const lines: string[] = []
    const signals = new EventEmitter()
    let printed: () => void = () => {}
    const ready = new Promise<void>((resolve) => { printed = resolve })
    const done = main(['simulate', '--port', '0', '--devices', '3', '--org-devices', '4', '--seed', '9', '--session-ttl', '60', '--rotate-sessions', '--quote-errors'], {
      stdout: (text) => { lines.push(text.trimEnd()); printed() },
      stderr: () => {},
      env: {},
      signals
    })
    await ready
    const banner = JSON.parse(lines[0])
    t.match(banner, { url: /^http:\/\/127\.0\.0\.1:\d+$/, control: /\/_sim$/, credentials: DEPSIM_CREDENTIALS })
    const token = await login(banner.url)
    const account = await call(banner.url, 'GET', '/account', { token })
    t.ok(account.headers['x-adm-auth-session'], '--rotate-sessions')
    t.equal((await call(banner.url, 'POST', '/devices/sync', { token, body: {} })).text, '"CURSOR_REQUIRED"', '--quote-errors')
    const truth = (await call(banner.url, 'GET', '/_sim/devices')).json().devices
    t.equal(truth.length, 3, '--devices')
    t.match(banner.axm, { baseUrl: banner.url, tokenUrl: `${banner.url as string}/auth/oauth2/token` })
    t.equal((await call(banner.url, 'GET', '/_sim/axm/devices')).json().devices.length, 7, '--org-devices beside the DEP server\'s 3')
    t.match((await call(banner.url, 'GET', '/_sim/config')).json(), { sessionTtlMs: 60_000 })
    signals.emit(signal)
    t.equal(await done, 0)
    await t.rejects(call(banner.url, 'GET', '/token'), Error, `closed after ${signal}`)
    t.equal(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM'), 0)
  }
})

t.test('--help and bad arguments', async (t) => {
  const run = async (argv: string[]): Promise<{ code: number, out: string, err: string }> => {
    let out = ''
    let err = ''
    const code = await main(['simulate', ...argv], { stdout: (s) => { out += s }, stderr: (s) => { err += s }, env: {} })
    return { code, out, err }
  }
  const help = await run(['--help'])
  t.equal(help.code, 0)
  t.match(help.out, /^Usage: depgate simulate \[options\][^]*--session-ttl <sec>/)
  t.match(await run(['--port', 'eighty']), { code: 2, err: /--port <n>' argument 'eighty' is invalid. must be an integer ≥ 0/ })
  t.match(await run(['--session-ttl', '0']), { code: 2, err: /--session-ttl <sec>' argument '0' is invalid. must be an integer ≥ 1/ })
  t.match(await run(['--frobnicate']), { code: 2, err: /unknown option '--frobnicate'/ })
})

t.test('the default output is stdout and the default signals are the process', async (t) => {
  const writes: string[] = []
  const write = process.stdout.write
  process.stdout.write = ((chunk: string) => { writes.push(chunk); return true }) as typeof process.stdout.write
  const before = process.listenerCount('SIGTERM')
  const done = runSimulateCommand({ host: '127.0.0.1', port: 0, devices: 0, seed: 1, sessionTtl: 180 })
  await until('the simulator to handle SIGTERM', async () => process.listenerCount('SIGTERM') !== before)
  process.stdout.write = write
  t.match(JSON.parse(writes[0]), { url: /^http:/ })
  process.emit('SIGTERM')
  await done
  t.equal(process.listenerCount('SIGTERM'), before)
})

t.test('startSimulator on IPv6 loopback and with bad options', async (t) => {
  const started = await startSimulator({ host: '::1', devices: 1 })
  t.teardown(() => started.close())
  t.match(started.url, /^http:\/\/\[::1\]:\d+$/)
  t.equal((await call(started.url, 'GET', '/token')).status, 200)
  await t.rejects(startSimulator({ devices: -1 }), /devices/)
  await t.rejects(startSimulator({ maxLimit: 0 }), /maxLimit/)
  const tolerant = await startSimulator({ devices: 0, quoteErrors: undefined })
  t.equal(tolerant.app.sim.config.quoteErrors, false, 'undefined options keep the defaults')
  await tolerant.close()
})

t.test('the control API lists itself and manages config, clock, profiles', async (t) => {
  const started = await startSimulator({ devices: 2 })
  t.teardown(() => started.close())
  const { url } = started
  const docs = (await call(url, 'GET', '/_sim')).json()
  t.ok(docs.routes.length >= 18)
  t.ok(docs.endpoints.includes('assign_profile'))
  t.ok(docs.faultKinds.includes('throttle'))
  t.equal((await call(url, 'GET', '/_sim/profiles')).json().profiles.length, 3, 'three profiles exist from the start')
  t.match((await call(url, 'GET', '/_sim/clock')).json(), { now: /Z$/ })
  t.equal((await call(url, 'POST', '/_sim/clock', { body: { advanceMs: -1 } })).status, 400)
  t.equal((await call(url, 'POST', '/_sim/clock', { body: {} })).status, 400)
  const patched = await call(url, 'PATCH', '/_sim/config', { body: { maxLimit: 50, failSerials: ['A'], invalidLimit: 'default', orgType: 'edu', replacementNotFoundStatus: 404, userAgentDenyList: [], throttleRetryAfterSec: 0, quoteErrors: undefined } })
  t.match(patched.json(), { maxLimit: 50, failSerials: ['A'], invalidLimit: 'default', orgType: 'edu', replacementNotFoundStatus: 404, throttleRetryAfterSec: 0 })
  for (const body of [{ maxLimit: 0 }, { rotateSessions: 'yes' }, { failSerials: [1] }, { unknownKey: true }, { orgType: 'tv' }, { replacementNotFoundStatus: 500 }, { invalidLimit: 'ignore' }, { throttleRetryAfterSec: -1 }]) {
    const r = await call(url, 'PATCH', '/_sim/config', { body })
    t.equal(r.status, 400, JSON.stringify(body))
    t.match(r.json().error, Object.keys(body)[0])
  }
  t.equal((await call(url, 'PATCH', '/_sim/config', { body: [] })).status, 400)
  t.equal((await call(url, 'GET', '/_sim/config')).json().maxLimit, 50, 'a rejected patch changes nothing')
})
