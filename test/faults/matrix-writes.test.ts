// @slow: every Apple endpoint group × every fault
/**
 * Fault matrix, part 2 (profiles, writes, the remaining Apple endpoints): every group not in
 * PART_ONE × every fault (faults.ts), generated, the groups side by side as in part 1.
 */
import t from 'tap'
import { GROUPS, PART_ONE } from './groups.js'
import { cellsOf, runGroup } from './harness.js'

const groups = GROUPS.filter((g) => !PART_ONE.includes(g.name))
t.test(`${groups.length} groups, ${groups.reduce((n, g) => n + cellsOf(g).length, 0)} cells`, async (t) => {
  await Promise.all(groups.map(async (g) => { await runGroup(t, g) }))
})
