/**
 * The secret box's bookkeeping in the database: the additional data that ties each sealed value
 * to its row, the check value of the key the secrets are sealed with (0006: a replica, restart or
 * CLI with another key is refused at start instead of sealing what the others cannot open),
 * sealing tokens 0001 stored in clear, and rotation to a new key.
 */
import type { Kysely } from 'kysely'
import type { ServerToken } from '../dep/token.js'
import { isTokenError, TokenError } from '../tokens/errors.js'
import { rotateSealed, type SecretBox } from '../tokens/secret-box.js'
import type { Database } from './schema.js'
import { orgKeyAad } from './orgs.js'

export const tokenAad = (name: string): string => `depgate server token\0${name}`
export const keyAad = (name: string): string => `depgate server key\0${name}`

/** The one row of secret_key_check. */
const KEY_CHECK_ROW = 'secret-box'

/**
 * What checkSecretKey found: the installed key is the database's (`matched`), it is now recorded
 * as the database's (`stored`: a new database, or one from before the check whose secrets it
 * opens), or it is another key (`mismatched`).
 */
export type SecretKeyCheck = 'matched' | 'stored' | 'mismatched'

async function storedCheck (db: Kysely<Database>): Promise<string | undefined> {
  const row = await db.selectFrom('secret_key_check').select('check_value').where('name', '=', KEY_CHECK_ROW).executeTakeFirst()
  return row?.check_value
}

/** One sealed secret and its additional data, to prove a key on a database that has no check yet. */
async function anySealed (db: Kysely<Database>): Promise<{ sealed: string, aad: string } | undefined> {
  const token = await db.selectFrom('servers').select(['name', 'token_sealed']).where('token_sealed', 'is not', null).limit(1).executeTakeFirst()
  if (token !== undefined) return { sealed: token.token_sealed!, aad: tokenAad(token.name) }
  const org = await db.selectFrom('orgs').select(['name', 'private_key_sealed']).limit(1).executeTakeFirst()
  if (org !== undefined) return { sealed: org.private_key_sealed, aad: orgKeyAad(org.name) }
  const keys = await db.selectFrom('server_keys').select(['server', 'current_key', 'staged_key'])
    .where((eb) => eb.or([eb('current_key', 'is not', null), eb('staged_key', 'is not', null)])).limit(1).executeTakeFirst()
  return keys === undefined ? undefined : { sealed: (keys.current_key ?? keys.staged_key)!, aad: keyAad(keys.server) }
}

/**
 * Compares `box`'s key with the one the database's secrets are sealed with. The first time (a new
 * database, or one from before 0006) the key must open a secret already stored, if there is one,
 * and is then recorded. Never throws for another key: says so.
 */
export async function checkSecretKey (db: Kysely<Database>, box: SecretBox, now: () => Date): Promise<SecretKeyCheck> {
  const stored = await storedCheck(db)
  if (stored !== undefined) return stored === box.keyCheck ? 'matched' : 'mismatched'
  const sample = await anySealed(db)
  if (sample !== undefined) {
    try {
      box.open(sample.sealed, sample.aad)
    } catch (err) {
      // A tampered value is not a question of which key: that error goes up as it is.
      if (isTokenError(err, 'SECRET_BOX_WRONG_KEY')) return 'mismatched'
      throw err
    }
  }
  await db.insertInto('secret_key_check').values({ name: KEY_CHECK_ROW, check_value: box.keyCheck, created_at: now().toISOString() })
    .onConflict((oc) => oc.column('name').doNothing()).execute()
  // Two replicas starting together on a new database: the first insert wins, the other compares with it.
  return await storedCheck(db) === box.keyCheck ? 'stored' : 'mismatched'
}

/** Seals tokens still stored in clear by 0001; returns how many rows it sealed. */
export async function sealLegacyTokens (db: Kysely<Database>, box: SecretBox): Promise<number> {
  const rows = await db.selectFrom('servers').select(['name', 'token']).where('token_sealed', 'is', null).execute()
  for (const row of rows) {
    const token = JSON.parse(row.token) as ServerToken
    await db.updateTable('servers')
      .set({ token: '', token_sealed: box.seal(row.token, tokenAad(row.name)), token_expires_at: token.access_token_expiry ?? null })
      .where('name', '=', row.name).execute()
  }
  return rows.length
}

/**
 * Re-seals every secret from oldBox to newBox and records newBox's key check, in one transaction;
 * rows already under newBox are skipped (a re-run). Refuses (SECRET_BOX_WRONG_KEY) a database
 * whose key is neither. Returns the number of values re-sealed.
 */
export async function rotateSecrets (db: Kysely<Database>, oldBox: SecretBox, newBox: SecretBox, now: () => Date): Promise<number> {
  return await db.transaction().execute(async (trx) => {
    const stored = await storedCheck(trx)
    // The new key's check: a rotation interrupted after its commit, run again.
    if (stored !== undefined && stored !== oldBox.keyCheck && stored !== newBox.keyCheck) {
      throw new TokenError('SECRET_BOX_WRONG_KEY', `this database's secrets are sealed with neither the current secret key (${oldBox.keyId}) nor the new one (${newBox.keyId}): start from the key every replica uses (DEPGATE_SECRET_KEY, or the secret.key file)`)
    }
    let n = 0
    const again = (sealed: string, aad: string): string => {
      const next = rotateSealed(sealed, oldBox, newBox, aad)
      if (next !== sealed) n++
      return next
    }
    for (const row of await trx.selectFrom('servers').select(['name', 'token_sealed']).where('token_sealed', 'is not', null).execute()) {
      await trx.updateTable('servers').set({ token_sealed: again(row.token_sealed!, tokenAad(row.name)) }).where('name', '=', row.name).execute()
    }
    for (const row of await trx.selectFrom('orgs').select(['name', 'private_key_sealed']).execute()) {
      await trx.updateTable('orgs').set({ private_key_sealed: again(row.private_key_sealed, orgKeyAad(row.name)) }).where('name', '=', row.name).execute()
    }
    for (const row of await trx.selectFrom('server_keys').selectAll().execute()) {
      await trx.updateTable('server_keys').set({
        current_key: row.current_key === null ? null : again(row.current_key, keyAad(row.server)),
        staged_key: row.staged_key === null ? null : again(row.staged_key, keyAad(row.server))
      }).where('server', '=', row.server).execute()
    }
    const check = { check_value: newBox.keyCheck, created_at: now().toISOString() }
    await trx.insertInto('secret_key_check').values({ name: KEY_CHECK_ROW, ...check })
      .onConflict((oc) => oc.column('name').doUpdateSet(check)).execute()
    return n
  })
}
