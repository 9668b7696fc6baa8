// @slow: every Apple endpoint group × every fault
/**
 * Fault matrix, part 1 (reads and drains): each group of PART_ONE × every fault (faults.ts),
 * generated. The groups run side by side (each has its own simulator and depgate), because most
 * of a timeout cell is waiting; part 2 is a separate file so tap can run the halves in parallel.
 */
import t from 'tap'
import { GROUPS, PART_ONE } from './groups.js'
import { cellsOf, runGroup } from './harness.js'

const groups = GROUPS.filter((g) => PART_ONE.includes(g.name))
t.test(`${groups.length} groups, ${groups.reduce((n, g) => n + cellsOf(g).length, 0)} cells`, async (t) => {
  await Promise.all(groups.map(async (g) => { await runGroup(t, g) }))
})
