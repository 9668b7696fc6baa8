/**
 * Encrypts secrets at rest (the OAuth values of stored server tokens, private keys) with
 * AES-256-GCM. A sealed value is one self-describing string that fits a TEXT column:
 *
 *   v1.<keyId>.<iv>.<tag>.<ciphertext>      (each part base64url)
 *
 * keyId tells which key sealed a value, so a key rotation can re-seal row by row and a wrong key
 * is reported as such instead of as tampering. The version and keyId are bound into the GCM
 * additional data, so they cannot be swapped either.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto'
import { TokenError } from './errors.js'

export const SECRET_KEY_BYTES = 32
const VERSION = 'v1'
const IV_BYTES = 12 // the GCM standard nonce size; random per seal
const TAG_BYTES = 16
const KEY_ID_BYTES = 6 // 48 bits: enough to tell a handful of keys apart, too short to say anything about the key

export interface SecretBox {
  /** base64url of the first bytes of SHA-256 over a label and the key. */
  readonly keyId: string
  /**
   * base64url of HMAC-SHA256 under the key of a fixed label: what the database keeps to tell, at
   * start, whether this is the key its secrets were sealed with. It says nothing about the key.
   */
  readonly keyCheck: string
  seal (plaintext: string, aad?: string): string
  /** Throws TokenError SECRET_BOX_MALFORMED, SECRET_BOX_WRONG_KEY or SECRET_BOX_TAMPERED. */
  open (sealed: string, aad?: string): string
}

export function secretKeyId (key: Buffer): string {
  // Domain-separated so the id is never a plain hash of the key that something else might also publish.
  return createHash('sha256').update('depgate secret-box key id\0').update(key).digest().subarray(0, KEY_ID_BYTES).toString('base64url')
}

/** The key check of `key` (see SecretBox.keyCheck). */
export function secretKeyCheck (key: Buffer): string {
  return createHmac('sha256', key).update('depgate secret-box key check v1').digest('base64url')
}

export function createSecretBox (key: Buffer): SecretBox {
  if (key.length !== SECRET_KEY_BYTES) {
    throw new TokenError('SECRET_KEY_INVALID', `the secret key must be ${SECRET_KEY_BYTES} bytes, got ${key.length}`)
  }
  const keyCopy = Buffer.from(key) // the caller may zero or reuse its buffer
  const keyId = secretKeyId(keyCopy)
  const header = `${VERSION}.${keyId}`
  const additionalData = (aad: string | undefined) => Buffer.from(`${header}\0${aad ?? ''}`, 'utf8')

  return {
    keyId,
    keyCheck: secretKeyCheck(keyCopy),
    seal (plaintext, aad) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', keyCopy, iv, { authTagLength: TAG_BYTES })
      cipher.setAAD(additionalData(aad))
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return [header, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.')
    },
    open (sealed, aad) {
      const parts = parseSealed(sealed)
      if (parts.keyId !== keyId) {
        throw new TokenError('SECRET_BOX_WRONG_KEY', `the value was sealed with secret key ${parts.keyId}, but this depgate has key ${keyId}: every replica and the CLI must share one key (the same DEPGATE_SECRET_KEY, or the same secret.key file); after a change of key, run depgate secrets rotate`)
      }
      const decipher = createDecipheriv('aes-256-gcm', keyCopy, parts.iv, { authTagLength: TAG_BYTES })
      decipher.setAAD(additionalData(aad))
      decipher.setAuthTag(parts.tag)
      try {
        return Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]).toString('utf8')
      } catch {
        throw new TokenError('SECRET_BOX_TAMPERED', 'the sealed value failed authentication: altered, or opened with different additional data')
      }
    }
  }
}

interface SealedParts { keyId: string, iv: Buffer, tag: Buffer, ciphertext: Buffer }

const PART_RE = /^[A-Za-z0-9_-]*$/

function parseSealed (sealed: string): SealedParts {
  const parts = sealed.split('.')
  if (parts.length !== 5 || parts[0] !== VERSION || !parts.every((p) => PART_RE.test(p))) {
    throw new TokenError('SECRET_BOX_MALFORMED', `not a sealed value (expected ${VERSION}.<keyId>.<iv>.<tag>.<ciphertext>)`)
  }
  const [, keyId, iv, tag, ciphertext] = parts
  const parsed = { keyId, iv: Buffer.from(iv, 'base64url'), tag: Buffer.from(tag, 'base64url'), ciphertext: Buffer.from(ciphertext, 'base64url') }
  if (parsed.iv.length !== IV_BYTES || parsed.tag.length !== TAG_BYTES) {
    throw new TokenError('SECRET_BOX_MALFORMED', 'the sealed value has a wrong-sized nonce or tag (truncated?)')
  }
  return parsed
}

/** The keyId a value was sealed with, without opening it: lets a rotation job skip rows already re-sealed. */
export function sealedKeyId (sealed: string): string {
  return parseSealed(sealed).keyId
}

/** Re-seals a value under newBox. Values already sealed by newBox come back unchanged, so a rotation can be re-run. */
export function rotateSealed (sealed: string, oldBox: SecretBox, newBox: SecretBox, aad?: string): string {
  if (sealedKeyId(sealed) === newBox.keyId) return sealed
  return newBox.seal(oldBox.open(sealed, aad), aad)
}
