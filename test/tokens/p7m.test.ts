import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import forge from 'node-forge'
import { decryptP7m, extractTokenJson, generateServerKeyPair } from '../../src/tokens/index.js'
import { encryptToken, NO_OPENSSL, openssl, opensslKeyPair, tempDir, TOKEN, TOKEN_MIME, TOKEN_READ } from './helpers.js'

const code = (c: string) => ({ name: 'TokenError', code: c })

t.test('decrypts what openssl smime -encrypt produces, in every shape and cipher', { skip: NO_OPENSSL }, async (t) => {
  const dir = tempDir(t)
  const { keyPath, certPath } = opensslKeyPair(dir)
  const key = readFileSync(keyPath, 'utf8')
  const cert = readFileSync(certPath, 'utf8')
  for (const cipher of ['aes256', 'des3', 'aes128', 'aes192']) {
    for (const outform of ['SMIME', 'DER', 'PEM'] as const) {
      const file = encryptToken(dir, [certPath], { cipher, outform })
      const bytes = readFileSync(file)
      const text = decryptP7m(bytes, key)
      // Same bytes as openssl's own decryption.
      t.equal(text, openssl(['smime', '-decrypt', '-in', file, '-inform', outform, '-inkey', keyPath]).toString(), `${cipher} ${outform}`)
      t.same(extractTokenJson(text), TOKEN_READ)
      // Strings are text (UTF-8); DER only makes sense as a Buffer.
      const input = outform === 'DER' ? bytes : bytes.toString('utf8')
      t.equal(decryptP7m(input, key, { certificatePem: cert }), text, `${cipher} ${outform}, recipient by certificate`)
    }
  }
  // The base64 body alone, as someone might paste it.
  const smime = readFileSync(encryptToken(dir, [certPath]), 'utf8')
  const body = smime.split(/\n\n/)[1]
  t.equal(decryptP7m(body, key), TOKEN_MIME)
  // Apple-style header spelling (no x-, folded line, quoted smime-type).
  const apple = smime.replace(/Content-Type: [^\n]*\n/, 'Content-Type: application/pkcs7-mime;\n\tsmime-type="enveloped-data"; name=smime.p7m\n')
    .replace(/MIME-Version[^\n]*\n/, '')
  t.equal(decryptP7m(apple, key), TOKEN_MIME)
  t.equal(decryptP7m(smime.replace(/Content-Transfer-Encoding[^\n]*\n/, ''), key), TOKEN_MIME, 'base64 is the default transfer encoding')
  t.equal(decryptP7m(smime.replace(/ smime-type=enveloped-data;/, ''), key), TOKEN_MIME, 'smime-type is optional')
  t.equal(decryptP7m(smime.replace('\n\n', '\nnot a header line\n\n'), key), TOKEN_MIME, 'stray header lines are ignored')
})

t.test('recipients: picks by certificate, or tries each', { skip: NO_OPENSSL }, async (t) => {
  const dir = tempDir(t)
  const a = opensslKeyPair(dir, 'a')
  const b = opensslKeyPair(dir, 'b')
  const c = opensslKeyPair(dir, 'c')
  const file = readFileSync(encryptToken(dir, [a.certPath, b.certPath]))
  const keyB = readFileSync(b.keyPath, 'utf8')
  t.equal(decryptP7m(file, keyB), TOKEN_MIME, 'second recipient found by trying')
  t.equal(decryptP7m(file, keyB, { certificatePem: readFileSync(b.certPath, 'utf8') }), TOKEN_MIME)
  t.throws(() => decryptP7m(file, readFileSync(c.keyPath, 'utf8')), code('P7M_WRONG_KEY'))
  t.throws(() => decryptP7m(file, keyB, { certificatePem: readFileSync(c.certPath, 'utf8') }), code('P7M_WRONG_KEY'))
  t.throws(() => decryptP7m(file, keyB, { certificatePem: 'not a cert' }), code('KEY_INVALID'))
  t.throws(() => decryptP7m(file, 'not a key'), code('KEY_INVALID'))
  const ec = openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']).toString()
  t.throws(() => decryptP7m(file, ec), { code: 'KEY_INVALID', message: /ec, Apple needs an RSA key/ })
  // A generated key whose certificate was never uploaded: the message must not leak anything.
  const other = generateServerKeyPair({ validityDays: 1 })
  t.throws(() => decryptP7m(file, other.privateKeyPem), { code: 'P7M_WRONG_KEY', message: /not encrypted to this private key/ })
})

