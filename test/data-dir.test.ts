// @slow: starts node processes (depgate serve from the build, or a throwaway one for a dead PID)
/**
 * The data directory at `depgate serve`: made private, refused when open to others or not a
 * directory, one server per SQLite directory (the lock), and a stale lock cleaned up. In-process;
 * test/serve-lock.test.ts runs two real processes on one directory.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { main } from '../src/cli.js'
import { loadConfig } from '../src/config.js'
import { explainDataDirError, prepareDataDir } from '../src/data-dir.js'
import { acquireDataDirLock, LOCK_FILE, lockHolder } from '../src/data-dir-lock.js'
import { explainListenError, startDepgate } from '../src/start.js'
import { cliIo, tempDir } from './helper.js'

const config = (dataDir: string) => loadConfig({ DEPGATE_DATA_DIR: dataDir, DEPGATE_PORT: '0', DEPGATE_SIMULATOR: 'off', DEPGATE_LOG_LEVEL: 'silent' })
const mode = (path: string): number => statSync(path).mode & 0o777

/** A PID that was alive and is not any more. */
function deadPid (): number {
  return spawnSync(process.execPath, ['-e', '']).pid!
}

t.test('a new data dir is 0700 and every file in it 0600, SQLite\'s -wal and -shm included', async (t) => {
  const dataDir = join(tempDir(t), 'new', 'data')
  const started = await startDepgate({ config: config(dataDir), out: () => {} })
  t.teardown(() => started.close())
  t.equal(mode(dataDir), 0o700)
  for (const file of ['depgate.sqlite', 'depgate.sqlite-wal', 'depgate.sqlite-shm', 'secret.key', 'admin-key', LOCK_FILE]) {
    t.equal(mode(join(dataDir, file)), 0o600, file)
  }
  t.equal(readFileSync(join(dataDir, LOCK_FILE), 'utf8'), `${process.pid}\n`, 'the lock names the PID')
})

t.test('an existing data dir open to other users is refused with the chmod to run', async (t) => {
  const dataDir = tempDir(t)
  for (const open of [0o755, 0o750, 0o701]) {
    chmodSync(dataDir, open)
    const octal = open.toString(8).padStart(4, '0')
    await t.rejects(startDepgate({ config: config(dataDir), out: () => {} }), {
      name: 'StartRefusal',
      message: `DEPGATE_DATA_DIR=${dataDir} is open to other users (mode ${octal}): anyone on this machine could read the database, the admin key and the secret key in it. Run: chmod 700 ${dataDir}`
    })
  }
  // Through the command: one line on stderr, exit 1, nothing started or written.
  const io = cliIo({ DEPGATE_DATA_DIR: dataDir, DEPGATE_PORT: '0' })
  t.equal(await main(['serve'], io), 1)
  t.match(io.err.join(''), new RegExp(`^depgate: DEPGATE_DATA_DIR=${dataDir} is open to other users .*Run: chmod 700 ${dataDir}\\n$`))
  t.notOk(existsSync(join(dataDir, 'depgate.sqlite')))
  chmodSync(dataDir, 0o700)
  const started = await startDepgate({ config: config(dataDir), out: () => {} })
  await started.close()
})

t.test('a file where the data dir should be, and what disk errors mean', async (t) => {
  const file = join(tempDir(t), 'data')
  writeFileSync(file, 'not a directory')
  await t.rejects(startDepgate({ config: config(file), out: () => {} }), { name: 'StartRefusal', message: `DEPGATE_DATA_DIR=${file} is not a directory (a file is in the way): point DEPGATE_DATA_DIR at a directory, or move that file` })
  await t.rejects(startDepgate({ config: config(join(file, 'below')), out: () => {} }), { message: /^DEPGATE_DATA_DIR=.* is not a directory/ })
  // Codes a root test process cannot provoke on a real disk (root writes anywhere; filling one needs a mount).
  for (const code of ['ENOSPC', 'SQLITE_FULL', 'EDQUOT']) t.match(explainDataDirError({ code }, '/d'), { message: /^DEPGATE_DATA_DIR=\/d is full \(no space left on its disk\): free some space/ }, code)
  for (const code of ['EACCES', 'EPERM', 'EROFS', 'SQLITE_READONLY', 'SQLITE_CANTOPEN']) t.match(explainDataDirError({ code }, '/d'), { message: `DEPGATE_DATA_DIR=/d is not writable by this user (${code})` }, code)
  t.equal(explainDataDirError(new Error('other'), '/d'), undefined, 'anything else goes up as it is')
  t.throws(() => { prepareDataDir('\0') }, { code: 'ERR_INVALID_ARG_VALUE' }, 'a bad path is not a data-dir problem')
})

