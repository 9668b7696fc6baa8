/**
 * `depgate secrets rotate` as a dangerous command: it asks first (or takes --yes), refuses while a
 * depgate holds the store (the data-dir lock, a live sync lease) unless --force, keeps the
 * previous key as secret.key.old, and names a broken secret.key.new as safe to delete.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { openSecureStore } from '../../src/bootstrap.js'
import { main } from '../../src/cli.js'
import { loadConfig } from '../../src/config.js'
import { acquireDataDirLock } from '../../src/data-dir-lock.js'
import { cliIo, tempDir } from '../helper.js'

const TOKEN = { consumer_key: 'CK_rot', consumer_secret: 'CS_rot', access_token: 'AT_rot', access_secret: 'AS_rot' }

async function seeded (t: Test): Promise<{ env: Record<string, string>, keyFile: string }> {
  const dataDir = tempDir(t)
  const env = { DEPGATE_DATA_DIR: dataDir }
  const store = await openSecureStore(loadConfig(env))
  await store.servers.upsert({ name: 'acme', token: TOKEN })
  await store.close()
  return { env, keyFile: join(dataDir, 'secret.key') }
}

async function opens (env: Record<string, string>): Promise<boolean> {
  const store = await openSecureStore(loadConfig(env))
  try {
    return (await store.servers.get('acme'))?.token.consumer_secret === TOKEN.consumer_secret
  } finally {
    await store.close()
  }
}

t.test('asks on a terminal; without one it needs --yes', async (t) => {
  const { env, keyFile } = await seeded(t)
  const before = readFileSync(keyFile, 'utf8')
  const script = cliIo(env)
  t.equal(await main(['secrets', 'rotate'], script), 2)
  t.match(script.err.join(''), /^error: secrets rotate re-seals every stored secret under a new key and asks first; there is no terminal to ask on, so pass --yes to confirm\n\nUsage: depgate secrets rotate/)

  const questions: string[] = []
  const declined = { ...cliIo(env), confirm: async (q: string) => { questions.push(q); return false } }
  t.equal(await main(['secrets', 'rotate'], declined), 1)
  t.match(questions[0], /Every depgate replica must be stopped now/)
  t.equal(declined.out.join(''), 'Not rotated.\n')
  t.equal(readFileSync(keyFile, 'utf8'), before, 'nothing changed')

  const accepted = { ...cliIo(env), confirm: async () => true }
  t.equal(await main(['secrets', 'rotate'], accepted), 0, accepted.err.join(''))
  t.match(accepted.out.join(''), /The previous key is kept as .*secret\.key\.old until depgate serve has opened every secret with the new one/)
  t.not(readFileSync(keyFile, 'utf8'), before)
  t.equal(readFileSync(`${keyFile}.old`, 'utf8'), before, 'the previous key is kept')
  t.equal(statSync(`${keyFile}.old`).mode & 0o777, 0o600)
  t.ok(await opens(env), 'the store opens with the new key')

  // secret.key.old is still there (no serve confirmed the rotation): a second rotation would lose it.
  const again = cliIo(env)
  t.equal(await main(['secrets', 'rotate', '--yes'], again), 1)
  t.match(again.err.join(''), /secret\.key\.old holds the key before an earlier rotation.*Start depgate serve once with the current key/)
})

t.test('refuses while a depgate holds the store, unless --force', async (t) => {
  const { env, keyFile } = await seeded(t)
  const lock = await acquireDataDirLock(env.DEPGATE_DATA_DIR)
  const store = await openSecureStore(loadConfig(env))
  t.ok(await store.mirror.acquireLease('acme', 'replica-b:42:abcd', 60_000))
  await store.close()
  const before = readFileSync(keyFile, 'utf8')
  const refused = cliIo(env)
  t.equal(await main(['secrets', 'rotate', '--yes'], refused), 1)
  t.match(refused.err.join(''), `depgate pid ${process.pid} is serving DEPGATE_DATA_DIR=${env.DEPGATE_DATA_DIR}; replica replica-b:42:abcd holds the sync lease of server "acme" until `)
  t.equal(readFileSync(keyFile, 'utf8'), before, 'nothing changed')
  await lock.release()

  const forced = cliIo(env)
  t.equal(await main(['secrets', 'rotate', '--yes', '--force'], forced), 0, forced.err.join(''))
  t.ok(await opens(env))
})

t.test('an empty or partial secret.key.new is named as safe to delete', async (t) => {
  const { env, keyFile } = await seeded(t)
  for (const partial of ['', 'q0Zp8']) {
    writeFileSync(`${keyFile}.new`, partial, { mode: 0o600 })
    const io = cliIo(env)
    t.equal(await main(['secrets', 'rotate', '--yes'], io), 1)
    t.equal(io.err.join(''), `depgate: ${keyFile}.new is empty or incomplete (a rotation was cut off while writing it), so no secret is sealed with it and it is safe to delete: rm ${keyFile}.new\n`)
  }
  t.ok(await opens(env), 'the store is untouched')
})
