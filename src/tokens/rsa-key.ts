/**
 * Turns a PEM private key into a node-forge RSA key. Node parses every PEM flavour (PKCS#1
 * `RSA PRIVATE KEY`, PKCS#8 `PRIVATE KEY`) and tells us the key type; forge is only handed the
 * PKCS#1 form it reads best. Forge is needed at all because Node 20 refuses RSA PKCS#1 v1.5
 * decryption, which Apple's `.p7m` key transport uses.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto'
import forge from 'node-forge'
import { TokenError } from './errors.js'

export function nodePrivateKey (privateKeyPem: string): KeyObject {
  let key: KeyObject
  try {
    key = createPrivateKey({ key: privateKeyPem, format: 'pem' })
  } catch {
    // Node's message can mention a passphrase prompt or decoder internals; ours says what to do.
    throw new TokenError('KEY_INVALID', 'the private key is not an unencrypted PEM private key')
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new TokenError('KEY_INVALID', `the private key is ${String(key.asymmetricKeyType)}, Apple needs an RSA key`)
  }
  return key
}

export function forgePrivateKey (privateKeyPem: string): forge.pki.rsa.PrivateKey {
  const pkcs1 = nodePrivateKey(privateKeyPem).export({ type: 'pkcs1', format: 'pem' }).toString()
  return forge.pki.privateKeyFromPem(pkcs1) as forge.pki.rsa.PrivateKey
}
