/**
 * `depgate token …`: the admin's side of the server-token lifecycle without openssl.
 *   keypair --out <dir> [--name <server>] [--days <n>] [--force]
 *   decrypt --p7m <file> (--key <pem> [--cert <pem>] | --p12 <file> [--passphrase-env <VAR>]) [--max-bytes <n>]
 * `decrypt` prints the token JSON exactly as Apple wrote it inside the MESSAGE wrapper (what
 * `openssl smime -decrypt` plus stripping the wrapper gives), after checking it is a valid token,
 * so its output can be diffed against the old procedure and fed to anything that took that JSON.
 * (`token import`, which stores the token, needs the store and comes with it.)
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { isTokenError } from './errors.js'
import { certificateFingerprint, generateServerKeyPair } from './keypair.js'
import { decryptP7m } from './p7m.js'
import { assertP7mSize, DEFAULT_P7M_MAX_BYTES } from './p7m-input.js'
import { loadPkcs12 } from './pkcs12.js'
import { extractTokenJson, unwrapTokenText } from './token-text.js'

export interface CommandIo {
  stdout: { write (chunk: string): unknown }
  stderr: { write (chunk: string): unknown }
  env?: NodeJS.ProcessEnv
}

const USAGE = `usage: depgate token keypair --out <dir> [--name <server>] [--days <n>] [--force]
       depgate token decrypt --p7m <file> (--key <key.pem> [--cert <cert.pem>] | --p12 <file> [--passphrase-env <VAR>]) [--max-bytes <n>]
       depgate token import <server> <file> [--force] [--no-verify] [--base-url <url>]
`

class UsageError extends Error {}

/** Returns the process exit code: 0 done, 1 failed (message on stderr), 2 bad usage. */
export async function runTokenCommand (argv: string[], io: CommandIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [sub, ...rest] = argv
  try {
    if (sub === 'keypair') return await keypair(rest, io)
    if (sub === 'decrypt') return await decrypt(rest, io)
    if (sub === 'help' || sub === '--help' || sub === '-h') {
      io.stdout.write(USAGE)
      return 0
    }
    throw new UsageError(sub === undefined ? 'missing subcommand' : `unknown subcommand "${sub}"`)
  } catch (err) {
    if (err instanceof UsageError || String((err as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS_')) {
      io.stderr.write(`depgate token: ${(err as Error).message}\n${USAGE}`)
      return 2
    }
    if (isTokenError(err)) {
      io.stderr.write(`depgate token: ${err.code}: ${err.message}\n`)
      return 1
    }
    // File-system errors: the message names the path and the reason, no secrets.
    io.stderr.write(`depgate token: ${(err as Error).message}\n`)
    return 1
  }
}

async function keypair (args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: { out: { type: 'string' }, name: { type: 'string' }, days: { type: 'string' }, force: { type: 'boolean' } }
  })
  if (values.out === undefined) throw new UsageError('keypair needs --out <dir>')
  const days = values.days === undefined ? undefined : Number(values.days)
  if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= 3650)) throw new UsageError('--days must be a whole number from 1 to 3650')
  const pair = generateServerKeyPair({ serverName: values.name, validityDays: days })
  const dir = resolve(values.out)
  const keyPath = join(dir, 'key.pem')
  const certPath = join(dir, 'cert.pem')
  // Made when missing, readable by its owner only: it is where the private key lives.
  await mkdir(dir, { recursive: true, mode: 0o700 })
  // 'wx' refuses to overwrite: replacing key.pem would orphan every token already encrypted to it.
  const flag = values.force === true ? 'w' : 'wx'
  await writeFile(keyPath, pair.privateKeyPem, { mode: 0o600, flag })
  await writeFile(certPath, pair.certificatePem, { mode: 0o644, flag })
  io.stdout.write(`Wrote ${keyPath} (private key, mode 0600: keep it secret; it decrypts the server token)
Wrote ${certPath} (certificate, SHA-256 fingerprint ${certificateFingerprint(pair.certificatePem)})

Next: in Apple Business Manager or Apple School Manager, open Preferences > Your MDM Servers,
add (or edit) the MDM server, upload ${certPath} as its public key, save, then Download Token.
Decrypt the downloaded .p7m with:
  depgate token decrypt --p7m <downloaded>.p7m --key ${keyPath}
`)
  return 0
}

async function decrypt (args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      p7m: { type: 'string' },
      key: { type: 'string' },
      cert: { type: 'string' },
      p12: { type: 'string' },
      'passphrase-env': { type: 'string' },
      'max-bytes': { type: 'string' }
    }
  })
  if (values.p7m === undefined) throw new UsageError('decrypt needs --p7m <file>')
  if ((values.key === undefined) === (values.p12 === undefined)) throw new UsageError('decrypt needs exactly one of --key <pem> or --p12 <file>')
  const maxBytes = values['max-bytes'] === undefined ? DEFAULT_P7M_MAX_BYTES : Number(values['max-bytes'])
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new UsageError('--max-bytes must be a positive whole number')

  const { privateKeyPem, certificatePem } = values.key !== undefined
    ? { privateKeyPem: await readFile(values.key, 'utf8'), certificatePem: values.cert === undefined ? undefined : await readFile(values.cert, 'utf8') }
    : loadPkcs12(await readFile(values.p12!), passphrase(values['passphrase-env'], io.env ?? process.env))

  // Check the size before reading, so a wrong path to a huge file fails fast.
  assertP7mSize((await stat(values.p7m)).size, maxBytes)
  const text = decryptP7m(await readFile(values.p7m), privateKeyPem, { certificatePem, maxBytes })
  extractTokenJson(text) // refuse to print something that is not a token
  io.stdout.write(`${unwrapTokenText(text)}\n`)
  return 0
}

/** Passphrases come from the environment, never argv: argv is visible to every user in `ps`. */
function passphrase (variable: string | undefined, env: NodeJS.ProcessEnv): string {
  if (variable === undefined) return ''
  const value = env[variable]
  if (value === undefined) throw new UsageError(`--passphrase-env names ${variable}, which is not set`)
  return value
}
