/**
 * `device.added`, `device.modified`, `device.removed`: one event per device change the mirror
 * commits, carrying the change feed's `seq` (GET …/devices/changes?since= picks up from it) and
 * the device as Apple last described it. One device per event keeps each payload small (a device
 * record is well under 4 KiB), however large the page it came in.
 */
import type { PlannedChange } from '../store/mirror-diff.js'
import type { EventInput } from './types.js'

export function deviceEvent (server: string, change: PlannedChange, seq: number): EventInput {
  return {
    type: `device.${change.op}`,
    server,
    data: { server, seq, serial_number: change.serial, device: JSON.parse(change.record) as unknown }
  }
}
