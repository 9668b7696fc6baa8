/**
 * The server registry's contract: what routes and engines may ask of it. Apart from the
 * implementation (registry.ts) so a route can name `DepServer` without loading the registry.
 */
import type { DepClient } from '../dep/index.js'
import type { AccountDetail } from '../dep/schemas.js'
import type { ServerToken } from '../dep/token.js'
import type { AuditEntryInput, ServerAudit } from '../store/index.js'
import type { AccountIdentity, OrgLink, OrgLinkWrite } from '../store/servers.js'
import type { DepServerInfo, StagedCertificate, TokenEvent, TokenEventType } from '../api/server-info.js'

export interface ImportTokenOptions {
  force?: boolean
  /** Try the token with /session + /account before storing it (default true). */
  verify?: boolean
  baseUrl?: string
}

export interface DepServer {
  name: string
  baseUrl: string
  info: DepServerInfo
  /** The org this server belongs to and its MDM server id there, if it is linked. */
  orgLink: OrgLink | undefined
  /** Created on first use, then reused. */
  readonly client: DepClient
}

export interface DepServerRegistry {
  /** The server, or throws a 404 problem `SERVER_NOT_FOUND`. */
  get (name: string): DepServer
  has (name: string): boolean
  list (): DepServerInfo[]
  /** `audit`: the row written in the transaction of the change (see plugins/app/audit.ts). */
  put (name: string, input: { token: ServerToken, baseUrl?: string, audit?: ServerAudit, orgLink?: OrgLink | null, account?: AccountIdentity }): Promise<{ server: DepServerInfo, created: boolean }>
  /** Links the server to its org (null unlinks), in one transaction with `audit`; throws SERVER_NOT_FOUND for an unknown server. */
  link (name: string, write: OrgLinkWrite): Promise<DepServerInfo>
  /** Apple's /account for a token not stored yet (a throwaway client, no retries). */
  probeAccount (token: ServerToken, baseUrl: string): Promise<AccountDetail>
  delete (name: string, audit?: AuditEntryInput): Promise<boolean>
  /** Re-reads the store (another replica or the CLI may have changed it). */
  reload (): Promise<void>
  /** Makes and stages a new key pair for the server (which need not exist yet); the current pair keeps working. */
  stageCertificate (name: string, audit?: AuditEntryInput): Promise<StagedCertificate>
  /** The staged certificate (made by stageCertificate, not yet used by an uploaded token), else undefined. */
  stagedCertificate (name: string): Promise<StagedCertificate | undefined>
  /** Decrypts an uploaded .p7m with the server's keys, checks and stores the token; throws TokenError / TokenImportError. Nothing is stored on failure. */
  importP7m (name: string, p7m: Buffer, opts?: ImportTokenOptions & { audit?: ServerAudit }): Promise<{ server: DepServerInfo, created: boolean, key: 'staged' | 'current' }>
  /** Subscribes to token events; returns the unsubscribe function. */
  onTokenEvent (listener: (e: TokenEvent) => void): () => void
  emitTokenEvent (type: TokenEventType, name: string, extra?: Partial<TokenEvent>): void
}

/** The registry's log lines: Fastify's logger fits, and so does pino or a test's recorder. */
export interface RegistryLog {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
}
