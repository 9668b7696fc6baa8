/**
 * `depgate org import`: stores an Apple Business / School Manager API account from the command
 * line, on the store directly (as `depgate token import` does: the service need not run; a running
 * one picks the account up, and its org mirror reads the organisation at the refresher's next
 * look). The checks, the verification and the sealing are PUT /v1/orgs/{org}'s own
 * (src/orgs/account.ts). It prints one line, never the key.
 */
import { readFile, stat } from 'node:fs/promises'
import { InvalidArgumentError, type Command } from 'commander'
import { ORG_NAME_PATTERN, putOrgSchema } from '../api/org-schemas.js'
import { openSecureStore } from '../bootstrap.js'
import { loadConfig } from '../config.js'
import { storeOrgAccount, type OrgAccount } from '../orgs/account.js'
import { defaultOrgClientFactory } from '../orgs/registry.js'
import type { OrgClientFactory } from '../orgs/types.js'
import { HttpProblem } from '../problems.js'
import type { Store } from '../store/index.js'
import type { CliIo } from './io.js'

/** Commander's options: `verify` is false with --no-verify. */
export interface OrgImportOptions { clientId: string, keyId: string, key: string, baseUrl?: string, tokenUrl?: string, verify?: boolean }

export interface OrgImportIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  openStore: () => Promise<Store>
  /** The AxM client that verifies the account (tests shorten its retries). */
  factory: OrgClientFactory
}

/** The options as PUT /v1/orgs/{org}'s body fields, to name them in a refusal. */
const OPTION_OF: Record<string, string> = { client_id: '--client-id', key_id: '--key-id', private_key: '--key', base_url: '--base-url', token_url: '--token-url' }

/** The largest key file read: PUT /v1/orgs/{org} takes a key up to this many characters (Apple's is about 250 bytes). */
const MAX_KEY_BYTES = putOrgSchema.shape.private_key.maxLength as number

/**
 * How long the verification may wait out Apple's 429 / 503 or a network failure: someone is at
 * the terminal, so a refusal after seconds (UPSTREAM_*: try again, or --no-verify) beats the
 * service's two minutes.
 */
const VERIFY_DEADLINE_MS = 15_000

class OrgImportRefusal extends Error {}

function parseOrgName (value: string): string {
  if (!ORG_NAME_PATTERN.test(value)) throw new InvalidArgumentError('must be 1-63 lower-case letters, digits or dashes, starting with a letter or digit.')
  return value
}

function unreadable (path: string, err: unknown): OrgImportRefusal {
  const code = (err as NodeJS.ErrnoException).code
  return new OrgImportRefusal(`cannot read the key file ${path}: ${code === 'ENOENT' ? 'there is no such file' : (err as Error).message}. Give --key the .pem file Apple Business Manager let you download. Nothing was stored.`)
}

async function readKey (path: string): Promise<string> {
  let size: number
  try {
    size = (await stat(path)).size
  } catch (err) {
    throw unreadable(path, err)
  }
  if (size === 0) throw new OrgImportRefusal(`the key file ${path} is empty: give --key the .pem file Apple Business Manager let you download. Nothing was stored.`)
  if (size > MAX_KEY_BYTES) throw new OrgImportRefusal(`the key file ${path} is ${size} bytes, too large for a private key (an Apple .pem is under 1 KB): is it the right file? Nothing was stored.`)
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    throw unreadable(path, err)
  }
}

/** The account as PUT's body, checked by PUT's own schema; a refusal names the option. */
function accountOf (opts: OrgImportOptions, privateKey: string): OrgAccount {
  const parsed = putOrgSchema.safeParse({ client_id: opts.clientId, key_id: opts.keyId, private_key: privateKey, base_url: opts.baseUrl, token_url: opts.tokenUrl })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new OrgImportRefusal(`INVALID_ORG_ACCOUNT: ${OPTION_OF[String(issue.path[0])]} ${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)}. Nothing was stored.`)
  }
  return parsed.data
}

/** What a refusal says on the command line; `verified` failures that are not the account's say how to skip the check. */
function refusalLine (err: HttpProblem): string {
  const skip = err.code === 'INVALID_ORG_ACCOUNT' || err.code === 'ORG_CREDENTIALS_REJECTED' ? '' : ' To store the account without this check, add --no-verify.'
  return `${err.code}: ${err.detail}${skip}`
}

async function importOrg (org: string, opts: OrgImportOptions, io: OrgImportIo): Promise<void> {
  const account = accountOf(opts, await readKey(opts.key))
  const verify = opts.verify !== false
  const store = await io.openStore()
  try {
    const audit = (created: boolean) => ({ keyId: 'cli', action: 'org.put', target: `/v1/orgs/${org}`, result: 'ok', detail: created ? 'created' : 'replaced' })
    const { info, created, tokenExpiresAt } = await storeOrgAccount(store, io.factory, org, account, { verify, audit })
    const checked = tokenExpiresAt === undefined ? 'not checked with Apple (--no-verify)' : `Apple gave it an access token (expires ${tokenExpiresAt})`
    io.stdout(`${created ? 'Created' : 'Replaced'} org ${org}: client ${info.clientId}, key ${info.keyId}, scope ${info.scope}; ${checked}. Its devices are read at the service's next org refresh.\n`)
  } finally {
    await store.close()
  }
}

/** Returns the exit code: 0 stored, 1 refused (one sentence on stderr, nothing stored). */
export async function runOrgImport (org: string, opts: OrgImportOptions, io: OrgImportIo): Promise<number> {
  try {
    await importOrg(org, opts, io)
    return 0
  } catch (err) {
    if (err instanceof HttpProblem) io.stderr(`depgate: ${refusalLine(err)}\n`)
    else if (err instanceof OrgImportRefusal) io.stderr(`depgate: ${err.message}\n`)
    else throw err
    return 1
  }
}

export function defineOrgCommands (program: Command, io: CliIo, exit: (code: number) => void): void {
  const org = program.command('org').description('Apple Business / School Manager organisations: storing their API account')

  org.command('import').description('store an API account (Apple Business Manager → Preferences → API) with the API\'s checks')
    .argument('<org>', 'the organisation\'s name at depgate (1-63 lower-case letters, digits, dashes)', parseOrgName)
    .requiredOption('--client-id <id>', 'the client id, BUSINESSAPI.… or SCHOOLAPI.…')
    .requiredOption('--key-id <id>', 'the key id shown beside it')
    .requiredOption('--key <pem>', 'the private key file Apple let you download (never printed)')
    .option('--base-url <url>', 'the API host (default by the client id; or a simulator\'s)')
    .option('--token-url <url>', 'Apple\'s token endpoint (or a simulator\'s)')
    .option('--no-verify', 'store without getting an access token from Apple first')
    .action(async (name: string, opts: OrgImportOptions) => {
      const config = loadConfig(io.env)
      exit(await runOrgImport(name, opts, {
        stdout: io.stdout,
        stderr: io.stderr,
        openStore: async () => await openSecureStore(config),
        factory: (record) => defaultOrgClientFactory(record, { retryDeadlineMs: VERIFY_DEADLINE_MS })
      }))
    })
}
