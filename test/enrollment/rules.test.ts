/**
 * Rule matching and decisions, on plain device records: every match field, globs, case, the
 * first rule winning, and what a rule does with a device on no, its own, an older or another profile.
 */
import t from 'tap'
import { canonicalJson, contentHash } from '../../src/enrollment/canonical.js'
import { compileRules, decide, globMatcher, type AssignmentRule } from '../../src/enrollment/rules.js'

const mac = {
  serial_number: 'C02XK1ABCDEF',
  model: 'MacBook Pro 14"',
  description: 'MBP 14 SPACE GRAY (1+1)',
  color: 'SPACE GRAY',
  device_family: 'Mac',
  os: 'OSX',
  device_assigned_by: 'it@example.com',
  profile_status: 'assigned',
  profile_uuid: 'AAAA'
}

t.test('globs: * and ? only; everything else literal; case-insensitive; whole value', async (t) => {
  t.ok(globMatcher('MacBook*')('macbook pro 14"'))
  t.ok(globMatcher('MBP 14 * (1+1)')(mac.description), 'regular-expression characters are literal')
  t.notOk(globMatcher('MBP 14 * (1+1)')('MBP 14 SPACE GRAY (11)'))
  t.ok(globMatcher('iPad ?')('iPad 9'))
  t.notOk(globMatcher('iPad ?')('iPad 10'))
  t.notOk(globMatcher('Book')('MacBook'), 'anchored')
  t.ok(globMatcher('a*b')('a\nb'), '* spans any character')
  t.ok(globMatcher('*')(''), 'a lone star matches the empty string')
  t.ok(globMatcher('a**')('a'), 'trailing stars match nothing')
  t.notOk(globMatcher('a*c')('abcd'), 'backtracks past a first try, then fails at the end')
  t.ok(globMatcher('a*c*d')('abcxcd'))
  // A dozen stars before a character the text lacks: a backtracking regular expression takes
  // seconds on this; the two-pointer match answers at once (the test's timeout would catch it).
  t.notOk(globMatcher(`${'*'.repeat(40)}!`)('x'.repeat(200)))
})

t.test('every field; all given must match; the first matching rule wins', async (t) => {
  const only = (match: AssignmentRule['match']) => compileRules([{ name: 'r', profile: 'p', match }]).first(mac)
  t.equal(only(undefined), 0, 'no match matches every device')
  t.equal(only({}), 0)
  t.equal(only({ device_family: 'mac', os: 'osx', color: 'space gray', device_assigned_by: 'IT@example.com' }), 0)
  t.equal(only({ model: 'MacBook*', description: '*GRAY*', serial_prefix: 'c02', serials: ['DMPXK2ABCDEF', 'c02xk1abcdef'] }), 0)
  for (const miss of [{ device_family: 'iPad' }, { os: 'iOS' }, { color: 'Silver' }, { device_assigned_by: 'x' }, { model: 'iPad*' }, { description: 'x' }, { serial_prefix: 'DMP' }, { serials: ['DMPXK2ABCDEF'] }]) {
    t.equal(only({ device_family: 'Mac', ...miss }), -1, JSON.stringify(miss))
  }
  t.equal(compileRules([]).first(mac), -1)
  t.equal(compileRules([{ name: 'a', profile: 'p', match: { os: 'iOS' } }, { name: 'b', profile: 'p' }, { name: 'c', profile: 'q' }]).first(mac), 1)
  t.equal(compileRules([{ name: 'a', profile: 'p', match: { color: 'x' } }]).first({ serial_number: 'X', color: 7 }), -1, 'a field that is not a string matches nothing')
})

t.test('what a rule does with the device it matches', async (t) => {
  const rule = { name: 'r', profile: 'p' }
  const uuids = { current: 'CUR', older: new Set(['OLD']) }
  t.equal(decide(rule, uuids, { profile_status: 'empty' }), 'assign')
  t.equal(decide(rule, uuids, { profile_status: 'removed', profile_uuid: 'OTHER' }), 'assign')
  t.equal(decide(rule, uuids, { profile_status: 'assigned' }), 'assign', 'no UUID: no profile')
  t.equal(decide(rule, uuids, { profile_status: 'pushed', profile_uuid: 'cur' }), 'current')
  t.equal(decide(rule, uuids, { profile_status: 'assigned', profile_uuid: 'OLD' }), 'assign', 'an older UUID of its profile')
  t.equal(decide(rule, uuids, { profile_status: 'assigned', profile_uuid: 'OTHER' }), 'other_profile')
  t.equal(decide({ ...rule, replace: true }, uuids, { profile_status: 'assigned', profile_uuid: 'OTHER' }), 'assign')
})

t.test('canonical JSON: sorted keys at every depth, undefined left out, arrays kept in order', async (t) => {
  t.equal(canonicalJson({ b: 1, a: { d: [2, 1], c: undefined, b: null } }), '{"a":{"b":null,"d":[2,1]},"b":1}')
  t.equal(contentHash({ x: 1, y: 2 }), contentHash({ y: 2, x: 1 }))
  t.not(contentHash({ x: [1, 2] }), contentHash({ x: [2, 1] }))
})
