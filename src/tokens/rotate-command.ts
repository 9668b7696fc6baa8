/**
 * `depgate secrets rotate`: re-seals every secret in the store under a new secret-box key.
 *   - key file in use (the default): a new random key is written beside it as secret.key.new
 *     (0600), every value is re-sealed, then the new file replaces the old one. Interrupted, a
 *     re-run finishes the job: values already under the new key are skipped.
 *   - DEPGATE_SECRET_KEY in use, or --new-key-env given: the new key comes from that variable and
 *     the operator swaps DEPGATE_SECRET_KEY afterwards.
 */
import { randomBytes } from 'node:crypto'
import { chmod, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Store } from '../store/index.js'
import { createSecretBox, type SecretBox } from './secret-box.js'
import { parseSecretKey, SECRET_KEY_FILE } from './secret-key-file.js'

export const ROTATE_USAGE = 'usage: depgate secrets rotate [--new-key-env <VAR>]\n'

export interface RotateIo {
  stdout: (text: string) => void
  env: Record<string, string | undefined>
  dataDir: string
  /** The store with its current box installed, and where that key came from. */
  openStore: () => Promise<{ store: Store, box: SecretBox, source: 'input' | 'file' | 'created' }>
}

export class RotateUsageError extends Error {}

export async function runSecretsRotate (argv: string[], io: RotateIo): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { 'new-key-env': { type: 'string' } } })
  const variable = values['new-key-env']
  const { store, box: oldBox, source } = await io.openStore()
  try {
    if (variable === undefined && source === 'input') {
      throw new RotateUsageError('DEPGATE_SECRET_KEY is set: put the new key in another variable and pass --new-key-env <VAR>')
    }
    let newBox: SecretBox
    const keyFile = join(io.dataDir, SECRET_KEY_FILE)
    const pending = `${keyFile}.new`
    if (variable !== undefined) {
      const value = io.env[variable]
      if (value === undefined || value === '') throw new RotateUsageError(`--new-key-env names ${variable}, which is not set`)
      newBox = createSecretBox(parseSecretKey(value, variable))
    } else {
      // Reuse a pending key from an interrupted run: values already re-sealed under it must stay readable.
      const existing = await readFile(pending, 'utf8').catch(() => undefined)
      const key = existing === undefined ? randomBytes(32) : parseSecretKey(existing, pending)
      if (existing === undefined) {
        await writeFile(pending, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
        await chmod(pending, 0o600)
      }
      newBox = createSecretBox(key)
    }
    if (newBox.keyId === oldBox.keyId) throw new RotateUsageError('the new key is the current key')
    const n = await store.servers.rotateSecrets(oldBox, newBox)
    if (variable === undefined) {
      await rename(pending, keyFile)
      io.stdout(`Re-sealed ${n} secret(s) under key ${newBox.keyId}; ${keyFile} now holds the new key.\n`)
    } else {
      io.stdout(`Re-sealed ${n} secret(s) under key ${newBox.keyId}. Now set DEPGATE_SECRET_KEY to the value of ${variable}${source === 'input' ? '' : ` (it wins over ${keyFile}, which you can then delete)`} and restart depgate.\n`)
    }
    return 0
  } finally {
    await store.close()
  }
}
