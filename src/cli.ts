#!/usr/bin/env node
/**
 * `depgate`: serve (default), simulate, keys create|list|revoke, openapi, token. Commands that
 * touch the store open it directly (same DEPGATE_DATA_DIR as the service; SQLite WAL lets both run).
 */
import { parseArgs } from 'node:util'
import { keyView } from './api/api-key-views.js'
import { generateApiKey } from './api-key-secrets.js'
import { SCOPES, type Scope } from './scopes.js'
import { ConfigError, loadConfig } from './config.js'
import { exitWith, isEntryPoint } from './entry-point.js'
import { writeOpenApi } from './openapi.js'
import { ImportUsageError } from './tokens/import-command.js'
import { RotateUsageError } from './tokens/rotate-command.js'
import { openSecureStore, openStoreWithBox } from './bootstrap.js'
import type { Store } from './store/index.js'

export const USAGE = `Usage: depgate [command]

  serve                          start the gateway (default). Configuration: DEPGATE_* environment variables
  simulate [options]             run the DEP simulator alone (depgate simulate --help)
  keys create --label L --scope read|write|admin
                                 create an API key; prints it once
  keys list [--json]             list API keys (never secrets)
  keys revoke <id>               revoke an API key
  openapi [file]                 write the OpenAPI document (default openapi/openapi.json)
  token <command>                server-token tools (depgate token --help)
  token import <server> <file> [--force] [--no-verify] [--base-url <url>]
                                 store a server token (.p7m from Apple, or decrypted) with the API's checks
  secrets rotate [--new-key-env <VAR>]
                                 re-seal every stored secret under a new secret key
  help                           this text
`

export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  env: Record<string, string | undefined>
}

/* c8 ignore start - the process's own streams; tests pass their own io */
const defaultIo: CliIo = {
  stdout: (t) => { process.stdout.write(t) },
  stderr: (t) => { process.stderr.write(t) },
  env: process.env
}
/* c8 ignore stop */

class UsageError extends Error {}

async function withStore<T> (io: CliIo, fn: (store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig(io.env)
  const store = await openSecureStore(config)
  try {
    return await fn(store)
  } finally {
    await store.close()
  }
}

async function keysCommand (argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === 'create') {
    const { values } = parseArgs({ args: rest, options: { label: { type: 'string' }, scope: { type: 'string' } } })
    const label = values.label?.trim() ?? ''
    if (label === '' || label.length > 100) throw new UsageError('keys create needs --label (1-100 characters)')
    if (!(SCOPES as readonly string[]).includes(values.scope ?? '')) throw new UsageError('keys create needs --scope read, write or admin')
    const scope = values.scope as Scope
    const generated = generateApiKey()
    await withStore(io, async (store) => {
      await store.keys.create({ id: generated.id, label, scope, hash: generated.hash },
        { keyId: 'cli', action: 'key.create', target: `/v1/keys/${generated.id}`, result: 'ok', detail: `scope=${scope}` })
    })
    io.stderr(`Created ${scope} key ${generated.id} (${label}). It is shown once; depgate keeps only a hash:\n`)
    io.stdout(`${generated.key}\n`)
    return 0
  }
  if (sub === 'list') {
    const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } } })
    const keys = await withStore(io, (store) => store.keys.list())
    if (values.json) {
      // GET /v1/keys's mapping: the same field names, and null rather than a missing field.
      io.stdout(`${JSON.stringify(keys.map(keyView), null, 2)}\n`)
      return 0
    }
    io.stdout('ID            SCOPE  CREATED                   LAST USED                 REVOKED                   LABEL\n')
    for (const k of keys) {
      io.stdout(`${k.id.padEnd(13)} ${k.scope.padEnd(6)} ${k.createdAt.padEnd(25)} ${(k.lastUsedAt ?? '-').padEnd(25)} ${(k.revokedAt ?? '-').padEnd(25)} ${k.label}\n`)
    }
    return 0
  }
  if (sub === 'revoke') {
    const { positionals } = parseArgs({ args: rest, allowPositionals: true })
    const id = positionals[0]
    if (id === undefined) throw new UsageError('keys revoke needs the key id (see depgate keys list)')
    const revoked = await withStore(io, async (store) => {
      const entry = { keyId: 'cli', action: 'key.revoke', target: `/v1/keys/${id}` }
      const ok = await store.keys.revoke(id, { ...entry, result: 'ok' })
      // A refusal changes nothing: its row stands alone.
      if (!ok) await store.audit.record({ ...entry, result: 'KEY_NOT_FOUND' })
      return ok
    })
    if (!revoked) {
      io.stderr(`No active API key with id ${id}.\n`)
      return 1
    }
    io.stderr(`Revoked key ${id}.\n`)
    return 0
  }
  throw new UsageError('keys needs create, list or revoke')
}

/** Runs one command; resolves to the exit code (`serve` and `simulate` resolve once started). */
export async function main (argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [command = 'serve', ...rest] = argv
  try {
    switch (command) {
      case 'serve': {
        const config = loadConfig(io.env)
        /* c8 ignore start - runs until a signal; startDepgate itself is tested in test/start.test.ts */
        const { serve } = await import('./start.js')
        await serve(config)
        return 0
      }
      /* c8 ignore stop */
      case 'simulate': {
        const { runSimulateCommand } = await import('./simulator/index.js')
        await runSimulateCommand(rest, { out: (line) => { io.stdout(`${line}\n`) } })
        return 0
      }
      case 'token': {
        if (rest[0] === 'import') {
          const config = loadConfig(io.env)
          const { runTokenImport } = await import('./tokens/import-command.js')
          return await runTokenImport(rest.slice(1), { stdout: io.stdout, stderr: io.stderr, maxBytes: config.tokenMaxBytes, openStore: async () => await openSecureStore(config) })
        }
        const { runTokenCommand } = await import('./tokens/index.js')
        return await runTokenCommand(rest, { stdout: { write: io.stdout }, stderr: { write: io.stderr }, env: io.env })
      }
      case 'keys':
        return await keysCommand(rest, io)
      case 'secrets': {
        if (rest[0] !== 'rotate') throw new UsageError('secrets needs rotate')
        const config = loadConfig(io.env)
        const { runSecretsRotate } = await import('./tokens/rotate-command.js')
        return await runSecretsRotate(rest.slice(1), {
          stdout: io.stdout,
          env: io.env,
          dataDir: config.dataDir,
          openStore: async () => await openStoreWithBox(config)
        })
      }
      case 'openapi':
        io.stderr(`wrote ${await writeOpenApi(rest[0])}\n`)
        return 0
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE)
        return 0
      default:
        throw new UsageError(`unknown command "${command}"`)
    }
  } catch (err) {
    if ((err as Error).name === 'TokenError' || (err as Error).name === 'ServerTokenError' || (err as { code?: string }).code === 'ENOENT') {
      // Refusals with a message written for the admin (no secrets in them).
      io.stderr(`depgate: ${(err as { code?: string }).code === undefined ? '' : `${String((err as { code?: string }).code)}: `}${(err as Error).message}\n`)
      return 1
    }
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof ImportUsageError || err instanceof RotateUsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) {
      io.stderr(`depgate: ${(err as Error).message}\n`)
      if (err instanceof UsageError) io.stderr(`\n${USAGE}`)
      return 2
    }
    throw err
  }
}

/* c8 ignore next - the process entry point; tests call main() */
if (isEntryPoint(import.meta.url)) exitWith(() => main(process.argv.slice(2)))
