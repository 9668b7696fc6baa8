/**
 * storeOrgAccount (src/orgs/account.ts) with clients of the test's own, for what Apple's
 * simulator does not do: a token answered without an expiry, a key refused as INVALID_KEY, and a
 * failure that is not Apple's (passed on as it is). Each stores nothing when it refuses, and the
 * client is closed every time.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import t from 'tap'
import { AxmError } from '../../src/axm/index.js'
import { storeOrgAccount } from '../../src/orgs/account.js'
import type { OrgClient } from '../../src/orgs/types.js'
import { HttpProblem } from '../../src/problems.js'
import { createSecretBox } from '../../src/tokens/secret-box.js'
import { openTestStore, testDialectFromEnv } from '../databases.js'

const PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
const ACCOUNT = { client_id: 'SCHOOLAPI.1234', key_id: 'k-1', private_key: PEM }

t.test('verification outcomes with clients of the test\'s own', async (t) => {
  const store = await openTestStore(t, testDialectFromEnv(), { secretBox: createSecretBox(randomBytes(32)) })
  let closed = 0
  const client = (verify: () => Promise<void>, expiresAt?: number) => () => ({ verify, tokenState: () => (expiresAt === undefined ? {} : { expiresAt }), close: async () => { closed++ } }) as unknown as OrgClient
  const audit = (created: boolean) => ({ keyId: 'test', action: 'org.put', target: '/v1/orgs/x', result: 'ok', detail: String(created) })

  const made = await storeOrgAccount(store, client(async () => {}), 'noexpiry', ACCOUNT, { verify: true, audit })
  t.match(made, { created: true, info: { name: 'noexpiry', scope: 'school.api' } })
  t.notOk('tokenExpiresAt' in made, 'a token without an expiry records none')
  t.equal((await store.orgs.info('noexpiry'))?.tokenCheckedAt, undefined)

  const invalidKey = new AxmError('bad signature', { code: 'INVALID_KEY', endpoint: 'token', status: 400 })
  const refused = await storeOrgAccount(store, client(async () => { throw invalidKey }), 'refused', ACCOUNT, { verify: true, audit }).catch((err: unknown) => err)
  t.ok(refused instanceof HttpProblem)
  t.match(refused, { statusCode: 422, code: 'ORG_CREDENTIALS_REJECTED', cause: invalidKey })
  const boom = new Error('not Apple\'s failure')
  await t.rejects(storeOrgAccount(store, client(async () => { throw boom }), 'broken', ACCOUNT, { verify: true, audit }), boom, 'passed on as it is')
  t.same((await store.orgs.list()).map((o) => o.name), ['noexpiry'], 'nothing stored by a refusal')
  t.equal(closed, 3, 'the client is closed every time')
})