t.test('unsupported algorithms', { skip: NO_OPENSSL }, async (t) => {
  const dir = tempDir(t)
  const { keyPath, certPath } = opensslKeyPair(dir)
  const key = readFileSync(keyPath, 'utf8')
  const camellia = readFileSync(encryptToken(dir, [certPath], { cipher: 'camellia256' }))
  t.throws(() => decryptP7m(camellia, key), { code: 'P7M_UNSUPPORTED_CIPHER', message: /OID 1\.2\.392/ })
  const oaepPath = join(dir, 'oaep.p7m')
  writeFileSync(join(dir, 'plain.txt'), TOKEN_MIME)
  openssl(['cms', '-encrypt', '-aes256', '-in', join(dir, 'plain.txt'), '-recip', certPath, '-keyopt', 'rsa_padding_mode:oaep', '-outform', 'DER', '-out', oaepPath])
  t.throws(() => decryptP7m(readFileSync(oaepPath), key), { code: 'P7M_UNSUPPORTED_CIPHER', message: /RSA PKCS#1 v1\.5/ })
  // Enveloped data cut down to its version: forge cannot read it.
  t.throws(() => decryptP7m(envelopedVersionOnly(), key), code('P7M_CORRUPT'))
  // A real token with its encrypted content removed (detached content, optional in CMS): forge refuses it.
  const der = readFileSync(encryptToken(dir, [certPath], { outform: 'DER' }))
  const asn1 = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')))
  const enveloped = ((asn1.value as forge.asn1.Asn1[])[1].value as forge.asn1.Asn1[])[0]
  const encryptedContentInfo = (enveloped.value as forge.asn1.Asn1[])[2]
  ;(encryptedContentInfo.value as forge.asn1.Asn1[]).pop()
  const detached = Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary')
  t.throws(() => decryptP7m(detached, key), code('P7M_CORRUPT'))
})

t.test('not a p7m, or a damaged one', { skip: NO_OPENSSL }, async (t) => {
  const dir = tempDir(t)
  const { keyPath, certPath } = opensslKeyPair(dir)
  const key = readFileSync(keyPath, 'utf8')
  const smime = readFileSync(encryptToken(dir, [certPath]), 'utf8')
  const der = readFileSync(encryptToken(dir, [certPath], { outform: 'DER' }))

  t.throws(() => decryptP7m('', key), code('P7M_NOT_SMIME'))
  t.throws(() => decryptP7m(JSON.stringify(TOKEN), key), code('P7M_NOT_SMIME'), 'already-decrypted JSON')
  t.throws(() => decryptP7m(TOKEN_MIME, key), { code: 'P7M_NOT_SMIME', message: /already the decrypted token/ })
  t.throws(() => decryptP7m(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]), key), code('P7M_NOT_SMIME'), 'a PNG')
  const certDer = openssl(['x509', '-in', certPath, '-outform', 'DER'])
  t.throws(() => decryptP7m(certDer, key), { code: 'P7M_NOT_SMIME', message: /not a PKCS#7/ })
  writeFileSync(join(dir, 'msg.txt'), 'hello')
  const signed = openssl(['smime', '-sign', '-in', join(dir, 'msg.txt'), '-signer', certPath, '-inkey', keyPath, '-nodetach'])
  t.throws(() => decryptP7m(signed, key), { code: 'P7M_NOT_SMIME', message: /signed-data/ })
  const signedDer = openssl(['smime', '-sign', '-in', join(dir, 'msg.txt'), '-signer', certPath, '-inkey', keyPath, '-nodetach', '-outform', 'DER'])
  t.throws(() => decryptP7m(signedDer, key), { code: 'P7M_NOT_SMIME', message: /signedData, not envelopedData/ })
  t.throws(() => decryptP7m(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]), key), code('P7M_NOT_SMIME'), 'a SEQUENCE without an OID')
  t.throws(() => decryptP7m(Buffer.from([0x30, 0x00]), key), code('P7M_NOT_SMIME'), 'an empty SEQUENCE')
  t.throws(() => decryptP7m('AgEF', key), code('P7M_NOT_SMIME'), 'base64 of an INTEGER')
  t.throws(() => decryptP7m('Subject: hello\n\nAgEF', key), code('P7M_NOT_SMIME'), 'MIME without a Content-Type')
  t.throws(() => decryptP7m(Buffer.from([0x30, 0x03, 0x06, 0x01, 0x2a]), key), { code: 'P7M_NOT_SMIME', message: /1\.2, not/ }, 'an unknown OID')

  t.throws(() => decryptP7m(der.subarray(0, der.length - 40), key), code('P7M_CORRUPT'), 'truncated DER')
  t.throws(() => decryptP7m(smime.slice(0, smime.length - 200), key), code('P7M_CORRUPT'), 'truncated download')
  t.throws(() => decryptP7m(smime.replace(/\n\n(.{10})/, '\n\n$1!!!!'), key), code('P7M_CORRUPT'), 'bad base64')
  t.throws(() => decryptP7m(smime.split(/\n\n/)[0], key), code('P7M_CORRUPT'), 'headers only')
  t.throws(() => decryptP7m(smime.replace('base64', 'quoted-printable'), key), { code: 'P7M_CORRUPT', message: /quoted-printable/ })
  t.throws(() => decryptP7m('-----BEGIN PKCS7-----\n%%%\n-----END PKCS7-----\n', key), code('P7M_CORRUPT'))
})

t.test('size limit', { skip: NO_OPENSSL }, async (t) => {
  const dir = tempDir(t)
  const { keyPath, certPath } = opensslKeyPair(dir)
  const key = readFileSync(keyPath, 'utf8')
  const file = readFileSync(encryptToken(dir, [certPath]))
  t.throws(() => decryptP7m(file, key, { maxBytes: 100 }), { code: 'P7M_TOO_LARGE', message: /over the 100-byte limit/ })
  t.throws(() => decryptP7m(Buffer.alloc(64 * 1024 + 1, 0x41), key), code('P7M_TOO_LARGE'), 'default 64 KiB')
  t.equal(decryptP7m(file, key, { maxBytes: file.length }), TOKEN_MIME, 'exactly at the limit is fine')
})

/** ContentInfo { envelopedData, [0] EnvelopedData { version } }: recipients and content missing. */
function envelopedVersionOnly (): Buffer {
  const { asn1 } = forge
  const seq = (...v: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, v)
  const der = asn1.toDer(seq(
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(forge.pki.oids.envelopedData).getBytes()),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [seq(
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, '\x00')
    )])
  )).getBytes()
  return Buffer.from(der, 'binary')
}
