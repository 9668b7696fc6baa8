/**
 * The data directory as `depgate serve` needs it: private to the service user (it holds the
 * SQLite database, the first admin key and, by default, the secret key), and every problem with
 * it said in one line that names DEPGATE_DATA_DIR and what to do, instead of a stack trace from
 * whichever library touched it first.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs'

/** A refusal to start that the operator can act on: one line, exit code 1 (cli.ts). */
export class StartRefusal extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'StartRefusal'
  }
}

const name = (dataDir: string): string => `DEPGATE_DATA_DIR=${dataDir}`

/**
 * Says what an error from the file system or SQLite means for the data directory, or undefined
 * when it is not about the data directory (then it goes up as it is).
 */
export function explainDataDirError (err: unknown, dataDir: string): StartRefusal | undefined {
  const code = (err as { code?: unknown }).code
  if (code === 'ENOSPC' || code === 'SQLITE_FULL' || code === 'EDQUOT') {
    return new StartRefusal(`${name(dataDir)} is full (no space left on its disk): free some space there, or point DEPGATE_DATA_DIR at a directory on a disk with room`)
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN') {
    return new StartRefusal(`${name(dataDir)} is not writable by this user (${String(code)}): give the user depgate runs as ownership of it (chown), or point DEPGATE_DATA_DIR at a directory it owns`)
  }
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    return new StartRefusal(`${name(dataDir)} is not a directory (a file is in the way): point DEPGATE_DATA_DIR at a directory, or move that file`)
  }
  return undefined
}

/**
 * Creates the data directory (mode 0700) when missing, and refuses one that is not a directory,
 * not writable, or open to other users: what it holds is secret (key hashes, the audit log, the
 * mirror, sealed tokens), and a directory others can list and read exposes all of it.
 */
export function prepareDataDir (dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    // mkdir has refused a file in the way (EEXIST, ENOTDIR below it): what is here is a directory.
    const stats = statSync(dataDir)
    /* c8 ignore next 3 -- Windows has no POSIX group/other bits to check */
    if (process.platform !== 'win32' && (stats.mode & 0o077) !== 0) {
      const mode = (stats.mode & 0o777).toString(8).padStart(4, '0')
      throw new StartRefusal(`${name(dataDir)} is open to other users (mode ${mode}): anyone on this machine could read the database, the admin key and the secret key in it. Run: chmod 700 ${dataDir}`)
    }
    accessSync(dataDir, constants.W_OK | constants.X_OK)
  } catch (err) {
    if (err instanceof StartRefusal) throw err
    throw explainDataDirError(err, dataDir) ?? err
  }
}
