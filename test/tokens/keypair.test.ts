import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { certificateFingerprint, decryptP7m, extractTokenJson, generateServerKeyPair } from '../../src/tokens/index.js'
import { encryptToken, NO_OPENSSL, openssl, tempDir, TOKEN_READ } from './helpers.js'

const now = new Date('2026-01-01T00:00:00Z')
const pair = generateServerKeyPair({ serverName: 'Paris office', validityDays: 30, now })

t.test('the certificate parses with openssl and says who it is for', { skip: NO_OPENSSL }, async (t) => {
  const dir = tempDir(t)
  const certPath = join(dir, 'cert.pem')
  writeFileSync(certPath, pair.certificatePem)
  const out = openssl(['x509', '-in', certPath, '-noout', '-subject', '-dates', '-ext', 'keyUsage', '-text']).toString()
  t.match(out, /subject=CN = depgate Paris office, O = depgate/)
  t.match(out, /notAfter=Jan 31 00:00:00 2026 GMT/)
  t.match(out, /Key Encipherment/)
  t.match(out, /Signature Algorithm: sha256WithRSAEncryption/)
  t.match(out, /Public-Key: \(2048 bit\)/)
  const fp = openssl(['x509', '-in', certPath, '-noout', '-fingerprint', '-sha256']).toString()
  t.equal(fp.trim(), `sha256 Fingerprint=${certificateFingerprint(pair.certificatePem)}`)
  t.match(pair.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/)
})

t.test('the upload flow: openssl encrypts to the generated certificate, the generated key decrypts', { skip: NO_OPENSSL }, async (t) => {
  const dir = tempDir(t)
  const certPath = join(dir, 'cert.pem')
  writeFileSync(certPath, pair.certificatePem)
  const p7m = readFileSync(encryptToken(dir, [certPath]))
  t.same(extractTokenJson(decryptP7m(p7m, pair.privateKeyPem, { certificatePem: pair.certificatePem })), TOKEN_READ)
})

t.test('defaults and limits', async (t) => {
  const def = generateServerKeyPair()
  t.match(def.certificatePem, /^-----BEGIN CERTIFICATE-----/)
  t.not(def.privateKeyPem, pair.privateKeyPem, 'every call makes a new key')
  t.throws(() => generateServerKeyPair({ validityDays: 0 }), RangeError)
  t.throws(() => generateServerKeyPair({ validityDays: 1.5 }), RangeError)
  t.throws(() => generateServerKeyPair({ validityDays: 3651 }), RangeError)
  const blank = generateServerKeyPair({ serverName: '   ', validityDays: 1 })
  t.match(new (await import('node:crypto')).X509Certificate(blank.certificatePem).subject, /CN=depgate default/)
})

t.test('fingerprint of something that is not a certificate', async (t) => {
  t.throws(() => certificateFingerprint('nope'), { name: 'TokenError', code: 'KEY_INVALID' })
})
