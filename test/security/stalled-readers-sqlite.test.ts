import t from 'tap'
import { stalledReaders } from './stalled-readers.js'

t.test('stalled whole-list readers are cut off and what they held is freed (sqlite)', async (t) => { await stalledReaders(t, 'sqlite') })
