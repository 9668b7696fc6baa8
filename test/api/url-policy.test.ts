import t from 'tap'
import { hasUrlCredentials, httpUrlSchema, profileUrlViolation, redactUrlCredentials } from '../../src/api/url-policy.js'
import { ConfigError, loadConfig } from '../../src/config.js'

t.test('credentials in a URL', async (t) => {
  t.equal(hasUrlCredentials('https://u:p@h.example/'), true)
  t.equal(hasUrlCredentials('https://u@h.example/'), true, 'a user name alone counts')
  t.equal(hasUrlCredentials('https://h.example/a@b'), false, 'an @ in the path is no userinfo')
  t.equal(hasUrlCredentials('not a url'), false)
  t.equal(httpUrlSchema().safeParse('https://h.example/').success, true)
  t.match(httpUrlSchema().safeParse('https://u:p@h.example/').error?.issues, [{ message: /must not carry a user name or password/ }])
  t.match(httpUrlSchema('must be an http(s) URL').safeParse('ftp://h.example/').error?.issues, [{ message: 'must be an http(s) URL' }])
})

t.test('DEPGATE_DEP_URL with a password stops the start, naming the variable and not the password', async (t) => {
  const err = t.throws(() => loadConfig({ DEPGATE_DEP_URL: 'https://u:s3cr3t-pw@dep.example.com' })) as ConfigError
  t.type(err, ConfigError)
  t.match(err.message, /DEPGATE_DEP_URL.*user name or password/)
  t.notMatch(err.message, /s3cr3t-pw/)
})

t.test('profile URLs: https:, loopback http: for a simulator, no credentials', async (t) => {
  t.equal(profileUrlViolation({}), undefined)
  t.equal(profileUrlViolation({ url: 'https://mdm.example.com/enroll', configuration_web_url: 'https://mdm.example.com/auth' }), undefined)
  for (const host of ['127.0.0.1:8443', 'localhost', '[::1]:8080']) t.equal(profileUrlViolation({ url: `http://${host}/enroll` }), undefined, host)
  t.match(profileUrlViolation({ url: 'http://mdm.example.com/enroll' }), { code: 'PROFILE_URL_NOT_HTTPS', field: 'url', message: /https: URL.*loopback/ })
  t.match(profileUrlViolation({ url: 'https://mdm.example.com/', configuration_web_url: 'http://10.0.0.1/auth' }), { code: 'PROFILE_URL_NOT_HTTPS', field: 'configuration_web_url' })
  t.match(profileUrlViolation({ url: 'mdm://mdm.example.com/' }), { code: 'PROFILE_URL_NOT_HTTPS' })
  t.match(profileUrlViolation({ url: 'https://mdm.example.com/', configuration_web_url: 'auth page' }), { code: 'PROFILE_URL_INVALID', field: 'configuration_web_url' })
  const creds = profileUrlViolation({ url: 'https://admin:pw-123@mdm.example.com/' })
  t.match(creds, { code: 'URL_HAS_CREDENTIALS', field: 'url' })
  t.notMatch(creds?.message, /pw-123/)
})

t.test('request URLs for the log', async (t) => {
  t.equal(redactUrlCredentials('/v1/servers'), '/v1/servers')
  t.equal(redactUrlCredentials('/v1/servers/x/devices?cursor=abc&limit=5'), '/v1/servers/x/devices?cursor=abc&limit=5', 'unchanged byte for byte')
  const redacted = redactUrlCredentials(`/v1/servers/x/token?force=true&base_url=${encodeURIComponent('https://u:pw-9@h.example/p')}`)
  t.equal(new URLSearchParams(redacted.split('?')[1]).get('base_url'), 'https://REDACTED@h.example/p')
  t.match(redacted, /^\/v1\/servers\/x\/token\?force=true&base_url=/)
  t.notMatch(redacted, /pw-9/)
})