t.test('one server per SQLite data dir; the lock goes with the server', async (t) => {
  const dataDir = tempDir(t)
  const first = await startDepgate({ config: config(dataDir), out: () => {} })
  t.equal(await lockHolder(dataDir), process.pid)
  await t.rejects(startDepgate({ config: config(dataDir), out: () => {} }), {
    name: 'StartRefusal',
    message: `another depgate (pid ${process.pid}) is serving DEPGATE_DATA_DIR=${dataDir}; stop it, or use PostgreSQL (DEPGATE_DATABASE_URL) to run several replicas`
  })
  t.equal((await fetch(`${first.url}/healthz`)).status, 200, 'the first keeps serving')
  await first.close()
  t.notOk(existsSync(join(dataDir, LOCK_FILE)), 'released on close')
  t.equal(await lockHolder(dataDir), undefined)
  const second = await startDepgate({ config: config(dataDir), out: () => {} })
  await second.close()
  // A refusal that is not about the directory goes up as it is, and frees the lock too.
  const otherKey = loadConfig({ DEPGATE_DATA_DIR: dataDir, DEPGATE_PORT: '0', DEPGATE_SIMULATOR: 'off', DEPGATE_SECRET_KEY: 'a'.repeat(64) })
  await t.rejects(startDepgate({ config: otherKey, out: () => {} }), { code: 'SECRET_BOX_WRONG_KEY' })
  t.equal(await lockHolder(dataDir), undefined)
})

t.test('a stale lock (its process is gone, or it is unreadable) is cleaned up', async (t) => {
  const dataDir = tempDir(t)
  const lockFile = join(dataDir, LOCK_FILE)
  // A dead process; this PID without a lock held in-process (a container restarted as PID 1); garbage.
  for (const content of [`${deadPid()}\n`, `${process.pid}\n`, '', 'pid?']) {
    writeFileSync(lockFile, content)
    t.equal(await lockHolder(dataDir), undefined, JSON.stringify(content))
    const lock = await acquireDataDirLock(dataDir)
    t.equal(readFileSync(lockFile, 'utf8'), `${process.pid}\n`)
    await lock.release()
    await lock.release() // twice is harmless
    t.notOk(existsSync(lockFile))
  }
  // A live process of someone else (PID 1 always exists) holds it.
  writeFileSync(lockFile, '1\n')
  await t.rejects(acquireDataDirLock(dataDir), { message: /another depgate \(pid 1\)/ })
  // A lock that cannot be read is not guessed about.
  rmSync(lockFile)
  mkdirSync(lockFile)
  await t.rejects(acquireDataDirLock(dataDir), { code: 'EISDIR' })
  rmSync(lockFile, { recursive: true })
  // A release never removes a lock that another process took over.
  writeFileSync(lockFile, `${deadPid()}\n`)
  const mine = await acquireDataDirLock(dataDir)
  writeFileSync(lockFile, '1\n')
  await mine.release()
  t.equal(readFileSync(lockFile, 'utf8'), '1\n')
})

t.test('listen errors name DEPGATE_HOST and DEPGATE_PORT', async (t) => {
  const dataDir = tempDir(t)
  // 192.0.2.1 (TEST-NET-1) is no address of this machine.
  await t.rejects(startDepgate({ config: loadConfig({ DEPGATE_DATA_DIR: dataDir, DEPGATE_HOST: '192.0.2.1', DEPGATE_PORT: '0', DEPGATE_SIMULATOR: 'off' }), out: () => {} }),
    { name: 'StartRefusal', message: 'DEPGATE_HOST=192.0.2.1 DEPGATE_PORT=0: the host is not an address of this machine; set DEPGATE_HOST to one of its addresses (127.0.0.1 for this machine only, 0.0.0.0 for all)' })
  t.notOk(existsSync(join(dataDir, LOCK_FILE)), 'the lock is released when listening fails')
  // Root (as tests often run) may listen below 1024: the mapping itself.
  t.match(explainListenError({ code: 'EACCES' }, { host: 'h', port: 443 }), { message: 'DEPGATE_HOST=h DEPGATE_PORT=443: this user may not listen on port 443 (ports below 1024 need privileges); set DEPGATE_PORT to 1024 or above' })
  const other = new Error('other')
  t.equal(explainListenError(other, { host: 'h', port: 1 }), other)
})
