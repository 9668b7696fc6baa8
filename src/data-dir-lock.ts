/**
 * One writer per SQLite data directory: `depgate serve` holds `<data dir>/depgate.lock`, which
 * names its PID. SQLite itself would let two servers share the file, but each would run its own
 * sync and embedded simulator and replace the other's `default` server; several replicas are what
 * PostgreSQL is for. A lock left by a crash (its PID is gone) is cleaned up safely.
 */
import { randomBytes } from 'node:crypto'
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { StartRefusal } from './data-dir.js'

export const LOCK_FILE = 'depgate.lock'

/** Lock files this process holds: its own PID in a lock file is stale unless it is one of these (a container restarts as PID 1). */
const held = new Set<string>()

export interface DataDirLock {
  readonly path: string
  release (): Promise<void>
}

async function readPid (path: string): Promise<number | undefined> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  const pid = Number(text?.trim())
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
}

function alive (pid: number, path: string): boolean {
  if (pid === process.pid) return held.has(path)
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists, it belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The PID of the live depgate serving `dataDir`, if one is. */
export async function lockHolder (dataDir: string): Promise<number | undefined> {
  const path = join(dataDir, LOCK_FILE)
  const pid = await readPid(path)
  return pid !== undefined && alive(pid, path) ? pid : undefined
}

export function lockedMessage (pid: number, dataDir: string): string {
  return `another depgate (pid ${pid}) is serving DEPGATE_DATA_DIR=${dataDir}; stop it, or use PostgreSQL (DEPGATE_DATABASE_URL) to run several replicas`
}

/**
 * Takes the lock or throws a StartRefusal naming the holder. The file is written whole under a
 * temporary name and linked into place (link fails when the name exists), so nobody reads a
 * half-written PID. A stale lock is renamed aside before it is removed: of two starters that both
 * found it stale, only one moves it, and one that moved a fresh lock instead puts it back.
 */
export async function acquireDataDirLock (dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, LOCK_FILE)
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`
  await writeFile(tmp, `${process.pid}\n`, { mode: 0o600 })
  try {
    for (;;) {
      try {
        await link(tmp, path)
        break
      } catch (err) {
        /* c8 ignore next -- link() failing other than EEXIST (no hard links) goes up as it is */
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
      const pid = await readPid(path)
      if (pid !== undefined && alive(pid, path)) throw new StartRefusal(lockedMessage(pid, dataDir))
      const aside = `${tmp}.stale`
      /* c8 ignore start -- races between two starters: another moved the stale lock first (try again), or a live lock replaced it between the read and the move (put it back) */
      try {
        await rename(path, aside)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
        throw err
      }
      const moved = await readPid(aside)
      if (moved !== pid && moved !== undefined && alive(moved, path)) await link(aside, path).catch(() => {})
      /* c8 ignore stop */
      await unlink(aside)
    }
  } finally {
    await unlink(tmp)
  }
  held.add(path)
  return {
    path,
    async release () {
      if (!held.delete(path)) return
      // Only our own lock: never one a later depgate took after ours was judged stale.
      if (await readPid(path) === process.pid) await unlink(path)
    }
  }
}
