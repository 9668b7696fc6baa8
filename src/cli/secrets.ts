/** `depgate secrets rotate`: a new secret key, refused while a depgate holds the store. */
import type { Command } from 'commander'
import { openStoreWithBox } from '../bootstrap.js'
import { loadConfig } from '../config.js'
import { lockHolder } from '../data-dir-lock.js'
import type { Store } from '../store/index.js'
import { RotateUsageError, runSecretsRotate, type RotateOptions } from '../tokens/rotate-command.js'
import type { CliIo } from './io.js'

/** Who holds the store: a depgate serving the data dir (its lock), replicas syncing (their live leases). */
async function storeHolders (dataDir: string, store: Store): Promise<string[]> {
  const found: string[] = []
  const pid = await lockHolder(dataDir)
  if (pid !== undefined) found.push(`depgate pid ${pid} is serving DEPGATE_DATA_DIR=${dataDir}`)
  for (const lease of await store.servers.liveSyncLeases()) {
    found.push(`replica ${lease.owner} holds the sync lease of server "${lease.server}" until ${lease.expiresAt}`)
  }
  return found
}

export function defineSecretsCommands (program: Command, io: CliIo, exit: (code: number) => void): void {
  const secrets = program.command('secrets').description('the secret key that seals OAuth secrets and private keys in the store')
  secrets.command('rotate').description('re-seal every stored secret under a new secret key (stop every depgate first)')
    .option('--new-key-env <VAR>', 'take the new key from this variable (needed when DEPGATE_SECRET_KEY is set)')
    .option('--yes', 'do not ask for confirmation (scripts)')
    .option('--force', 'rotate although a depgate seems to hold the store (its lock or a live sync lease)')
    .action(async (opts: RotateOptions, cmd: Command) => {
      const config = loadConfig(io.env)
      exit(await runSecretsRotate(opts, {
        stdout: io.stdout,
        env: io.env,
        dataDir: config.dataDir,
        openStore: async () => await openStoreWithBox(config),
        holders: async (store) => await storeHolders(config.dataDir, store),
        confirm: io.confirm
      }).catch((err: unknown) => {
        if (err instanceof RotateUsageError) cmd.error(`error: ${err.message}`, { exitCode: 2 })
        throw err
      }))
    })
}
