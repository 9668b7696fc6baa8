import t from 'tap'
import { scopeAllows } from '../src/scopes.js'

t.test('scopes are ordered', async (t) => {
  t.ok(scopeAllows('admin', 'read'))
  t.ok(scopeAllows('write', 'write'))
  t.notOk(scopeAllows('read', 'write'))
  t.notOk(scopeAllows('write', 'admin'))
})
