import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { main } from '../src/cli.js'
import { VERSION } from '../src/version.js'
import { createStore } from '../src/store/index.js'
import { cliIo, tempDir } from './helper.js'

t.test('keys create | list | revoke work on the store directly', async (t) => {
  const dataDir = tempDir(t)
  const env = { DEPGATE_DATA_DIR: dataDir }
  const c = cliIo(env)
  t.equal(await main(['keys', 'create', '--label', 'puppet', '--scope', 'write'], c), 0)
  const key = c.out.join('').trim()
  t.match(key, /^dgk_[a-f0-9]{12}_/)
  t.match(c.err.join(''), /shown once/)
  const id = key.split('_')[1]

  const table = cliIo(env)
  t.equal(await main(['keys', 'list'], table), 0)
  t.match(table.out.join(''), new RegExp(`${id}\\s+write .* puppet`))
  t.notOk(table.out.join('').includes(key.split('_').slice(2).join('_')), 'no secret listed')

  const json = cliIo(env)
  t.equal(await main(['keys', 'list', '--json'], json), 0)
  // GET /v1/keys's shape: snake_case, and null for what has not happened yet.
  t.same(Object.keys(JSON.parse(json.out.join(''))[0]), ['id', 'label', 'scope', 'created_at', 'last_used_at', 'revoked_at'])
  t.match(JSON.parse(json.out.join('')), [{ id, scope: 'write', label: 'puppet', created_at: String, last_used_at: null, revoked_at: null }])

  const revoke = cliIo(env)
  t.equal(await main(['keys', 'revoke', id], revoke), 0)
  t.match(revoke.err.join(''), /Revoked/)
  const twice = cliIo(env)
  t.equal(await main(['keys', 'revoke', id], twice), 1)
  t.match(twice.err.join(''), /No active API key/)

  const store = await createStore({ dataDir })
  t.teardown(() => store.close())
  t.ok((await store.keys.get(id))?.revokedAt)
  t.same((await store.audit.list()).map((e) => `${e.keyId} ${e.action} ${e.result}`), ['cli key.revoke KEY_NOT_FOUND', 'cli key.revoke ok', 'cli key.create ok'])
})

t.test('usage errors exit 2 with the message and the usage', async (t) => {
  const env = { DEPGATE_DATA_DIR: tempDir(t) }
  const cases: Array<[string[], RegExp]> = [
    [['keys', 'create', '--scope', 'read'], /required option '--label <label>' not specified\n\nUsage: depgate keys create/],
    [['keys', 'create', '--label', 'x'.repeat(101), '--scope', 'read'], /--label must be 1-100 characters\n\nUsage: depgate keys create/],
    [['keys', 'create', '--label', ' ', '--scope', 'read'], /--label must be 1-100 characters/],
    [['keys', 'create', '--label', 'x', '--scope', 'root'], /argument 'root' is invalid. Allowed choices are read, write, admin/],
    [['keys', 'create', '--label', 'x'], /required option '--scope <scope>' not specified/],
    [['keys', 'revoke'], /missing required argument 'id'\n\nUsage: depgate keys revoke/],
    [['keys', 'revoke', 'a', 'b'], /too many arguments for 'revoke'/],
    [['keys'], /^Usage: depgate keys/],
    [['keys', 'list', '--bogus'], /unknown option '--bogus'/],
    [['frobnicate'], /unknown command 'frobnicate'\n\nUsage: depgate/],
    [['serve', 'now'], /too many arguments for 'serve'/]
  ]
  for (const [argv, message] of cases) {
    const c = cliIo(env)
    t.equal(await main(argv, c), 2, argv.join(' '))
    t.match(c.err.join(''), message, argv.join(' '))
    t.same(c.out, [], 'nothing on stdout')
  }
  const bad = cliIo({ DEPGATE_PORT: 'x' })
  t.equal(await main(['serve'], bad), 2)
  t.match(bad.err.join(''), /DEPGATE_PORT/)
  const none = cliIo({ DEPGATE_PORT: 'x' })
  t.equal(await main([], none), 2, 'no command is serve')
  t.match(none.err.join(''), /DEPGATE_PORT/)
})

t.test('help, version, openapi, and unexpected errors', async (t) => {
  const h = cliIo({})
  t.equal(await main(['help'], h), 0)
  t.match(h.out.join(''), /^Usage: depgate \[options\] \[command\][^]*Exit codes: 0 done, 1 failed or refused/)
  const v = cliIo({})
  t.equal(await main(['--version'], v), 0)
  t.equal(v.out.join(''), `${VERSION}\n`)
  const dir = tempDir(t)
  const o = cliIo({})
  const file = join(dir, 'spec', 'openapi.json')
  t.equal(await main(['openapi', file], o), 0)
  t.equal(JSON.parse(readFileSync(file, 'utf8')).openapi, '3.1.0')
  await t.rejects(main(['keys', 'list'], cliIo({ DEPGATE_DATABASE_URL: 'postgres://depgate:s3cret@127.0.0.1:1/x' })), /^cannot connect to PostgreSQL at postgres:\/\/depgate:\*\*\*@127\.0\.0\.1:1\/x: /)
})
