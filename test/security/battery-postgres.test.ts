/**
 * The security regression battery on postgres: the auth matrix over the route table, online guessing
 * of keys, unauthenticated and slow bodies (stalled readers: stalled-readers-postgres.test.ts; secrets:
 * secret-leak*.test.ts and the scan every test app gets at teardown).
 */
import t from 'tap'
import { authMatrix } from './auth-matrix.js'
import { guessing } from './guessing.js'
import { slowBodies } from './slow-bodies.js'

t.test('auth matrix, generated from the registered routes (postgres)', async (t) => { await authMatrix(t, 'postgres') })
t.test('online guessing of keys is refused unchecked once the failures are spent (postgres)', async (t) => { await guessing(t, 'postgres') })
t.test('refused bodies close their connection; slow bodies and connection floods are bounded (postgres)', async (t) => { await slowBodies(t, 'postgres') })
