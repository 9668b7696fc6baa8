import t from 'tap'
import { chunkedFailure, chunkSerials, mergeAssign, mergeDevices, runChunked } from '../../src/dep/chunks.js'
import { DepApiError } from '../../src/dep/errors.js'
import type { AssignProfileResult } from '../../src/dep/schemas.js'

const serials = (n: number, prefix = 'S'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

t.test('chunkSerials de-duplicates, keeps order and caps chunks at 1000', async (t) => {
  const chunks = chunkSerials([...serials(2500), ...serials(10)])
  t.same(chunks.map((c) => c.length), [1000, 1000, 500])
  t.equal(chunks[0][0], 'S0')
  t.equal(chunks[2][499], 'S2499')
  t.same(chunkSerials(['A', 'B', 'A', 'C'], 2), [['A', 'B'], ['C']])
  t.same(chunkSerials([]), [])
  t.throws(() => chunkSerials(['A'], 0), RangeError)
  t.throws(() => chunkSerials(['A'], 1.5), RangeError)
})

t.test('mergeDevices and mergeAssign', async (t) => {
  t.same(mergeDevices({ devices: { A: 'SUCCESS' } }, { devices: { B: 'FAILED' } }), { devices: { A: 'SUCCESS', B: 'FAILED' } })
  t.same(
    mergeAssign<AssignProfileResult>({ profile_uuid: 'P', devices: { A: 'THROTTLED' }, retry_after_seconds: 30 }, { profile_uuid: 'P', devices: { B: 'THROTTLED' }, retry_after_seconds: 90 }),
    { profile_uuid: 'P', devices: { A: 'THROTTLED', B: 'THROTTLED' }, retry_after_seconds: 90 }
  )
  t.same(mergeAssign({ devices: { A: 'SUCCESS' } }, { devices: { B: 'THROTTLED' }, retry_after_seconds: 5 }).retry_after_seconds, 5)
  t.notOk('retry_after_seconds' in mergeAssign({ devices: {} }, { devices: { B: 'SUCCESS' } }))
})

t.test('runChunked calls chunk by chunk and merges', async (t) => {
  const sizes: number[] = []
  const result = await runChunked(serials(2500), async (chunk) => {
    sizes.push(chunk.length)
    return { devices: Object.fromEntries(chunk.map((s) => [s, 'SUCCESS'])) }
  }, mergeDevices, { devices: {} })
  t.same(sizes, [1000, 1000, 500])
  t.equal(Object.keys(result.devices).length, 2500)
})

t.test('a failing chunk keeps the results already merged on the error', async (t) => {
  let calls = 0
  const err = await runChunked(serials(2500), async (chunk) => {
    if (++calls === 2) throw new DepApiError('boom', { code: 'DEVICE_ID_REQUIRED', status: 400, endpoint: 'assign_profile' })
    return { devices: Object.fromEntries(chunk.map((s) => [s, 'SUCCESS'])) }
  }, mergeDevices, { devices: {} }).catch((e: unknown) => e)
  t.type(err, DepApiError)
  const failure = chunkedFailure<{ devices: Record<string, string> }>(err)
  t.ok(failure)
  t.equal(Object.keys(failure?.partial.devices ?? {}).length, 1000)
  t.equal(failure?.pending.length, 1500)
  t.equal(failure?.pending[0], 'S1000')
})

t.test('errors that are not DepErrors pass through untouched', async (t) => {
  const abort = new Error('aborted')
  await t.rejects(runChunked(['A'], async () => { throw abort }, mergeDevices, { devices: {} }), abort)
  t.equal(chunkedFailure(abort), undefined)
  t.equal(chunkedFailure(new DepApiError('x', { code: 'X', endpoint: 'account' })), undefined)
})
