/** `depgate keys create|list|revoke`: API keys, on the store directly (the service need not run). */
import { Option, type Command } from 'commander'
import { keyView } from '../api/api-key-views.js'
import { generateApiKey } from '../api-key-secrets.js'
import { SCOPES, type Scope } from '../scopes.js'
import { openSecureStore } from '../bootstrap.js'
import { loadConfig } from '../config.js'
import type { Store } from '../store/index.js'
import type { CliIo } from './io.js'

async function withStore<T> (io: CliIo, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openSecureStore(loadConfig(io.env))
  try {
    return await fn(store)
  } finally {
    await store.close()
  }
}

export function defineKeysCommands (program: Command, io: CliIo, exit: (code: number) => void): void {
  const keys = program.command('keys').description('API keys: create, list, revoke (on the store directly)')

  keys.command('create').description('create an API key; prints it once (depgate keeps only a hash)')
    .requiredOption('--label <label>', 'what the key is for (1-100 characters)')
    .addOption(new Option('--scope <scope>', 'what the key may do').choices(SCOPES).makeOptionMandatory())
    .action(async (opts: { label: string, scope: Scope }, cmd: Command) => {
      const label = opts.label.trim()
      if (label === '' || label.length > 100) cmd.error('error: --label must be 1-100 characters', { exitCode: 2 })
      const generated = generateApiKey()
      await withStore(io, async (store) => {
        // The audit row in the same transaction as the key: a crash cannot leave a key nobody recorded.
        await store.keys.create({ id: generated.id, label, scope: opts.scope, hash: generated.hash },
          { keyId: 'cli', action: 'key.create', target: `/v1/keys/${generated.id}`, result: 'ok', detail: `scope=${opts.scope}` })
      })
      io.stderr(`Created ${opts.scope} key ${generated.id} (${label}). It is shown once; depgate keeps only a hash:\n`)
      io.stdout(`${generated.key}\n`)
    })

  keys.command('list').description('list API keys (never their secrets)')
    .option('--json', 'print what GET /v1/keys answers')
    .action(async (opts: { json?: boolean }) => {
      const list = await withStore(io, (store) => store.keys.list())
      if (opts.json === true) {
        // GET /v1/keys's mapping: the same field names, and null rather than a missing field.
        io.stdout(`${JSON.stringify(list.map(keyView), null, 2)}\n`)
        return
      }
      io.stdout('ID            SCOPE  CREATED                   LAST USED                 REVOKED                   LABEL\n')
      for (const k of list) {
        io.stdout(`${k.id.padEnd(13)} ${k.scope.padEnd(6)} ${k.createdAt.padEnd(25)} ${(k.lastUsedAt ?? '-').padEnd(25)} ${(k.revokedAt ?? '-').padEnd(25)} ${k.label}\n`)
      }
    })

  keys.command('revoke').description('revoke an API key (its id from depgate keys list)')
    .argument('<id>', 'the key id')
    .action(async (id: string) => {
      const revoked = await withStore(io, async (store) => {
        const entry = { keyId: 'cli', action: 'key.revoke', target: `/v1/keys/${id}` }
        const ok = await store.keys.revoke(id, { ...entry, result: 'ok' })
        // A refusal changes nothing: its row stands alone.
        if (!ok) await store.audit.record({ ...entry, result: 'KEY_NOT_FOUND' })
        return ok
      })
      if (!revoked) {
        io.stderr(`No active API key with id ${id}.\n`)
        exit(1)
        return
      }
      io.stderr(`Revoked key ${id}.\n`)
    })
}
