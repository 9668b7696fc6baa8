/**
 * The assignment rules route: the ordered list replaced whole, ETag/If-Match (412 when another
 * edit came first, 428 when rules exist and no If-Match was sent), and the checks that name the
 * rule by its index (unknown field, unknown profile, duplicate name).
 */
import t from 'tap'
import { audited, enrollApp, PROFILE, S } from './app.js'

const URL = `${S}/assignment-rules`

t.test('GET and PUT with ETag and If-Match', async (t) => {
  const m = await enrollApp(t, { mirror: false })
  await m.call('PUT', `${S}/enrollment-profiles/macs`, PROFILE)
  await m.call('PUT', `${S}/enrollment-profiles/ipads`, { ...PROFILE, profile_name: 'iPads' })

  const empty = await m.call('GET', URL)
  t.equal(empty.statusCode, 200)
  t.same(empty.json(), { rules: [], etag: '"rules-0"', updated_at: null })
  t.equal(empty.headers.etag, '"rules-0"')

  const rules = [
    { name: 'Lab iPads', match: { device_family: 'iPad', serial_prefix: 'DMP', serials: ['dmpxk2abcdef'] }, profile: 'ipads', replace: true },
    { name: 'Everything else', profile: 'macs' }
  ]
  const first = await m.call('PUT', URL, { rules })
  t.equal(first.statusCode, 200, 'an empty list takes a PUT without If-Match')
  t.equal(first.headers.etag, '"rules-1"')
  t.match(first.json(), { etag: '"rules-1"', updated_at: /^\d{4}-/, rules: [{ match: { serials: ['DMPXK2ABCDEF'] } }, { name: 'Everything else' }] })
  t.same((await m.call('GET', URL)).json(), first.json())

  const noIfMatch = await m.call('PUT', URL, { rules: [] })
  t.equal(noIfMatch.statusCode, 428)
  t.equal(noIfMatch.headers.etag, '"rules-1"')
  t.match(noIfMatch.json(), { code: 'IF_MATCH_REQUIRED', detail: /send If-Match .* now "rules-1"/ })
  const stale = await m.call('PUT', URL, { rules: [] }, { 'if-match': '"rules-0"' })
  t.equal(stale.statusCode, 412)
  t.equal(stale.headers.etag, '"rules-1"')
  t.match(stale.json(), { code: 'RULES_CHANGED', detail: /If-Match "rules-0", now "rules-1"/ })
  t.equal((await m.call('PUT', URL, { rules: [] }, { 'if-match': 'W/"rules-1"' })).statusCode, 412, 'an ETag this list never had matches nothing')

  // Two editors who read the same list: one wins, the other gets 412.
  const [a, b] = await Promise.all([
    m.call('PUT', URL, { rules: [rules[1]] }, { 'if-match': '"rules-1"' }),
    m.call('PUT', URL, { rules: [rules[0]] }, { 'if-match': '"rules-1"' })
  ])
  t.same([a.statusCode, b.statusCode].sort(), [200, 412])
  t.equal((await m.call('GET', URL)).json().etag, '"rules-2"')

  const cleared = await m.call('PUT', URL, { rules: [] }, { 'if-match': '"rules-2"' })
  t.same(cleared.json().rules, [])
  t.equal((await m.call('PUT', URL, { rules })).statusCode, 200, 'an emptied list takes a PUT without If-Match again')

  // Refusals are written after the answer (the audit hook): wait for all eight.
  const audit = await audited(m, 'assignment_rules.put', 8)
  t.same(audit.map((e) => e.result).sort(), ['IF_MATCH_REQUIRED', 'RULES_CHANGED', 'RULES_CHANGED', 'RULES_CHANGED', 'ok', 'ok', 'ok', 'ok'])
  t.match(audit.find((e) => e.result === 'ok'), { server: 'default', target: '/v1/servers/default/assignment-rules', detail: /^\d rule\(s\)$/ })

  const any = await m.call('PUT', URL, { rules: [rules[0]] }, { 'if-match': '*' })
  t.equal(any.statusCode, 200, 'If-Match: * replaces whatever the list holds now (RFC 9110)')
  t.equal(any.headers.etag, '"rules-5"')
})

t.test('invalid rules are refused with the rule\'s index; nothing changes', async (t) => {
  const m = await enrollApp(t, { mirror: false })
  await m.call('PUT', `${S}/enrollment-profiles/macs`, PROFILE)
  const put = async (rules: unknown[]) => await m.call('PUT', URL, { rules })

  const unknownField = await put([{ name: 'a', profile: 'macs' }, { name: 'b', match: { family: 'Mac' }, profile: 'macs' }])
  t.equal(unknownField.statusCode, 400)
  t.match(unknownField.json(), { code: 'UNKNOWN_FIELD', errors: [{ field: /rules.*1.*match.*family/ }] })
  const glob = await put([{ name: 'a', match: { model: '' }, profile: 'macs' }])
  t.match(glob.json(), { status: 400, code: 'VALIDATION_FAILED', errors: [{ field: 'body.rules.0.match.model' }] })
  const ghost = await put([{ name: 'a', profile: 'macs' }, { name: 'b', profile: 'ghost' }, { name: 'c', profile: 'ghost' }])
  t.equal(ghost.statusCode, 400)
  t.match(ghost.json(), {
    code: 'UNKNOWN_ENROLLMENT_PROFILE',
    detail: /^Rule 1 names the enrollment profile "ghost", which server "default" does not have \(and 1 more rule\(s\) name missing profiles\)/,
    errors: [{ field: 'body.rules.1.profile' }, { field: 'body.rules.2.profile' }]
  })
  const one = await put([{ name: 'b', profile: 'ghost' }])
  t.match(one.json().detail, /does not have; create it first/)
  const twice = await put([{ name: 'a', profile: 'macs' }, { name: 'a', profile: 'macs' }])
  t.match(twice.json(), { status: 400, code: 'DUPLICATE_RULE_NAME', errors: [{ field: 'body.rules.1.name' }] })
  t.same((await m.call('GET', URL)).json().rules, [], 'nothing was stored')
})

t.test('scopes and unknown servers', async (t) => {
  const m = await enrollApp(t, { mirror: false })
  const reader = { authorization: `Bearer ${await m.createKey('read')}` }
  t.equal((await m.call('GET', URL, undefined, reader)).statusCode, 200)
  t.equal((await m.call('PUT', URL, { rules: [] }, reader)).statusCode, 403)
  t.match((await m.call('GET', '/v1/servers/paris/assignment-rules')).json(), { status: 404, code: 'SERVER_NOT_FOUND' })
  t.match((await m.call('PUT', '/v1/servers/paris/assignment-rules', { rules: [] })).json(), { status: 404, code: 'SERVER_NOT_FOUND' })
})
