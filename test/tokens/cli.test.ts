import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { main } from '../../src/cli.js'
import { encryptToken, NO_OPENSSL, openssl, opensslKeyPair, tempDir, TOKEN, TOKEN_JSON } from './helpers.js'

/** `depgate token …`, in-process. */
async function run (argv: string[], env: Record<string, string> = {}): Promise<{ code: number, stdout: string, stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await main(['token', ...argv], { stdout: (s) => { stdout += s }, stderr: (s) => { stderr += s }, env })
  return { code, stdout, stderr }
}

/** What the old procedure gives: openssl smime -decrypt, then the text between the MESSAGE markers. */
function opensslDecrypt (p7m: string, keyPath: string): string {
  const text = openssl(['smime', '-decrypt', '-in', p7m, '-inkey', keyPath]).toString()
  return text.split('-----BEGIN MESSAGE-----')[1].split('-----END MESSAGE-----')[0].trim() + '\n'
}

t.test('keypair, then the upload flow end to end', { skip: NO_OPENSSL }, async (t) => {
  const dir = tempDir(t)
  const res = await run(['keypair', '--out', dir, '--name', 'lab', '--days', '30'])
  t.equal(res.code, 0, res.stderr)
  const keyPath = join(dir, 'key.pem')
  const certPath = join(dir, 'cert.pem')
  t.equal(statSync(keyPath).mode & 0o777, 0o600)
  t.match(res.stdout, /Your MDM Servers/)
  t.match(res.stdout, `depgate token decrypt --p7m <downloaded>.p7m --key ${keyPath}`)
  t.match(openssl(['x509', '-in', certPath, '-noout', '-subject']).toString(), /CN = depgate lab/)
  t.notMatch(res.stdout, /PRIVATE KEY/)

  const nested = join(dir, 'new', 'keys')
  t.equal((await run(['keypair', '--out', nested])).code, 0, 'a missing --out directory is made')
  t.equal(statSync(nested).mode & 0o777, 0o700, 'readable by its owner only')
  t.equal(statSync(join(nested, 'key.pem')).mode & 0o777, 0o600)

  const again = await run(['keypair', '--out', dir])
  t.equal(again.code, 1, 'never overwrites a key by accident')
  t.match(again.stderr, /EEXIST/)
  const before = readFileSync(keyPath, 'utf8')
  t.equal((await run(['keypair', '--out', dir, '--force'])).code, 0)
  t.not(readFileSync(keyPath, 'utf8'), before)

  const p7m = encryptToken(dir, [certPath])
  const out = await run(['decrypt', '--p7m', p7m, '--key', keyPath, '--cert', certPath])
  t.equal(out.code, 0, out.stderr)
  t.equal(out.stdout, opensslDecrypt(p7m, keyPath))
  t.equal(out.stdout, `${TOKEN_JSON}\n`)
  t.same(JSON.parse(out.stdout), TOKEN)
})

t.test('decrypt with a PEM key or a PKCS#12 file prints what openssl gives', { skip: NO_OPENSSL }, async (t) => {
  const dir = tempDir(t)
  const { keyPath, certPath } = opensslKeyPair(dir)
  const expected = (p7m: string) => opensslDecrypt(p7m, keyPath)
  const smime = encryptToken(dir, [certPath])
  const des3 = encryptToken(dir, [certPath], { cipher: 'des3', outform: 'DER' })
  t.same(await run(['decrypt', '--p7m', smime, '--key', keyPath]), { code: 0, stdout: expected(smime), stderr: '' })
  const p12 = join(dir, 'id.p12')
  openssl(['pkcs12', '-export', '-inkey', keyPath, '-in', certPath, '-out', p12, '-passout', 'pass:hunter2'])
  t.same(await run(['decrypt', '--p7m', des3, '--p12', p12, '--passphrase-env', 'P12_PASS'], { P12_PASS: 'hunter2' }),
    { code: 0, stdout: expected(smime), stderr: '' })
  const open = join(dir, 'open.p12')
  openssl(['pkcs12', '-export', '-inkey', keyPath, '-in', certPath, '-out', open, '-passout', 'pass:'])
  t.equal((await run(['decrypt', '--p7m', smime, '--p12', open])).stdout, expected(smime))

  const bad = await run(['decrypt', '--p7m', smime, '--p12', p12, '--passphrase-env', 'P12_PASS'], { P12_PASS: 'nope' })
  t.same(bad, { code: 1, stdout: '', stderr: 'depgate: P12_BAD_PASSPHRASE: the PKCS#12 passphrase is wrong\n' })
  const unset = await run(['decrypt', '--p7m', smime, '--p12', p12, '--passphrase-env', 'P12_PASS'])
  t.equal(unset.code, 2)
  t.match(unset.stderr, /^error: --passphrase-env names P12_PASS, which is not set\n\nUsage: depgate token decrypt/)
})

t.test('typed failures', { skip: NO_OPENSSL }, async (t) => {
  const dir = tempDir(t)
  const { keyPath, certPath } = opensslKeyPair(dir)
  const other = opensslKeyPair(dir, 'other')
  const smime = encryptToken(dir, [certPath])
  const fail = async (argv: string[], code: string) => {
    const res = await run(argv)
    t.equal(res.code, 1, code)
    t.equal(res.stdout, '')
    t.match(res.stderr, `depgate: ${code}: `)
    for (const value of Object.values(TOKEN)) t.notMatch(res.stderr, value.slice(3, 20))
    t.notMatch(res.stderr, /PRIVATE KEY/)
  }
  await fail(['decrypt', '--p7m', smime, '--key', other.keyPath], 'P7M_WRONG_KEY')
  await fail(['decrypt', '--p7m', smime, '--key', keyPath, '--max-bytes', '100'], 'P7M_TOO_LARGE')
  const notP7m = join(dir, 'token.json')
  writeFileSync(notP7m, TOKEN_JSON)
  await fail(['decrypt', '--p7m', notP7m, '--key', keyPath], 'P7M_NOT_SMIME')
  const corrupt = join(dir, 'corrupt.p7m')
  writeFileSync(corrupt, readFileSync(smime, 'utf8').slice(0, 400))
  await fail(['decrypt', '--p7m', corrupt, '--key', keyPath], 'P7M_CORRUPT')
  // Decrypts, but what is inside is not a server token: nothing is printed.
  const notToken = encryptToken(dir, [certPath], { plaintext: 'Content-Type: text/plain\r\n\r\n-----BEGIN MESSAGE-----\r\n{"hello":"world"}\r\n-----END MESSAGE-----\r\n' })
  await fail(['decrypt', '--p7m', notToken, '--key', keyPath], 'TOKEN_INVALID')
  const missing = await run(['decrypt', '--p7m', join(dir, 'nope.p7m'), '--key', keyPath])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /ENOENT/)
})

t.test('usage', async (t) => {
  for (const argv of [[], ['frobnicate'], ['keypair'], ['keypair', '--out', '/tmp', '--days', '0'], ['keypair', '--bogus'],
    ['decrypt'], ['decrypt', '--p7m', 'x'], ['decrypt', '--p7m', 'x', '--key', 'k', '--p12', 'p'],
    ['decrypt', '--p7m', 'x', '--key', 'k', '--max-bytes', 'lots'], ['decrypt', '--p7m']]) {
    const res = await run(argv)
    t.equal(res.code, 2, argv.join(' '))
    t.match(res.stderr, /^(error: .*\n\n?)?Usage: depgate token/, argv.join(' '))
  }
  const help = await run(['help', 'keypair'])
  t.equal(help.code, 0)
  t.match(help.stdout, /^Usage: depgate token keypair/)
})
