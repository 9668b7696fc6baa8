/**
 * Decrypts Apple's server-token `.p7m` (CMS/PKCS#7 EnvelopedData, RSA PKCS#1 v1.5 key transport,
 * AES-CBC or 3DES-CBC content) with the MDM server's private key: what an admin used to do with
 * `openssl smime -decrypt`. node-forge does the CMS work because Node 20 refuses PKCS#1 v1.5
 * decryption.
 */
import forge from 'node-forge'
import { TokenError } from './errors.js'
import { forgePrivateKey } from './rsa-key.js'
import { DEFAULT_P7M_MAX_BYTES, p7mToDer } from './p7m-input.js'

export interface DecryptP7mOptions {
  /** The certificate uploaded to Apple; when given, the recipient is chosen by its issuer + serial. */
  certificatePem?: string
  /** Refuse inputs larger than this many bytes (default 64 KiB; real tokens are a few KiB). */
  maxBytes?: number
}

const oids = forge.pki.oids
const ENVELOPED_DATA = oids.envelopedData
// What Apple uses (AES-256, historically 3DES) plus the other AES sizes; single DES is refused on purpose.
const CONTENT_CIPHERS = new Set([oids['aes128-CBC'], oids['aes192-CBC'], oids['aes256-CBC'], oids['des-EDE3-CBC']])

type Recipient = forge.pkcs7.PkcsEnvelopedData['recipients'][number] & {
  encryptedContent: { algorithm: string }
}
interface EnvelopedMessage {
  recipients: Recipient[]
  encryptedContent: { algorithm: string }
  content?: forge.util.ByteStringBuffer
  findRecipient (cert: forge.pki.Certificate): Recipient | null
  decrypt (recipient: Recipient, key: forge.pki.rsa.PrivateKey): void
}

/** Returns the decrypted text (MIME headers + the MESSAGE-wrapped JSON, for a server token). */
export function decryptP7m (input: Buffer | string, privateKeyPem: string, opts: DecryptP7mOptions = {}): string {
  const der = p7mToDer(input, opts.maxBytes ?? DEFAULT_P7M_MAX_BYTES)
  const key = forgePrivateKey(privateKeyPem)
  const msg = readEnvelopedData(der)
  const cipher = msg.encryptedContent.algorithm
  if (!CONTENT_CIPHERS.has(cipher)) {
    throw new TokenError('P7M_UNSUPPORTED_CIPHER', `the token is encrypted with an unsupported cipher (OID ${cipher}); expected AES-CBC or 3DES-CBC`)
  }
  const candidates = pickRecipients(msg, opts.certificatePem)
  for (const recipient of candidates) {
    try {
      msg.decrypt(recipient, key)
      return Buffer.from(msg.content!.getBytes(), 'binary').toString('utf8')
    } catch {
      // A wrong key fails the PKCS#1 padding or the CBC padding check; try the next recipient.
    }
  }
  throw new TokenError('P7M_WRONG_KEY', 'the token was not encrypted to this private key (was a different certificate uploaded to Apple?)')
}

function readEnvelopedData (der: Buffer): EnvelopedMessage {
  let asn1: forge.asn1.Asn1
  try {
    asn1 = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')))
  } catch {
    throw new TokenError('P7M_CORRUPT', 'the .p7m is damaged: its ASN.1 structure cannot be read')
  }
  const contentType = contentTypeOf(asn1)
  if (contentType === undefined) {
    throw new TokenError('P7M_NOT_SMIME', 'the file is ASN.1 but not a PKCS#7/CMS message (a certificate or key?)')
  }
  if (contentType !== ENVELOPED_DATA) {
    throw new TokenError('P7M_NOT_SMIME', `the PKCS#7 message is ${oids[contentType] ?? contentType}, not envelopedData (encrypted)`)
  }
  let msg: EnvelopedMessage
  try {
    msg = forge.pkcs7.messageFromAsn1(asn1) as unknown as EnvelopedMessage
  } catch {
    throw new TokenError('P7M_CORRUPT', 'the .p7m is damaged: its enveloped-data structure is incomplete')
  }
  return msg
}

/** The ContentInfo's contentType OID, or undefined when the structure is not a ContentInfo at all. */
function contentTypeOf (asn1: forge.asn1.Asn1): string | undefined {
  const first = Array.isArray(asn1.value) ? asn1.value[0] : undefined
  if (first === undefined || first.type !== forge.asn1.Type.OID) return undefined
  return forge.asn1.derToOid(first.value as string)
}

function pickRecipients (msg: EnvelopedMessage, certificatePem: string | undefined): Recipient[] {
  const rsa = msg.recipients.filter((r) => r.encryptedContent.algorithm === oids.rsaEncryption)
  if (rsa.length === 0) {
    throw new TokenError('P7M_UNSUPPORTED_CIPHER', 'the token\'s key is not RSA PKCS#1 v1.5 encrypted (the only key transport Apple uses)')
  }
  if (certificatePem === undefined) return rsa
  let cert: forge.pki.Certificate
  try {
    cert = forge.pki.certificateFromPem(certificatePem)
  } catch {
    throw new TokenError('KEY_INVALID', 'the certificate is not a PEM X.509 RSA certificate')
  }
  const match = msg.findRecipient(cert)
  if (match === null || !rsa.includes(match)) {
    throw new TokenError('P7M_WRONG_KEY', 'the token was not encrypted to this certificate (no recipient has its issuer and serial number)')
  }
  return [match]
}
