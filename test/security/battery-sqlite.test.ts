/**
 * The security regression battery on sqlite: the auth matrix over the route table, online guessing
 * of keys, unauthenticated and slow bodies (stalled readers: stalled-readers-sqlite.test.ts; secrets:
 * secret-leak*.test.ts and the scan every test app gets at teardown).
 */
import t from 'tap'
import { authMatrix } from './auth-matrix.js'
import { guessing } from './guessing.js'
import { slowBodies } from './slow-bodies.js'

t.test('auth matrix, generated from the registered routes (sqlite)', async (t) => { await authMatrix(t, 'sqlite') })
t.test('online guessing of keys is refused unchecked once the failures are spent (sqlite)', async (t) => { await guessing(t, 'sqlite') })
t.test('refused bodies close their connection; slow bodies and connection floods are bounded (sqlite)', async (t) => { await slowBodies(t, 'sqlite') })
