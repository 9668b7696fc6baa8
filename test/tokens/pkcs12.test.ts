import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { loadPkcs12 } from '../../src/tokens/index.js'
import { NO_OPENSSL, openssl, opensslKeyPair, tempDir } from './helpers.js'

const code = (c: string) => ({ name: 'TokenError', code: c })

t.test('reads what openssl pkcs12 -export writes', { skip: NO_OPENSSL }, async (t) => {
  const dir = tempDir(t)
  const { keyPath, certPath } = opensslKeyPair(dir)
  const other = opensslKeyPair(dir, 'other')
  const keyDer = openssl(['pkey', '-in', keyPath, '-outform', 'DER'])
  const certPem = readFileSync(certPath, 'utf8')
  const p12 = (name: string, ...args: string[]) => {
    const out = join(dir, `${name}.p12`)
    openssl(['pkcs12', '-export', '-inkey', keyPath, '-in', certPath, '-out', out, ...args])
    return readFileSync(out)
  }
  const sameKey = (pem: string) => openssl(['pkey', '-outform', 'DER'], pem).equals(keyDer)

  // OpenSSL 3's default: PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC, SHA-256 MAC.
  const modern = p12('modern', '-passout', 'pass:s3cret')
  const info = spawnSync('openssl', ['pkcs12', '-in', join(dir, 'modern.p12'), '-info', '-noout', '-passin', 'pass:s3cret'], { encoding: 'utf8' })
  t.match(info.stdout + info.stderr, /PBES2, PBKDF2, AES-256-CBC/, 'really the OpenSSL 3 default format')
  const loaded = loadPkcs12(modern, 's3cret')
  t.ok(sameKey(loaded.privateKeyPem))
  t.match(loaded.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/)
  t.equal(openssl(['x509', '-outform', 'DER'], loaded.certificatePem!).toString('hex'), openssl(['x509', '-outform', 'DER'], certPem).toString('hex'))

  t.ok(sameKey(loadPkcs12(p12('empty', '-passout', 'pass:')).privateKeyPem), 'empty passphrase')
  t.ok(sameKey(loadPkcs12(p12('legacy', '-legacy', '-passout', 'pass:s3cret'), 's3cret').privateKeyPem), '-legacy (RC2/3DES)')
  t.ok(sameKey(loadPkcs12(p12('sha1', '-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1', '-passout', 'pass:s3cret'), 's3cret').privateKeyPem))
  const clear = loadPkcs12(p12('clear', '-keypbe', 'NONE', '-certpbe', 'NONE', '-nomac', '-passout', 'pass:'))
  t.ok(sameKey(clear.privateKeyPem), 'unencrypted key bag')

  // Key only: no certificate returned. Certificate only: no key, refused.
  const keyOnly = join(dir, 'keyonly.p12')
  openssl(['pkcs12', '-export', '-nocerts', '-inkey', keyPath, '-out', keyOnly, '-passout', 'pass:x'])
  t.equal(loadPkcs12(readFileSync(keyOnly), 'x').certificatePem, undefined)
  const certOnly = join(dir, 'certonly.p12')
  openssl(['pkcs12', '-export', '-nokeys', '-in', other.certPath, '-out', certOnly, '-passout', 'pass:x'])
  t.throws(() => loadPkcs12(readFileSync(certOnly), 'x'), { code: 'P12_NO_KEY', message: /no RSA private key/ }, 'certificate only')

  t.throws(() => loadPkcs12(modern, 'wrong'), { code: 'P12_BAD_PASSPHRASE', message: /wrong/ })
  t.throws(() => loadPkcs12(modern), { code: 'P12_BAD_PASSPHRASE', message: /supply it/ })
  t.throws(() => loadPkcs12(Buffer.from('not a p12')), code('P12_CORRUPT'))
  t.throws(() => loadPkcs12(modern.subarray(0, modern.length - 10), 's3cret'), code('P12_CORRUPT'))
  t.throws(() => loadPkcs12(openssl(['x509', '-in', certPath, '-outform', 'DER'])), code('P12_CORRUPT'), 'a DER certificate')
})

t.test('an EC identity has no usable key', { skip: NO_OPENSSL }, async (t) => {
  const dir = tempDir(t)
  const keyPath = join(dir, 'ec.pem')
  const certPath = join(dir, 'ec-cert.pem')
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath, '-out', certPath, '-subj', '/CN=ec', '-days', '1'])
  const out = join(dir, 'ec.p12')
  openssl(['pkcs12', '-export', '-inkey', keyPath, '-in', certPath, '-out', out, '-passout', 'pass:x'])
  t.throws(() => loadPkcs12(readFileSync(out), 'x'), code('P12_NO_KEY'))
})
