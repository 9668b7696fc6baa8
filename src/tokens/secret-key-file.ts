/**
 * Where the secret-box key comes from: an operator-supplied value (`DEPGATE_SECRET_KEY`, base64 or
 * hex of 32 bytes) or, for a zero-configuration install, a key file created in the data directory
 * at first start. The file must be private to the service user: a key readable by others would
 * make encryption at rest pointless, so a loose file is refused rather than silently fixed.
 */
import { randomBytes } from 'node:crypto'
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { TokenError } from './errors.js'
import { SECRET_KEY_BYTES } from './secret-box.js'

export const SECRET_KEY_FILE = 'secret.key'

export interface LoadKeyOptions {
  /** The operator's key (e.g. process.env.DEPGATE_SECRET_KEY); wins over the file when set. */
  secretKey?: string
  /** File name inside dataDir, default `secret.key`. */
  fileName?: string
}

export interface LoadedKey {
  key: Buffer
  source: 'input' | 'file' | 'created'
  /** The key file, unless the key came from input. */
  path?: string
}

/** Parses 32 bytes given as 64 hex digits or base64/base64url; the error never repeats the input. */
export function parseSecretKey (input: string, origin = 'the secret key'): Buffer {
  const text = input.trim()
  let key: Buffer | undefined
  if (/^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, 'hex')
  // Node's base64 decoder reads the url-safe alphabet too, so one call covers both.
  else if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(text)) key = Buffer.from(text, 'base64')
  if (key?.length !== SECRET_KEY_BYTES) {
    throw new TokenError('SECRET_KEY_INVALID', `${origin} must be ${SECRET_KEY_BYTES} random bytes as 64 hex digits or base64 (generate one with: openssl rand -base64 32)`)
  }
  return key
}

export async function loadOrCreateKeyFile (dataDir: string, opts: LoadKeyOptions = {}): Promise<LoadedKey> {
  if (opts.secretKey !== undefined && opts.secretKey.trim() !== '') {
    return { key: parseSecretKey(opts.secretKey, 'DEPGATE_SECRET_KEY'), source: 'input' }
  }
  const path = join(dataDir, opts.fileName ?? SECRET_KEY_FILE)
  const existing = await readKeyFile(path)
  if (existing !== undefined) return { key: existing, source: 'file', path }
  return await createKeyFile(dataDir, path)
}

async function readKeyFile (path: string): Promise<Buffer | undefined> {
  let mode: number
  try {
    mode = (await stat(path)).mode
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  /* c8 ignore next 3 -- Windows has no POSIX group/other bits to check */
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new TokenError('SECRET_KEY_FILE_INSECURE', `${path} is readable or writable by other users (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); run: chmod 600 ${path}`)
  }
  return parseSecretKey(await readFile(path, 'utf8'), path)
}

/**
 * Written to a temporary file and hard-linked into place: link() fails if the name exists, so two
 * replicas starting together on one data dir agree on a single key and nobody reads a half-written file.
 */
async function createKeyFile (dataDir: string, path: string): Promise<LoadedKey> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const key = randomBytes(SECRET_KEY_BYTES)
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  await writeFile(tmp, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
  try {
    await chmod(tmp, 0o600) // writeFile's mode is filtered by the umask; make sure of it
    await link(tmp, path)
  } catch (err) {
    /* c8 ignore next -- link() failing other than EEXIST (a file system without hard links) cannot be provoked portably; the error passes through */
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    const winner = await readKeyFile(path)
    return { key: winner!, source: 'file', path }
  } finally {
    await unlink(tmp)
  }
  return { key, source: 'created', path }
}
