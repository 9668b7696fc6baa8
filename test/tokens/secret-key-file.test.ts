import { randomBytes } from 'node:crypto'
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { createSecretBox, loadOrCreateKeyFile, parseSecretKey } from '../../src/tokens/index.js'
import { tempDir } from './helpers.js'

const code = (c: string) => ({ name: 'TokenError', code: c })

t.test('parses 32-byte keys as hex, base64 or base64url, never echoing the input', async (t) => {
  const key = randomBytes(32)
  t.same(parseSecretKey(key.toString('hex')), key)
  t.same(parseSecretKey(` ${key.toString('base64')}\n`), key)
  t.same(parseSecretKey(key.toString('base64url')), key)
  const err = t.throws(() => parseSecretKey('c2VjcmV0LXRvby1zaG9ydA=='), { code: 'SECRET_KEY_INVALID', message: /^the secret key must be 32 random bytes/ }) as Error
  t.notMatch(err.message, /c2Vj/)
  t.throws(() => parseSecretKey(randomBytes(31).toString('hex')), code('SECRET_KEY_INVALID'))
  t.throws(() => parseSecretKey('z'.repeat(64)), code('SECRET_KEY_INVALID'))
})

t.test('creates the key file at first start, mode 0600, then reuses it', async (t) => {
  const dataDir = join(tempDir(t), 'data', 'nested')
  const first = await loadOrCreateKeyFile(dataDir)
  t.equal(first.source, 'created')
  t.equal(first.path, join(dataDir, 'secret.key'))
  t.equal(statSync(first.path!).mode & 0o777, 0o600)
  t.equal(statSync(dataDir).mode & 0o077, 0, 'data dir private too')
  t.equal(first.key.length, 32)
  const second = await loadOrCreateKeyFile(dataDir)
  t.equal(second.source, 'file')
  t.same(second.key, first.key)
  const box = createSecretBox(first.key)
  t.equal(createSecretBox(second.key).open(box.seal('x')), 'x', 'a restart can open what was sealed before')
})

t.test('replicas starting together agree on one key', async (t) => {
  const dataDir = tempDir(t)
  const results = await Promise.all([1, 2, 3, 4, 5, 6].map(() => loadOrCreateKeyFile(dataDir)))
  t.equal(results.filter((r) => r.source === 'created').length, 1)
  for (const r of results) t.same(r.key, results[0].key)
  t.same(readFileSync(join(dataDir, 'secret.key'), 'utf8').trim(), results[0].key.toString('base64'))
})

t.test('an operator key wins; a blank one falls back to the file', async (t) => {
  const dataDir = tempDir(t)
  const key = randomBytes(32)
  const loaded = await loadOrCreateKeyFile(dataDir, { secretKey: key.toString('base64') })
  t.same(loaded, { key, source: 'input' })
  await t.rejects(loadOrCreateKeyFile(dataDir, { secretKey: 'short' }), { code: 'SECRET_KEY_INVALID', message: /^DEPGATE_SECRET_KEY must be/ })
  t.equal((await loadOrCreateKeyFile(dataDir, { secretKey: '  ', fileName: 'other.key' })).path, join(dataDir, 'other.key'))
})

t.test('refuses a key file other users can read, and a damaged one', async (t) => {
  const dataDir = tempDir(t)
  const path = join(dataDir, 'secret.key')
  writeFileSync(path, randomBytes(32).toString('base64'), { mode: 0o644 })
  chmodSync(path, 0o644)
  await t.rejects(loadOrCreateKeyFile(dataDir), { code: 'SECRET_KEY_FILE_INSECURE', message: /mode 0644\); run: chmod 600 / })
  chmodSync(path, 0o620)
  await t.rejects(loadOrCreateKeyFile(dataDir), code('SECRET_KEY_FILE_INSECURE'), 'group-writable')
  writeFileSync(path, 'garbage')
  chmodSync(path, 0o600)
  await t.rejects(loadOrCreateKeyFile(dataDir), { code: 'SECRET_KEY_INVALID', message: new RegExp(`^${path} must be`) })
})

t.test('other file-system errors pass through', async (t) => {
  const dataDir = tempDir(t)
  // A path whose parent is a file: stat fails with ENOTDIR, not ENOENT.
  writeFileSync(join(dataDir, 'file'), '')
  await t.rejects(loadOrCreateKeyFile(join(dataDir, 'file')), { code: 'ENOTDIR' })
})
