/**
 * The AppleCare end date an org device shows: the latest end among its coverage records; none when
 * it has no record, or only open-ended ones (docs/apple-axm.md).
 */
import t from 'tap'
import { appleCareEnd } from '../../src/api/org-devices.js'

t.test('the latest end date, or none', async (t) => {
  t.equal(appleCareEnd([]), null, 'no coverage record')
  t.equal(appleCareEnd([{ endDateTime: undefined }] as never), null, 'an open-ended record only')
  t.equal(appleCareEnd([{ endDateTime: '2027-01-01T00:00:00Z' }, { endDateTime: '2028-06-30T00:00:00Z' }, { endDateTime: undefined }] as never), '2028-06-30T00:00:00Z')
})
