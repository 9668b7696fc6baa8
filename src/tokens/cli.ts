/**
 * `depgate token keypair|decrypt`: the admin's side of the server-token lifecycle without openssl.
 * `decrypt` prints the token JSON exactly as Apple wrote it inside the MESSAGE wrapper (what
 * `openssl smime -decrypt` plus stripping the wrapper gives), after checking it is a valid token,
 * so its output can be diffed against the old procedure and fed to anything that took that JSON.
 * The arguments are parsed by the `depgate` program (src/cli/token.ts); these take them parsed.
 * (`token import`, which stores the token, needs the store and comes with it.)
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { certificateFingerprint, generateServerKeyPair } from './keypair.js'
import { decryptP7m } from './p7m.js'
import { assertP7mSize, DEFAULT_P7M_MAX_BYTES } from './p7m-input.js'
import { loadPkcs12 } from './pkcs12.js'
import { extractTokenJson, unwrapTokenText } from './token-text.js'

export interface CommandIo {
  stdout: (text: string) => void
  env: Record<string, string | undefined>
}

/** Arguments that do not fit together: the command line's fault (exit 2), not the files'. */
export class TokenUsageError extends Error {}

export interface KeypairOptions { out: string, name?: string, days?: number, force?: boolean }
export interface DecryptOptions { p7m: string, key?: string, cert?: string, p12?: string, passphraseEnv?: string, maxBytes?: number }

export async function keypair (values: KeypairOptions, io: CommandIo): Promise<void> {
  const pair = generateServerKeyPair({ serverName: values.name, validityDays: values.days })
  const dir = resolve(values.out)
  const keyPath = join(dir, 'key.pem')
  const certPath = join(dir, 'cert.pem')
  // Made when missing, readable by its owner only: it is where the private key lives.
  await mkdir(dir, { recursive: true, mode: 0o700 })
  // 'wx' refuses to overwrite: replacing key.pem would orphan every token already encrypted to it.
  const flag = values.force === true ? 'w' : 'wx'
  await writeFile(keyPath, pair.privateKeyPem, { mode: 0o600, flag })
  await writeFile(certPath, pair.certificatePem, { mode: 0o644, flag })
  io.stdout(`Wrote ${keyPath} (private key, mode 0600: keep it secret; it decrypts the server token)
Wrote ${certPath} (certificate, SHA-256 fingerprint ${certificateFingerprint(pair.certificatePem)})

Next: in Apple Business Manager or Apple School Manager, open Preferences > Your MDM Servers,
add (or edit) the MDM server, upload ${certPath} as its public key, save, then Download Token.
Decrypt the downloaded .p7m with:
  depgate token decrypt --p7m <downloaded>.p7m --key ${keyPath}
`)
}

export async function decrypt (values: DecryptOptions, io: CommandIo): Promise<void> {
  if ((values.key === undefined) === (values.p12 === undefined)) throw new TokenUsageError('decrypt needs exactly one of --key <pem> or --p12 <file>')
  const maxBytes = values.maxBytes ?? DEFAULT_P7M_MAX_BYTES

  const { privateKeyPem, certificatePem } = values.key !== undefined
    ? { privateKeyPem: await readFile(values.key, 'utf8'), certificatePem: values.cert === undefined ? undefined : await readFile(values.cert, 'utf8') }
    : loadPkcs12(await readFile(values.p12!), passphrase(values.passphraseEnv, io.env))

  // Check the size before reading, so a wrong path to a huge file fails fast.
  assertP7mSize((await stat(values.p7m)).size, maxBytes)
  const text = decryptP7m(await readFile(values.p7m), privateKeyPem, { certificatePem, maxBytes })
  extractTokenJson(text) // refuse to print something that is not a token
  io.stdout(`${unwrapTokenText(text)}\n`)
}

/** Passphrases come from the environment, never argv: argv is visible to every user in `ps`. */
function passphrase (variable: string | undefined, env: CommandIo['env']): string {
  if (variable === undefined) return ''
  const value = env[variable]
  if (value === undefined) throw new TokenUsageError(`--passphrase-env names ${variable}, which is not set`)
  return value
}
