/**
 * The contract test for the answers only an app without the device mirror gives (DEPGATE_MIRROR=false:
 * 409 INVENTORY_DISABLED, fixtures.ts MIRROR_OFF), which contract-a, b and c, whose app keeps a
 * mirror, leave out: see harness.ts.
 */
import t from 'tap'
import { runContract } from './harness.js'

t.test('every documented status only an app without the mirror answers, answers as documented', async (t) => {
  await runContract(t, () => true, { mirrorOff: true })
})
