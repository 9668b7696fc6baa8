/** `depgate token keypair|decrypt|import`: the server-token lifecycle from the command line. */
import { InvalidArgumentError, type Command } from 'commander'
import { openSecureStore } from '../bootstrap.js'
import { loadConfig } from '../config.js'
import { decrypt, keypair, TokenUsageError, type DecryptOptions, type KeypairOptions } from '../tokens/cli.js'
import { runTokenImport, type ImportOptions } from '../tokens/import-command.js'
import type { CliIo } from './io.js'

/** commander's parser for a whole number within [min, max]. */
export function wholeNumber (min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value)
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}.`)
    return n
  }
}

export function defineTokenCommands (program: Command, io: CliIo, exit: (code: number) => void): void {
  const token = program.command('token').description('server tokens: the key pair for Apple, decrypting and storing the token')

  token.command('keypair').description('make the key pair and the certificate to upload to Apple Business/School Manager')
    .requiredOption('--out <dir>', 'where key.pem (0600) and cert.pem go (made when missing)')
    .option('--name <server>', 'the server name in the certificate subject')
    .option('--days <n>', 'certificate validity', wholeNumber(1, 3650))
    .option('--force', 'overwrite an existing key.pem (tokens encrypted to it can no longer be opened)')
    .action(async (opts: KeypairOptions) => { await keypair(opts, io) })

  token.command('decrypt').description("print the token JSON inside Apple's .p7m (what openssl smime -decrypt gives)")
    .requiredOption('--p7m <file>', 'the file Apple gave you')
    .option('--key <pem>', 'the private key (from token keypair)')
    .option('--cert <pem>', 'its certificate (picks the recipient when the .p7m has several)')
    .option('--p12 <file>', 'a PKCS#12 file instead of --key')
    .option('--passphrase-env <VAR>', 'the variable that holds the PKCS#12 passphrase (never argv: ps shows it)')
    .option('--max-bytes <n>', 'largest .p7m read', wholeNumber(1))
    .action(async (opts: DecryptOptions, cmd: Command) => {
      try {
        await decrypt(opts, io)
      } catch (err) {
        // Options that do not fit together: a usage error like commander's own, with the usage.
        if (err instanceof TokenUsageError) cmd.error(`error: ${err.message}`, { exitCode: 2 })
        throw err
      }
    })

  token.command('import').description('store a server token (.p7m from Apple, or decrypted) with the API\'s checks')
    .argument('<server>', 'the DEP server name')
    .argument('<file>', 'the .p7m, or the decrypted token')
    .option('--force', 'replace a token of another Apple MDM server')
    .option('--no-verify', 'store without asking Apple whether the token works')
    .option('--base-url <url>', "Apple's DEP URL (or a simulator's)")
    .action(async (server: string, file: string, opts: ImportOptions) => {
      const config = loadConfig(io.env)
      exit(await runTokenImport(server, file, opts, { stdout: io.stdout, stderr: io.stderr, maxBytes: config.tokenMaxBytes, openStore: async () => await openSecureStore(config) }))
    })
}
