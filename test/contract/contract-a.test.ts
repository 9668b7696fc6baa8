/**
 * The contract test, first half of the document's operations (contract-b takes the rest, so tap
 * runs the two side by side): see harness.ts.
 */
import t from 'tap'
import { runContract } from './harness.js'

t.test('every documented status of half the operations answers as documented', async (t) => {
  await runContract(t, (_op, index) => index % 2 === 0)
})
