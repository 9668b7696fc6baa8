/**
 * `depgate org import` through the CLI entry point, on a real store (SQLite, or PostgreSQL with
 * DEPGATE_TEST_DATABASE=postgres) with the simulator's AxM side standing in for Apple: accounts in
 * each PEM form Apple has shipped are verified and stored sealed, like PUT /v1/orgs/{org} stores
 * them; every refusal is one sentence and stores nothing; no output, log or database file holds
 * the private key.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { openSecureStore } from '../../src/bootstrap.js'
import { main } from '../../src/cli.js'
import { runOrgImport } from '../../src/cli/org.js'
import { loadConfig } from '../../src/config.js'
import { defaultOrgClientFactory } from '../../src/orgs/registry.js'
import { startSimulator } from '../../src/simulator/index.js'
import { createTestSchema, testDialectFromEnv } from '../databases.js'
import { cliIo, tempDir } from '../helper.js'
import { ecPrivateKeySecrets, SecretScanner } from '../security/leak-kit.js'

interface Account { clientId: string, keyId: string, privateKey: string }

t.test('org import: verified, stored sealed, refused in one sentence, never printed', async (t) => {
  const sim = await startSimulator({ devices: 2 })
  t.teardown(() => sim.close())
  const dataDir = tempDir(t)
  const keyDir = tempDir(t)
  const env: Record<string, string> = { DEPGATE_DATA_DIR: dataDir }
  if (testDialectFromEnv() === 'postgres') env.DEPGATE_DATABASE_URL = (await createTestSchema(t)).url
  const accounts: Record<string, Account> = {}
  for (const form of ['apple', 'sec1', 'pkcs8']) {
    const res = await fetch(`${sim.url}/_sim/axm/keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ form }) })
    accounts[form] = await res.json() as Account
    writeFileSync(join(keyDir, `${form}.pem`), accounts[form].privateKey)
  }
  const scanner = new SecretScanner()
  for (const [form, a] of Object.entries(accounts)) for (const [name, secret] of ecPrivateKeySecrets(form, a.privateKey)) scanner.add(name, secret)
  const printed: string[] = []
  const urls = ['--base-url', sim.url, '--token-url', `${sim.url}/auth/oauth2/token`]
  const args = (org: string, form: string, a = accounts[form]): string[] => ['org', 'import', org, '--client-id', a.clientId, '--key-id', a.keyId, '--key', join(keyDir, `${form}.pem`), ...urls]
  const run = async (argv: string[]) => {
    const io = cliIo(env)
    const code = await main(argv, io)
    const out = io.out.join('')
    const err = io.err.join('')
    printed.push(out, err)
    return { code, out, err }
  }

  // Each PEM form loads, and Apple (the simulator) gives a token for it.
  for (const [org, form] of [['acme', 'apple'], ['beta', 'sec1'], ['gamma', 'pkcs8']]) {
    const made = await run(args(org, form))
    t.equal(made.code, 0, `${form}: ${made.err}`)
    t.match(made.out, new RegExp(`^Created org ${org}: client BUSINESSAPI\\.\\S+, key \\S+, scope business\\.api; Apple gave it an access token \\(expires \\d{4}-\\S+Z\\)\\. Its devices are read at the service's next org refresh\\.\\n$`), form)
    t.equal(made.err, '')
  }
  const replaced = await run([...args('acme', 'apple'), '--no-verify'])
  t.equal(replaced.code, 0)
  t.match(replaced.out, /^Replaced org acme: .* not checked with Apple \(--no-verify\)\. /)

  const refusals: Array<[string[], RegExp]> = [
    [['org', 'import', 'acme', '--client-id', 'NOPE.1', '--key-id', 'k', '--key', join(keyDir, 'apple.pem')], /^depgate: INVALID_ORG_ACCOUNT: The client id must start with BUSINESSAPI\. or SCHOOLAPI\., .* Nothing was stored\.\n$/],
    [args('acme', 'apple', { ...accounts.apple, keyId: accounts.sec1.keyId }), /^depgate: ORG_CREDENTIALS_REJECTED: Apple refused this API account: check the client id, the key id .* Nothing was stored\.\n$/],
    [[...args('acme', 'apple'), '--base-url', 'ftp://example.com'], /^depgate: INVALID_ORG_ACCOUNT: --base-url invalid URL\. Nothing was stored\.\n$/],
    [['org', 'import', 'acme', '--client-id', accounts.apple.clientId, '--key-id', 'k', '--key', join(keyDir, 'missing.pem')], /^depgate: cannot read the key file .*missing\.pem: there is no such file\. Give --key the \.pem file .* Nothing was stored\.\n$/],
    [['org', 'import', 'acme', '--client-id', accounts.apple.clientId, '--key-id', 'k', '--key', keyDir], /^depgate: cannot read the key file .*EISDIR.* Nothing was stored\.\n$/]
  ]
  const notKey = join(keyDir, 'not-a-key.pem')
  writeFileSync(notKey, '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n')
  refusals.push([['org', 'import', 'acme', '--client-id', accounts.apple.clientId, '--key-id', 'k', '--key', notKey], /^depgate: INVALID_ORG_ACCOUNT: The private key is not a P-256 key in PEM form: give the whole \.pem file .* Nothing was stored\.\n$/])
  const empty = join(keyDir, 'empty.pem')
  writeFileSync(empty, '')
  refusals.push([['org', 'import', 'acme', '--client-id', accounts.apple.clientId, '--key-id', 'k', '--key', empty], /^depgate: the key file .*empty\.pem is empty: give --key the \.pem file/])
  const big = join(keyDir, 'big.pem')
  writeFileSync(big, 'x'.repeat(16_385))
  refusals.push([['org', 'import', 'acme', '--client-id', accounts.apple.clientId, '--key-id', 'k', '--key', big], /^depgate: the key file .*big\.pem is 16385 bytes, too large for a private key .*: is it the right file\? Nothing was stored\.\n$/])
  for (const [argv, message] of refusals) {
    const refused = await run(argv)
    t.equal(refused.code, 1, argv.join(' '))
    t.match(refused.err, message)
    t.equal(refused.out, '')
  }

  // Usage errors: exit 2 with the usage, before anything is read.
  for (const [argv, message] of [
    [['org', 'import', 'Not_A_Name', '--client-id', 'x', '--key-id', 'k', '--key', 'k.pem'], /value 'Not_A_Name' is invalid for argument 'org'\. must be 1-63 lower-case letters/],
    [['org', 'import', 'acme', '--client-id', 'x', '--key-id', 'k'], /required option '--key <pem>' not specified\n\nUsage: depgate org import/]
  ] as Array<[string[], RegExp]>) {
    const usage = await run(argv)
    t.equal(usage.code, 2)
    t.match(usage.err, message)
  }

  // Apple unreachable is not the account's fault: the sentence says how to skip the check.
  const io = cliIo(env)
  const unreachable = await runOrgImport('delta', { clientId: accounts.apple.clientId, keyId: accounts.apple.keyId, key: join(keyDir, 'apple.pem'), tokenUrl: 'http://127.0.0.1:9/token' }, {
    stdout: io.stdout,
    stderr: io.stderr,
    openStore: async () => await openSecureStore(loadConfig(env)),
    factory: (record) => defaultOrgClientFactory(record, { retryDeadlineMs: 50, retryDelayMs: 5 })
  })
  printed.push(...io.out, ...io.err)
  t.equal(unreachable, 1)
  t.match(io.err.join(''), /^depgate: UPSTREAM_UNREACHABLE: Apple's token endpoint could not be reached \(network error\); try again\. To store the account without this check, add --no-verify\.\n$/)

  // A failure that is not a refusal (the store cannot be opened) is not turned into one: main() reports it.
  const storeDown = new Error('the database is gone')
  await t.rejects(runOrgImport('delta', { clientId: accounts.apple.clientId, keyId: accounts.apple.keyId, key: join(keyDir, 'apple.pem'), verify: false }, {
    ...io,
    openStore: async () => { throw storeDown },
    factory: (record) => defaultOrgClientFactory(record)
  }), storeDown)

  const store = await openSecureStore(loadConfig(env))
  t.teardown(() => store.close())
  t.same((await store.orgs.list()).map((o) => o.name), ['acme', 'beta', 'gamma'], 'nothing stored by a refusal')
  t.equal((await store.orgs.get('gamma'))?.privateKeyPem, accounts.pkcs8.privateKey, 'the key opens again as it was given')
  t.match(await store.orgs.info('beta'), { clientId: accounts.sec1.clientId, scope: 'business.api', baseUrl: sim.url, tokenExpiresAt: String, tokenCheckedAt: String })
  t.equal((await store.orgs.info('acme'))?.tokenExpiresAt, undefined, 'replaced without verifying: no token state')
  t.ok((await store.orgMirror.getState('beta'))?.requested_at, 'the org mirror is asked to read the new account')
  t.same((await store.audit.list()).filter((e) => e.action === 'org.put').map((e) => `${e.keyId} ${e.target} ${e.result} ${e.detail}`).reverse(),
    ['cli /v1/orgs/acme ok created', 'cli /v1/orgs/beta ok created', 'cli /v1/orgs/gamma ok created', 'cli /v1/orgs/acme ok replaced'])

  // The key is in no output and in no file of the data directory (it is sealed there).
  for (const [i, text] of printed.entries()) t.equal(scanner.scan(text, `output #${i}`), undefined)
  for (const name of readdirSync(dataDir)) {
    const path = join(dataDir, name)
    if (statSync(path).isFile()) t.equal(scanner.scan(readFileSync(path).toString('latin1'), name), undefined, name)
  }
})
