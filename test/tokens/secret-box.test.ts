import { randomBytes } from 'node:crypto'
import t from 'tap'
import { createSecretBox, rotateSealed, sealedKeyId, secretKeyId } from '../../src/tokens/index.js'

const code = (c: string) => ({ name: 'TokenError', code: c })
const key = randomBytes(32)
const box = createSecretBox(key)

t.test('round trip, with and without additional data', async (t) => {
  const secret = 'CS_34c7b2b5 — ünïcode ✓'
  const sealed = box.seal(secret)
  t.match(sealed, /^v1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/)
  t.notMatch(sealed, /CS_/)
  t.equal(box.open(sealed), secret)
  t.not(box.seal(secret), sealed, 'a fresh nonce every time')
  t.equal(box.open(box.seal('')), '', 'empty plaintext')
  const bound = box.seal(secret, 'server:default/consumer_secret')
  t.equal(box.open(bound, 'server:default/consumer_secret'), secret)
  t.throws(() => box.open(bound, 'server:other/consumer_secret'), code('SECRET_BOX_TAMPERED'), 'moved to another row')
  t.throws(() => box.open(bound), code('SECRET_BOX_TAMPERED'))
  t.equal(box.keyId, secretKeyId(key))
  t.equal(sealedKeyId(sealed), box.keyId)
  key.fill(0) // the box keeps its own copy
  t.equal(box.open(sealed), secret)
})

t.test('tampering and malformed values', async (t) => {
  const sealed = box.seal('secret value')
  const parts = sealed.split('.')
  const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1)
  t.throws(() => box.open([...parts.slice(0, 4), flip(parts[4])].join('.')), code('SECRET_BOX_TAMPERED'), 'ciphertext')
  t.throws(() => box.open([...parts.slice(0, 3), flip(parts[3]), parts[4]].join('.')), code('SECRET_BOX_TAMPERED'), 'tag')
  t.throws(() => box.open([...parts.slice(0, 2), flip(parts[2]), ...parts.slice(3)].join('.')), code('SECRET_BOX_TAMPERED'), 'nonce')
  t.throws(() => box.open(['v2', ...parts.slice(1)].join('.')), code('SECRET_BOX_MALFORMED'), 'unknown version')
  t.throws(() => box.open(parts.slice(0, 4).join('.')), code('SECRET_BOX_MALFORMED'), 'missing part')
  t.throws(() => box.open(sealed.replace(/\.([^.]*)$/, '.!$1')), code('SECRET_BOX_MALFORMED'), 'not base64url')
  t.throws(() => box.open([...parts.slice(0, 3), parts[3].slice(0, 10), parts[4]].join('.')), code('SECRET_BOX_MALFORMED'), 'short tag')
  t.throws(() => box.open([parts[0], parts[1], 'AAAA', ...parts.slice(3)].join('.')), code('SECRET_BOX_MALFORMED'), 'short nonce')
  t.throws(() => box.open('plain text'), code('SECRET_BOX_MALFORMED'))
})

t.test('wrong key, bad keys, rotation', async (t) => {
  const other = createSecretBox(randomBytes(32))
  const sealed = box.seal('rotate me', 'aad')
  t.throws(() => other.open(sealed, 'aad'), { code: 'SECRET_BOX_WRONG_KEY', message: new RegExp(box.keyId) })
  t.throws(() => createSecretBox(randomBytes(16)), { code: 'SECRET_KEY_INVALID', message: /32 bytes, got 16/ })
  const rotated = rotateSealed(sealed, box, other, 'aad')
  t.equal(sealedKeyId(rotated), other.keyId)
  t.equal(other.open(rotated, 'aad'), 'rotate me')
  t.equal(rotateSealed(rotated, box, other, 'aad'), rotated, 'already rotated: unchanged')
  t.throws(() => rotateSealed(sealed, box, other, 'wrong aad'), code('SECRET_BOX_TAMPERED'))
})
