/**
 * Loading the API account's private key. Apple's portal has shipped two forms of the same `.pem`
 * (docs/apple-axm.md §1.1): a proper SEC1 `EC PRIVATE KEY`, and an `EC PRIVATE KEY` header around a
 * PKCS#8 body, which OpenSSL refuses as labelled. The second is re-wrapped as `PRIVATE KEY`.
 * Errors never quote the key.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto'
import { AxmError } from './errors.js'

const SEC1_BLOCK = /-----BEGIN EC PRIVATE KEY-----([\s\S]*?)-----END EC PRIVATE KEY-----/

function invalidKey (why: string): AxmError {
  return new AxmError(`the API account's private key ${why}; download a new key from Apple Business or School Manager (Preferences → API)`, { code: 'INVALID_KEY', endpoint: 'token' })
}

function parse (pem: string): KeyObject | undefined {
  try {
    return createPrivateKey({ key: pem, format: 'pem' })
  } catch {
    return undefined
  }
}

/** A P-256 private key from either PEM form Apple has shipped, or an AxmError `INVALID_KEY`. */
export function loadPrivateKey (pem: string | KeyObject): KeyObject {
  let key: KeyObject | undefined
  if (typeof pem !== 'string') key = pem
  else {
    key = parse(pem)
    const body = SEC1_BLOCK.exec(pem)?.[1]
    if (key === undefined && body !== undefined) key = parse(`-----BEGIN PRIVATE KEY-----${body}-----END PRIVATE KEY-----`)
  }
  if (key === undefined) throw invalidKey('is not a PEM private key')
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw invalidKey('is not a P-256 (ES256) private key')
  }
  return key
}
