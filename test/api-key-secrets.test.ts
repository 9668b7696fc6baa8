import t from 'tap'
import { generateApiKey, hashSecret, parseApiKey, verifySecret } from '../src/api-key-secrets.js'

t.test('generated keys parse back and verify', async (t) => {
  const k = generateApiKey()
  t.match(k.key, /^dgk_[a-f0-9]{12}_[A-Za-z0-9_-]{43}$/)
  const parsed = parseApiKey(k.key)
  t.equal(parsed?.id, k.id)
  t.equal(hashSecret(parsed?.secret ?? ''), k.hash)
  t.ok(verifySecret(parsed?.secret ?? '', k.hash))
  t.notOk(verifySecret('wrong', k.hash))
  t.not(generateApiKey().key, k.key)
})

t.test('constant-time path: unknown ids and odd hashes fail without a shortcut', async (t) => {
  t.notOk(verifySecret('anything', undefined), 'no stored hash still compares, and fails')
  t.notOk(verifySecret('anything', 'abcd'), 'a malformed stored hash fails')
  t.notOk(verifySecret('depgate-no-such-key', undefined), 'even the dummy secret does not pass')
})

t.test('parse refuses other shapes', async (t) => {
  for (const s of ['', 'dgk_', 'dgk_0123456789ab_short', 'xyz_0123456789ab_' + 'a'.repeat(43), 'dgk_0123456789AB_' + 'a'.repeat(43)]) {
    t.equal(parseApiKey(s), undefined, s)
  }
})
