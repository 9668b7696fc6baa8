/**
 * `depgate serve` and the CLI on PostgreSQL (DEPGATE_DATABASE_URL): both open the same schema,
 * and the URL's password shows up in no banner, log line, CLI output or error.
 */
import t from 'tap'
import { main } from '../src/cli.js'
import { loadConfig } from '../src/config.js'
import { startDepgate } from '../src/start.js'
import { createTestSchema, withPassword } from './databases.js'
import { cliIo, logCapture, tempDir } from './helper.js'

// Trust auth on the test server: any password is accepted, so a made-up one can be hunted for.
const PASSWORD = 'pw-s3cret-Zx81'

t.test('serve and the CLI share a PostgreSQL schema; the password is never shown', async (t) => {
  const { url } = await createTestSchema(t)
  const databaseUrl = withPassword(url, PASSWORD)
  const dataDir = tempDir(t)
  const env = { DEPGATE_DATA_DIR: dataDir, DEPGATE_DATABASE_URL: databaseUrl }
  const out: string[] = []
  const logs = logCapture()
  const config = loadConfig({ ...env, DEPGATE_PORT: '0', DEPGATE_SIMULATOR_DEVICES: '3', DEPGATE_LOG_LEVEL: 'trace' })
  const started = await startDepgate({ config, out: (l) => out.push(l), logStream: logs.stream })
  t.teardown(() => started.close())
  t.equal(started.app.store.dialect, 'postgres')
  const res = await fetch(`${started.url}/v1/servers/default/devices`, { headers: { authorization: `Bearer ${started.adminKey}` } })
  t.equal(res.status, 200)
  t.equal(((await res.json()) as { count: number }).count, 3)
  t.equal((await fetch(`${started.url}/readyz`)).status, 200)

  // The CLI, on the same database, sees the first-start admin key the server created.
  const list = cliIo(env)
  t.equal(await main(['keys', 'list'], list), 0)
  t.match(list.out.join(''), /admin .*first-start admin/)
  const created = cliIo(env)
  t.equal(await main(['keys', 'create', '--label', 'ci', '--scope', 'read'], created), 0)
  const key = created.out.join('').trim()
  t.equal((await fetch(`${started.url}/v1/servers`, { headers: { authorization: `Bearer ${key}` } })).status, 200, 'a key made by the CLI works at once')

  const broken = cliIo({ ...env, DEPGATE_DATABASE_URL: withPassword(url.replace(':5432/', ':1/'), PASSWORD) })
  const err = await main(['keys', 'list'], broken).then(() => undefined, (e: unknown) => e as Error)
  t.match(err?.message, /^cannot connect to PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test\?options=/)

  await started.close()
  const everything = [...out, ...logs.lines, ...list.out, ...list.err, ...created.err, ...broken.out, ...broken.err, String(err?.message), String(err?.stack)].join('\n')
  t.ok(logs.lines.length > 0, 'logs were captured')
  t.notOk(everything.includes(PASSWORD), 'no password in the banner, logs, CLI output or errors')
})
