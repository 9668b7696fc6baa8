/**
 * The contract test, second half of the document's operations (contract-a takes the others, so tap
 * runs the two side by side): see harness.ts.
 */
import t from 'tap'
import { runContract } from './harness.js'

t.test('every documented status of half the operations answers as documented', async (t) => {
  await runContract(t, (_op, index) => index % 2 === 1)
})
