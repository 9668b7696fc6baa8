/**
 * Webhook signing secrets at rest, on each database: sealed (never in clear in the table), opened
 * only with the subscription's own id as additional data, and re-sealed by a key rotation
 * (`depgate secrets rotate`) with the tokens, the previous secret of a rotation included.
 */
import { randomBytes } from 'node:crypto'
import { Kysely } from 'kysely'
import t from 'tap'
import { generateWebhookSecret } from '../../src/events/signing.js'
import { createDialect } from '../../src/store/dialect.js'
import { createSecretBox } from '../../src/tokens/secret-box.js'
import { DIALECTS, openTestStore } from '../databases.js'

for (const dialect of DIALECTS) {
  t.test(`webhook secrets on ${dialect}`, async (t) => {
    const boxA = createSecretBox(randomBytes(32))
    const store = await openTestStore(t, dialect, { secretBox: boxA })
    const input = { url: 'https://hooks.example.com/a', description: '', events: ['*'], servers: ['*'], enabled: true }
    const first = generateWebhookSecret()
    const rotated = await store.webhooks.create({ ...input, secret: first })
    const second = generateWebhookSecret()
    await store.webhooks.rotateSecret(rotated.id, second, 3_600_000)
    const plain = await store.webhooks.create({ ...input, secret: generateWebhookSecret() })
    t.same(await store.webhooks.signingSecrets(rotated.id), [second, first], 'both sign during the grace period')

    const raw = new Kysely<any>(createDialect(store.database))
    t.teardown(() => raw.destroy())
    const rows = await raw.selectFrom('webhook_subscriptions').selectAll().execute()
    t.notOk(JSON.stringify(rows).includes(first.slice(6, 30)), 'no secret in clear in the table')

    const boxB = createSecretBox(randomBytes(32))
    t.equal(await store.servers.rotateSecrets(boxA, boxB), 3, 'two secrets of one subscription, one of the other')
    const reopened = await openTestStore(t, dialect, { database: store.database, secretBox: boxB })
    t.same(await reopened.webhooks.signingSecrets(rotated.id), [second, first])
    t.equal((await reopened.webhooks.signingSecrets(plain.id)).length, 1)
    // A sealed value moved to another row does not open there.
    const moved = await raw.selectFrom('webhook_subscriptions').select('secret_sealed').where('id', '=', rotated.id).executeTakeFirstOrThrow()
    await raw.updateTable('webhook_subscriptions').set({ secret_sealed: moved.secret_sealed }).where('id', '=', plain.id).execute()
    await t.rejects(reopened.webhooks.signingSecrets(plain.id), { name: 'TokenError', code: 'SECRET_BOX_TAMPERED' })
  })
}
