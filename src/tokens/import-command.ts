/**
 * `depgate token import <server> <file>`: stores a server token from the command line, with the
 * same checks as PUT /v1/servers/{server}/token. The file may be the `.p7m` from Apple (decrypted
 * with the server's staged or current key pair, made by POST …/certificate) or an already
 * decrypted token (JSON, or Apple's MIME text). It prints what the API answers: the server as
 * GET /v1/servers shows it (same mapping, same field names), and which key pair opened a `.p7m`.
 */
import { readFile, stat } from 'node:fs/promises'
import { serverInfo } from '../api/server-info.js'
import { DEFAULT_BASE_URL, DepClient } from '../dep/index.js'
import type { ServerToken } from '../dep/token.js'
import type { Store } from '../store/index.js'
import { assertP7mSize } from './p7m-input.js'
import { parseServerToken } from './server-token.js'
import { checkNotExpired, checkSameServer, decryptWithServerKeys, TokenImportError, verifyToken, type DecryptedUpload, type ImportSwitches } from './token-import.js'

/** The overrides as this command's options (the API names them force=true, verify=false). */
const CLI_SWITCHES: ImportSwitches = { force: '--force', skipVerify: '--no-verify' }

export interface ImportIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  openStore: () => Promise<Store>
  maxBytes: number
}

/** `--force`, `--no-verify` (commander's `verify: false`), `--base-url`. */
export interface ImportOptions { force?: boolean, verify?: boolean, baseUrl?: string }

/** A decrypted token is text holding "consumer_key"; a .p7m never does (it is encrypted). */
async function readToken (bytes: Buffer, store: Store, server: string, maxBytes: number): Promise<{ token: ServerToken, key?: DecryptedUpload['key'] }> {
  if (bytes.includes('consumer_key')) return { token: parseServerToken(bytes.toString('utf8')) }
  return decryptWithServerKeys(bytes, await store.servers.getKeys(server), maxBytes)
}

/** Returns the exit code: 0 stored, 1 refused (the reason on stderr, nothing stored). */
export async function runTokenImport (server: string, file: string, opts: ImportOptions, io: ImportIo): Promise<number> {
  try {
    return await importToken(server, file, opts, io)
  } catch (err) {
    if (!(err instanceof TokenImportError)) throw err
    io.stderr(`depgate: ${err.code}: ${err.explain(CLI_SWITCHES)}\n`)
    return 1
  }
}

async function importToken (server: string, file: string, values: ImportOptions, io: ImportIo): Promise<number> {
  assertP7mSize((await stat(file)).size, io.maxBytes)
  const bytes = await readFile(file)
  const store = await io.openStore()
  try {
    const upload = await readToken(bytes, store, server, io.maxBytes)
    const existing = await store.servers.get(server)
    checkSameServer(existing?.token, upload.token, values.force === true)
    checkNotExpired(upload.token, Date.now())
    const baseUrl = values.baseUrl ?? existing?.baseUrl ?? DEFAULT_BASE_URL
    let account
    if (values.verify !== false) {
      const probe = new DepClient({ token: upload.token, baseUrl, retry: { retries: 0 } })
      try {
        account = await verifyToken(() => probe.getAccount(), () => new Date())
      } finally {
        await probe.close()
      }
    }
    const { record, created } = await store.servers.upsert({
      name: server,
      token: upload.token,
      baseUrl,
      account,
      promoteStagedKey: upload.key === 'staged',
      audit: (made) => ({ keyId: 'cli', action: 'server.token', target: `/v1/servers/${server}`, result: 'ok', detail: made ? 'created' : 'replaced' })
    })
    // PUT …/token's answer; a decrypted file was opened by no key pair, so it has no `key`.
    const result = { created, key: upload.key, server: serverInfo(record, Date.now()) }
    io.stdout(`${JSON.stringify(result, null, 2)}\n`)
    return 0
  } finally {
    await store.close()
  }
}
