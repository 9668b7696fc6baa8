/**
 * The contract test for a third of the document's operations (contract-a and b take the others,
 * so tap runs them side by side): see harness.ts.
 */
import t from 'tap'
import { runContract } from './harness.js'

t.test('every documented status of a third of the operations answers as documented', async (t) => {
  await runContract(t, (_op, index) => index % 3 === 2)
})
