import t from 'tap'
import { loadConfig } from '../src/config.js'

t.test('token lifecycle variables', async (t) => {
  const key = Buffer.alloc(32, 7).toString('base64')
  t.match(loadConfig({ DEPGATE_SECRET_KEY: key, DEPGATE_TOKEN_MAX_BYTES: '4096', DEPGATE_TOKEN_WEBHOOK_URL: 'https://hooks.example.com/dep', DEPGATE_TOKEN_WEBHOOK_SECRET: 's'.repeat(16) }), {
    secretKey: key, tokenMaxBytes: 4096, tokenWebhook: { url: 'https://hooks.example.com/dep', secret: 's'.repeat(16) }
  })
  t.throws(() => loadConfig({ DEPGATE_SECRET_KEY: 'short' }), { variable: 'DEPGATE_SECRET_KEY', message: /openssl rand -base64 32/ })
  t.notOk(String((() => { try { loadConfig({ DEPGATE_SECRET_KEY: 'notakey-secret-value' }) } catch (e) { return (e as Error).message } })()).includes('notakey'), 'the value is never echoed')
  t.throws(() => loadConfig({ DEPGATE_TOKEN_MAX_BYTES: '10' }), { name: 'ConfigError', variable: 'DEPGATE_TOKEN_MAX_BYTES' })
  t.throws(() => loadConfig({ DEPGATE_TOKEN_WEBHOOK_URL: 'https://hooks.example.com' }), { variable: 'DEPGATE_TOKEN_WEBHOOK_SECRET', message: /set together with DEPGATE_TOKEN_WEBHOOK_URL/ })
  t.throws(() => loadConfig({ DEPGATE_TOKEN_WEBHOOK_SECRET: 's'.repeat(16) }), { name: 'ConfigError', variable: 'DEPGATE_TOKEN_WEBHOOK_URL' })
  t.throws(() => loadConfig({ DEPGATE_TOKEN_WEBHOOK_URL: 'ftp://x', DEPGATE_TOKEN_WEBHOOK_SECRET: 's'.repeat(16) }), { name: 'ConfigError', variable: 'DEPGATE_TOKEN_WEBHOOK_URL' })
  t.throws(() => loadConfig({ DEPGATE_TOKEN_WEBHOOK_URL: 'https://x', DEPGATE_TOKEN_WEBHOOK_SECRET: 'short' }), { name: 'ConfigError', variable: 'DEPGATE_TOKEN_WEBHOOK_SECRET' })
})
