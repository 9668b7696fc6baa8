/**
 * Pieces of the secret-leak test: a scanner that knows every secret in every form that could
 * slip out (as is, URL-encoded, base64 at each of the three byte alignments) and finds any run of
 * 16 or more of its characters in a text, and the fill-in values that turn a registered route
 * (`/v1/servers/:server/devices/:serial`) into a request.
 */
import { createPrivateKey } from 'node:crypto'

/** Any shared run this long counts as a leak; shorter runs are too likely by chance in hex text. */
export const WINDOW = 16

const b64 = (s: string, url: boolean) => Buffer.from(s, 'utf8').toString(url ? 'base64url' : 'base64')

/** The encoded forms of a secret in which a piece of it could appear. */
export function encodedForms (secret: string): string[] {
  const forms = [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]
  for (const shift of [0, 1, 2]) {
    for (const url of [false, true]) {
      // The last group depends on what follows the secret: only the whole groups before it are fixed.
      const encoded = b64(secret.slice(shift), url)
      forms.push(encoded.slice(0, Math.floor((encoded.replace(/=+$/, '').length - 1) / 4) * 4))
    }
  }
  return forms
}

export interface Finding { secret: string, where: string, excerpt: string }

/** Every 16-character window of every form of every secret, with the name of its secret. */
export class SecretScanner {
  private readonly windows = new Map<string, string>()

  add (name: string, secret: string): void {
    // A set: most secrets are the same as is, URL-encoded and JSON-escaped (hex, base64url).
    for (const form of new Set(encodedForms(secret))) {
      for (let i = 0; i + WINDOW <= form.length; i++) this.windows.set(form.slice(i, i + WINDOW), name)
    }
  }

  get size (): number { return this.windows.size }

  /** The first secret found in `text`, or undefined. */
  scan (text: string, where: string): Finding | undefined {
    for (let i = 0; i + WINDOW <= text.length; i++) {
      const name = this.windows.get(text.slice(i, i + WINDOW))
      if (name !== undefined) return { secret: name, where, excerpt: text.slice(Math.max(0, i - 40), i + WINDOW + 40) }
    }
    return undefined
  }
}

/** Distinctive values: nothing in depgate's own text could contain a 16-character run of these by chance. */
export const LEAK_TOKEN = Object.freeze({
  consumer_key: 'CK_leakprobe7c1e9a4b2f6d0853ck9e2a7c4f1b6d8e3a5c0b9f2e7d4a1c6b8e3f0a5d2c',
  consumer_secret: 'CS_leakprobe4f8b2d6a0c3e9175cs1b7e4a9d2c6f0b8e3a5d7c1f9b4e2a6d0c8f3b5e7a',
  access_token: 'AT_leakprobe9d3a7f1c5e2b8064at6c2f9a4e1d7b3c8f5a0e6d2b9c4f7a1e3d8b5c0f6a',
  access_secret: 'AS_leakprobe2b6e0a4d8f1c7359as8d4b1f7c3a9e6d2f0c5b8a1e7d3f9c4b6a2e0d8f5c',
  access_token_expiry: '2099-12-31T23:59:59Z'
})

export const LEAK_ADMIN_KEY = 'admin-leakprobe-6a1f9c3e7b2d8045-f3c9a6e1d7b4c2a8-e5d1b9f3a7c6e2d0'
/** DEPGATE_SECRET_KEY (seals tokens and private keys at rest): 32 bytes as 64 hex digits. */
export const LEAK_SECRET_KEY = 'd4c1f8a2b7e03596c1e8a4f2d7b30c96e5a1f8d2c4b7e09a3f6d1c8b5a2e7f40'
export const LEAK_WEBHOOK_SECRET = 'whsec-leakprobe-8b3e1f7a4c9d2065-a7d4c1e9f3b6a2d8'
/** A private key in PEM, whatever kind: none may ever leave. */
export const PRIVATE_KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/
/** The password inside the DEPGATE_DATABASE_URLs the tests use (PostgreSQL's trust auth accepts any). */
export const LEAK_DATABASE_PASSWORD = 'dbpw-leakprobe-5e9a2c7f1b3d8046-c2f8a5e1d9b7c3a6'

/**
 * The secret parts of an RSA private key, as they could slip out: the PEM's base64 from the private
 * exponent on (what comes before it, the modulus and public exponent, is also in the certificate,
 * which may be shown), the same bytes as hex, and the JWK's private members.
 */
export function privateKeySecrets (name: string, pem: string): Array<[string, string]> {
  const key = createPrivateKey(pem)
  const der = key.export({ type: 'pkcs8', format: 'der' })
  const jwk = key.export({ format: 'jwk' }) as Record<string, string>
  const d = Buffer.from(jwk.d, 'base64url')
  const at = der.indexOf(d)
  if (at < 0) throw new Error('the private exponent is not in the key\'s DER')
  // From the first base64 group that starts at or after the private exponent.
  const from = Math.ceil(at / 3)
  const body = der.toString('base64')
  return [
    [`${name} (PEM body)`, body.slice(from * 4)],
    [`${name} (hex)`, der.subarray(from * 3).toString('hex')],
    ...(['d', 'p', 'q', 'dp', 'dq', 'qi'] as const).map((m): [string, string] => [`${name} (JWK ${m})`, jwk[m]])
  ]
}

/**
 * The secret part of an org's P-256 private key (docs/apple-axm.md §1.1) as it could slip out, in
 * whichever PEM form it was given: the base64 groups of the PEM body that lie wholly within the
 * private scalar `d` (the public point after it is public), `d` as hex, and the JWK's `d`.
 */
export function ecPrivateKeySecrets (name: string, pem: string): Array<[string, string]> {
  const jwk = createPrivateKey(pem).export({ format: 'jwk' }) as Record<string, string>
  const d = Buffer.from(jwk.d, 'base64url')
  const body = pem.split('\n').filter((l) => !l.startsWith('-----')).join('')
  const der = Buffer.from(body, 'base64')
  const at = der.indexOf(d)
  if (at < 0) throw new Error('the private scalar is not in the key\'s DER')
  return [
    [`${name} (PEM body)`, body.slice(Math.ceil(at / 3) * 4, Math.floor((at + d.length) / 3) * 4)],
    [`${name} (hex)`, d.toString('hex')],
    [`${name} (JWK d)`, jwk.d]
  ]
}

/** Values for a route's path parameters, by parameter name (the wildcard by route prefix). */
export interface PathValues { server: string, serial: string, uuid: string, id: string, org: string }

export function fillPath (url: string, v: PathValues): string {
  const wildcard = url.startsWith('/docs') ? 'index.html' : 'account'
  return url
    .replace(':server', v.server)
    .replace(':serial', v.serial)
    .replace(':uuid', v.uuid)
    .replace(':id', v.id)
    .replace(':org', v.org)
    .replace('*', wildcard)
}
