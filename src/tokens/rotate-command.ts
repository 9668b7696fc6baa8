/**
 * `depgate secrets rotate`: re-seals every secret in the store under a new secret-box key.
 *   - key file in use (the default): a new random key is written beside it as secret.key.new
 *     (0600), the current key is kept as secret.key.old (0600), every value is re-sealed, then
 *     the new file replaces the old one. Interrupted, a re-run finishes the job: values already
 *     under the new key are skipped. secret.key.old stays until `depgate serve` has opened every
 *     secret with the new key (rotation-check.ts): it is what opens a value that a replica still
 *     running with the old key sealed after the rotation.
 *   - DEPGATE_SECRET_KEY in use, or --new-key-env given: the new key comes from that variable and
 *     the operator swaps DEPGATE_SECRET_KEY afterwards.
 * It is dangerous (a replica running through it seals what no key opens), so it refuses while a
 * depgate holds the store, and asks before it starts.
 */
import { randomBytes } from 'node:crypto'
import { chmod, link, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Store } from '../store/index.js'
import { isTokenError } from './errors.js'
import { createSecretBox, type SecretBox } from './secret-box.js'
import { parseSecretKey, SECRET_KEY_FILE } from './secret-key-file.js'

export interface RotateOptions {
  newKeyEnv?: string
  /** Confirmed beforehand (scripts): no question asked. */
  yes?: boolean
  /** Rotate although the store looks in use. */
  force?: boolean
}

export interface RotateIo {
  stdout: (text: string) => void
  env: Record<string, string | undefined>
  dataDir: string
  /** The store with its current box installed, and where that key came from. */
  openStore: () => Promise<{ store: Store, box: SecretBox, source: 'input' | 'file' | 'created' }>
  /** Who holds the store now, each said in a few words (the data-dir lock, live sync leases). */
  holders: (store: Store) => Promise<string[]>
  /** Asks on a terminal; absent without one. */
  confirm?: (question: string) => Promise<boolean>
}

/** Bad usage: exit 2. */
export class RotateUsageError extends Error {}
/** Refused for a reason the operator can remove: exit 1. */
export class RotateRefusal extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'RotateRefusal'
  }
}

export const OLD_KEY_FILE = `${SECRET_KEY_FILE}.old`
export const NEW_KEY_FILE = `${SECRET_KEY_FILE}.new`

/** Writes `text` whole under a temporary name and renames it into place: never a partial file. */
async function writePrivate (path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  await writeFile(tmp, text, { mode: 0o600, flag: 'wx' })
  await chmod(tmp, 0o600) // writeFile's mode is filtered by the umask
  await rename(tmp, path)
}

/** The pending key of an interrupted run, a new one, or a refusal naming a broken file as safe to delete. */
async function pendingKey (pending: string): Promise<Buffer> {
  const existing = await readFile(pending, 'utf8').catch(() => undefined)
  if (existing === undefined) {
    const key = randomBytes(32)
    const tmp = `${pending}.${process.pid}.tmp`
    await writeFile(tmp, `${key.toString('base64')}\n`, { mode: 0o600 })
    await chmod(tmp, 0o600)
    // link() refuses an existing name: two rotations started together cannot swap keys under each other.
    try {
      await link(tmp, pending)
    } finally {
      await unlink(tmp)
    }
    return key
  }
  try {
    return parseSecretKey(existing, pending)
  } catch (err) {
    /* c8 ignore next -- parseSecretKey throws nothing else */
    if (!isTokenError(err, 'SECRET_KEY_INVALID')) throw err
    // The file is written whole before any value is sealed with it, and the re-sealing commits at
    // once or not at all: a file that holds no key never sealed anything.
    throw new RotateRefusal(`${pending} is empty or incomplete (a rotation was cut off while writing it), so no secret is sealed with it and it is safe to delete: rm ${pending}`)
  }
}

export async function runSecretsRotate (opts: RotateOptions, io: RotateIo): Promise<number> {
  const variable = opts.newKeyEnv
  const { store, box: oldBox, source } = await io.openStore()
  try {
    if (variable === undefined && source === 'input') {
      throw new RotateUsageError('DEPGATE_SECRET_KEY is set: put the new key in another variable and pass --new-key-env <VAR>')
    }
    const holders = await io.holders(store)
    if (holders.length > 0 && opts.force !== true) {
      throw new RotateRefusal(`the store is in use (${holders.join('; ')}). A depgate running through a rotation keeps the old key in memory, and what it seals afterwards no key opens. Stop every depgate replica first (pass --force only if they are stopped and this is a leftover)`)
    }
    if (opts.yes !== true) {
      if (io.confirm === undefined) throw new RotateUsageError('secrets rotate re-seals every stored secret under a new key and asks first; there is no terminal to ask on, so pass --yes to confirm')
      if (!await io.confirm('Re-seal every stored secret under a new key? Every depgate replica must be stopped now and started with the new key afterwards. [y/N] ')) {
        io.stdout('Not rotated.\n')
        return 1
      }
    }
    let newBox: SecretBox
    const keyFile = join(io.dataDir, SECRET_KEY_FILE)
    const pending = join(io.dataDir, NEW_KEY_FILE)
    if (variable !== undefined) {
      const value = io.env[variable]
      if (value === undefined || value === '') throw new RotateUsageError(`--new-key-env names ${variable}, which is not set`)
      newBox = createSecretBox(parseSecretKey(value, variable))
    } else {
      // Reuse a pending key from an interrupted run: values already re-sealed under it must stay readable.
      newBox = createSecretBox(await pendingKey(pending))
    }
    if (newBox.keyId === oldBox.keyId) throw new RotateUsageError('the new key is the current key')
    if (variable === undefined) {
      const current = await readFile(keyFile, 'utf8')
      const oldFile = join(io.dataDir, OLD_KEY_FILE)
      const kept = await readFile(oldFile, 'utf8').catch(() => undefined)
      if (kept !== undefined && kept.trim() !== current.trim()) {
        throw new RotateRefusal(`${oldFile} holds the key before an earlier rotation, and depgate serve has not yet confirmed that every secret opens without it. Start depgate serve once with the current key (it removes ${oldFile} when every secret opens), then rotate`)
      }
      // Before anything is re-sealed: the old key survives whatever happens next.
      await writePrivate(oldFile, current)
    }
    const n = await store.servers.rotateSecrets(oldBox, newBox)
    if (variable === undefined) {
      await rename(pending, keyFile)
      io.stdout(`Re-sealed ${n} secret(s) under key ${newBox.keyId}; ${keyFile} now holds the new key. The previous key is kept as ${join(io.dataDir, OLD_KEY_FILE)} until depgate serve has opened every secret with the new one.\n`)
    } else {
      io.stdout(`Re-sealed ${n} secret(s) under key ${newBox.keyId}. Now set DEPGATE_SECRET_KEY to the value of ${variable}${source === 'input' ? '' : ` (it wins over ${keyFile}, which you can then delete)`} and restart every depgate replica with it.\n`)
    }
    return 0
  } finally {
    await store.close()
  }
}
