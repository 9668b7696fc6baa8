import t from 'tap'
import { DEFAULT_POOL_SIZE, isPostgresUrl, parsePostgresUrl, redactDatabaseUrl } from '../../src/store/database-url.js'

t.test('only postgres:// and postgresql:// URLs count', async (t) => {
  t.ok(isPostgresUrl('postgres://db/depgate'))
  t.ok(isPostgresUrl('postgresql://u:p@db:5433/depgate?sslmode=verify-full'))
  for (const bad of ['mysql://db/x', 'postgres:/db', 'postgres://', 'postgres://db /x', 'http://db/x', 'postgres://[::1/x']) {
    t.notOk(isPostgresUrl(bad), bad)
  }
})

t.test('the password never survives redaction', async (t) => {
  const cases: Array<[string, string]> = [
    ['postgres://depgate:s3cret@db:5432/depgate', 'postgres://depgate:***@db:5432/depgate'],
    ['postgresql://depgate:p%40ss@db/depgate?sslmode=verify-full', 'postgresql://depgate:***@db/depgate?sslmode=verify-full'],
    // Not valid URLs, still masked: an unescaped @ or / in the password.
    ['postgres://depgate:a@b/c@db/depgate', 'postgres://depgate:***@db/depgate'],
    ['postgres://depgate:sec@db/depgate?password=other&x=1', 'postgres://depgate:***@db/depgate?password=***&x=1'],
    ['postgres://db/depgate?sslmode=verify-full&PASSWORD=other', 'postgres://db/depgate?sslmode=verify-full&PASSWORD=***'],
    ['postgres://depgate@db/depgate', 'postgres://depgate@db/depgate'],
    ['postgres://db/depgate', 'postgres://db/depgate'],
    ['depgate:secret@db', '***'],
    ['no scheme, nothing hidden', 'no scheme, nothing hidden']
  ]
  for (const [url, redacted] of cases) {
    t.equal(redactDatabaseUrl(url), redacted, url)
    t.notMatch(redactDatabaseUrl(url), /s3cret|p%40ss|a@b|other|secret/)
  }
})

t.test('pool size: default, from the URL, from the option, refused when out of range', async (t) => {
  t.same(parsePostgresUrl('postgres://db/x'), { connectionString: 'postgres://db/x', poolSize: DEFAULT_POOL_SIZE })
  const fromUrl = parsePostgresUrl('postgres://u:p@db/x?pool_size=25&sslmode=verify-full')
  t.equal(fromUrl.poolSize, 25)
  t.equal(fromUrl.connectionString, 'postgres://u:p@db/x?sslmode=verify-full', 'pool_size is depgate\'s, not handed to pg')
  t.equal(parsePostgresUrl('postgres://db/x?pool_size=25', 3).poolSize, 3, 'the option wins')
  for (const size of ['0', '1001', '2.5', 'ten', '']) {
    t.throws(() => parsePostgresUrl(`postgres://u:s3cret@db/x?pool_size=${size}`), /postgres:\/\/u:\*\*\*@db\/x\?pool_size=.*pool_size must be a whole number between 1 and 1000/, size)
  }
  t.throws(() => parsePostgresUrl('mysql://u:s3cret@db/x'), { message: 'the database URL mysql://u:***@db/x is not a postgres:// or postgresql:// URL' })
})
