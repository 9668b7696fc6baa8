/**
 * Shared fixtures for the token tests: a real `openssl` (the tool Apple's instructions and every
 * MDM admin use) produces the .p7m and .p12 files, so the library is tested against the real
 * format, not against itself.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'

export const hasOpenssl = spawnSync('openssl', ['version']).status === 0
export const NO_OPENSSL = hasOpenssl ? false : 'the openssl CLI is not installed'

export const TOKEN = {
  consumer_key: 'CK_48dd68d198350f51258e885ce9a5c37ab7f98543c4a697323d75682a6c10a32501cb247e3db08105db868f73f2c972bdb6ae77112aea803b9219eb52689d42e6',
  consumer_secret: 'CS_34c7b2b531a600d99a0e4edcf4a78ded79b86ef318118c2f5bcfee1b011108c32d5302df801adbe29d446eb78f02b13144e323eb9aad51c79f01e50cb45c3a68',
  access_token: 'AT_927696831c59ba510cfe4ec1a69e5267c19881257d4bca2906a99d0785b785a6f6fdeb09774954fdd5e2d0ad952e3af52c6d8d2f21c924ba0caf4a031c158b89',
  access_secret: 'AS_c31afd7a09691d83548489336e8ff1cb11b82b6bca13f793344496a556b1f4972eaff4dde6deb5ac9cf076fdfa97ec97699c34d515947b9cf9ed31c99dded6ba',
  access_token_expiry: '2027-07-16T06:36:41Z'
}
export const TOKEN_JSON = JSON.stringify(TOKEN)
/** TOKEN as depgate reads it from a .p7m: the expiry in UTC with milliseconds, whatever form Apple wrote. */
export const TOKEN_READ = { ...TOKEN, access_token_expiry: '2027-07-16T06:36:41.000Z' }

/** The plaintext Apple encrypts: MIME headers, blank line, the MESSAGE-wrapped JSON. */
export const TOKEN_MIME = `Content-Type: text/plain;charset=UTF8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n-----BEGIN MESSAGE-----\r\n${TOKEN_JSON}\r\n-----END MESSAGE-----\r\n`

export function tempDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'depgate-tokens-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export function openssl (args: string[], input?: string | Buffer): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] })
}

/** A key pair the way an admin makes one with openssl: key.pem (PKCS#8) + self-signed cert.pem. */
export function opensslKeyPair (dir: string, name = 'mdm'): { keyPath: string, certPath: string } {
  const keyPath = join(dir, `${name}-key.pem`)
  const certPath = join(dir, `${name}-cert.pem`)
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-subj', `/CN=${name}`, '-days', '30'])
  return { keyPath, certPath }
}

/** Encrypts like Apple: `openssl smime -encrypt -<cipher> -outform <form> cert...` over the token MIME text. */
export function encryptToken (dir: string, certPaths: string[], opts: { cipher?: string, outform?: 'SMIME' | 'DER' | 'PEM', plaintext?: string } = {}): string {
  const inPath = join(dir, 'token.txt')
  writeFileSync(inPath, opts.plaintext ?? TOKEN_MIME)
  const outPath = join(dir, `token-${opts.cipher ?? 'aes256'}-${opts.outform ?? 'SMIME'}.p7m`)
  openssl(['smime', '-encrypt', `-${opts.cipher ?? 'aes256'}`, '-in', inPath, '-out', outPath, '-outform', opts.outform ?? 'SMIME', ...certPaths])
  return outPath
}
