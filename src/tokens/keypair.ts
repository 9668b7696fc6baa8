/**
 * The key pair an MDM server uploads to Apple Business/School Manager: Apple encrypts the server
 * token to the certificate, and only the matching private key can open the `.p7m`. The key is made
 * by Node (fast, native); the self-signed certificate by node-forge, since Node cannot create
 * certificates.
 */
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto'
import forge from 'node-forge'
import { forgePrivateKey } from './rsa-key.js'
import { TokenError } from './errors.js'

export interface KeyPairOptions {
  /** depgate's name for the DEP server; ends up in the certificate CN so admins can tell uploads apart. */
  serverName?: string
  /** Validity in days, default 365. Apple only reads the public key, but an expired certificate confuses people. */
  validityDays?: number
  /** Start of validity; injectable for tests. */
  now?: Date
}

export interface ServerKeyPair {
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), readable by `openssl smime -decrypt -inkey`. */
  privateKeyPem: string
  certificatePem: string
}

const DAY_MS = 24 * 60 * 60 * 1000

export function generateServerKeyPair (opts: KeyPairOptions = {}): ServerKeyPair {
  const validityDays = opts.validityDays ?? 365
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > 3650) {
    throw new RangeError('validityDays must be a whole number of days between 1 and 3650')
  }
  const now = opts.now ?? new Date()
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString()

  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem)
  cert.serialNumber = randomSerialHex()
  cert.validity.notBefore = new Date(now.getTime() - 60_000) // tolerate small clock skew on the verifier
  cert.validity.notAfter = new Date(now.getTime() + validityDays * DAY_MS)
  const subject = [{ name: 'commonName', value: commonName(opts.serverName) }, { name: 'organizationName', value: 'depgate' }]
  cert.setSubject(subject)
  cert.setIssuer(subject)
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    // keyEncipherment is what Apple's RSA key transport uses the key for.
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' }
  ])
  cert.sign(forgePrivateKey(privateKeyPem), forge.md.sha256.create())
  return { privateKeyPem, certificatePem: forge.pki.certificateToPem(cert) }
}

/** SHA-256 fingerprint as `AB:CD:…`, the form `openssl x509 -fingerprint -sha256` and browsers show. */
export function certificateFingerprint (certificatePem: string): string {
  try {
    return new X509Certificate(certificatePem).fingerprint256
  } catch {
    throw new TokenError('KEY_INVALID', 'the certificate is not a PEM X.509 certificate')
  }
}

function commonName (serverName: string | undefined): string {
  // X.509 caps a CN at 64 characters; keep room for the prefix.
  const name = (serverName ?? 'default').trim().slice(0, 55)
  return `depgate ${name.length > 0 ? name : 'default'}`
}

/** 16 random bytes, positive and without a leading zero byte, so the DER INTEGER stays minimal. */
function randomSerialHex (): string {
  const bytes = randomBytes(16)
  bytes[0] = (bytes[0] & 0x7f) | 0x40
  return bytes.toString('hex')
}
