/**
 * Loads the MDM server's private key (and certificate) from a PKCS#12 (.p12/.pfx) file, the form
 * Keychain Access and most MDM consoles export. node-forge reads both OpenSSL 3's default
 * (PBES2 / PBKDF2-HMAC-SHA256 / AES-256-CBC, SHA-256 MAC) and the legacy PBE-SHA1-3DES/RC2 files.
 */
import forge from 'node-forge'
import { TokenError } from './errors.js'

export interface Pkcs12Contents {
  /** PKCS#8 PEM. */
  privateKeyPem: string
  /** The certificate matching the key, when the file holds one. */
  certificatePem?: string
}

const { oids } = forge.pki

export function loadPkcs12 (data: Buffer, passphrase = ''): Pkcs12Contents {
  let asn1: forge.asn1.Asn1
  try {
    asn1 = forge.asn1.fromDer(forge.util.createBuffer(data.toString('binary')))
  } catch {
    throw new TokenError('P12_CORRUPT', 'the PKCS#12 file is damaged or not a PKCS#12 file')
  }
  let p12: forge.pkcs12.Pkcs12Pfx
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, passphrase)
  } catch (err) {
    // forge only distinguishes these by message; both wordings mean "the passphrase did not open it".
    if (/password/i.test((err as Error).message)) {
      throw new TokenError('P12_BAD_PASSPHRASE', passphrase === ''
        ? 'the PKCS#12 file is protected by a passphrase; supply it'
        : 'the PKCS#12 passphrase is wrong')
    }
    throw new TokenError('P12_CORRUPT', 'the PKCS#12 file is damaged or uses an unsupported algorithm')
  }
  // getBags always fills the requested bag type with an array (possibly empty).
  const keyBags = [...bagsOf(p12, oids.pkcs8ShroudedKeyBag), ...bagsOf(p12, oids.keyBag)]
  // forge leaves `key` null for keys it cannot read as RSA (e.g. EC); Apple's tokens need RSA anyway.
  const key = keyBags.map((b) => b.key).find((k): k is forge.pki.rsa.PrivateKey => k != null)
  if (key === undefined) {
    throw new TokenError('P12_NO_KEY', 'the PKCS#12 file holds no RSA private key (export the identity, not just the certificate)')
  }
  const certs = bagsOf(p12, oids.certBag)
    .map((b) => b.cert)
    .filter((c): c is forge.pki.Certificate => c != null)
  const cert = certs.find((c) => (c.publicKey as forge.pki.rsa.PublicKey).n.equals(key.n))
  const privateKeyPem = forge.pki.privateKeyInfoToPem(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key)))
  return cert === undefined ? { privateKeyPem } : { privateKeyPem, certificatePem: forge.pki.certificateToPem(cert) }
}

function bagsOf (p12: forge.pkcs12.Pkcs12Pfx, bagType: string): forge.pkcs12.Bag[] {
  return p12.getBags({ bagType })[bagType]!
}
