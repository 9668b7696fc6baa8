// @slow: starts and kills depgate processes from the compiled build over a 5,000-device fleet
/**
 * The rule backfill survives a SIGKILL: depgate is killed while the apply_rules job is part way
 * (Apple's assign calls slowed by a latency fault), restarted on the same data dir, and then every
 * device ends as the rules say, nothing is left pending, and Apple (the simulator) never assigned a
 * device that did not need it: the ones on another profile keep it, untouched (replace is false).
 */
import t from 'tap'
import { startSim } from '../dep/sim.js'
import { until } from '../helper.js'
import { depgateEnv, startDepgate } from '../processes-kit.js'
import { PROFILE, S } from './engine-app.js'

interface SimDevice { serial_number: string, device_family: string, profile_status: string, profile_uuid?: string, profile_assign_time?: string }

t.test('SIGKILL during a 5,000-device backfill, then restart: every device as the rules say, none assigned needlessly', async (t) => {
  const sim = await startSim(t, { devices: 5000, seed: 15 })
  // A short job claim: the restarted process resumes the killed one's job 3 s after its last heartbeat.
  const env = depgateEnv(t, sim, { DEPGATE_SYNC_PAGE_SIZE: '1000', DEPGATE_JOB_LEASE: '3' })
  const authorization = `Bearer ${env.DEPGATE_ADMIN_KEY!}`
  let base = ''
  const call = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    const json = await res.json()
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`)
    return json
  }

  const first = await startDepgate(t, env)
  base = first.url
  await until('the first fetch', async () => (await call('GET', S)).inventory.ready === true, 60_000)
  const macs = (await call('PUT', `${S}/enrollment-profiles/macs`, { ...PROFILE, profile_name: 'macs' })).profile_uuid as string
  const others = (await call('PUT', `${S}/enrollment-profiles/others`, { ...PROFILE, profile_name: 'others' })).profile_uuid as string
  await call('PUT', `${S}/assignment-rules`, { rules: [{ name: 'macs', match: { device_family: 'Mac' }, profile: 'macs' }, { name: 'the rest', match: {}, profile: 'others' }] })

  const before = (await sim.control<{ devices: SimDevice[] }>('GET', '/_sim/devices')).devices
  const needs = (d: SimDevice): boolean => d.profile_status === 'empty' || d.profile_status === 'removed'
  const needed = before.filter(needs)
  t.ok(needed.length > 3000 && needed.length < before.length, `${needed.length} of ${before.length} devices need a profile, the others keep theirs`)

  // Each assign call takes 2 s: the kill lands between two batches of at most 1000 serials.
  await sim.fault({ endpoint: 'assign_profile', kind: 'latency', ms: 2000, times: 0 })
  const job = await call('POST', `${S}/assignment-rules/apply`)
  const partWay = await until('the backfill part way', async () => {
    const j = await call('GET', `/v1/jobs/${job.id as string}`)
    return j.progress.total === needed.length && j.progress.done > 0 && j.progress.done < j.progress.total && j
  }, 60_000)
  first.child.kill('SIGKILL')
  await first.exited
  t.pass(`killed with ${partWay.progress.done as number} of ${partWay.progress.total as number} done`)
  await sim.control('DELETE', '/_sim/faults')

  const second = await startDepgate(t, env)
  base = second.url
  const done = await until('the job to finish on the restarted process', async () => {
    const j = await call('GET', `/v1/jobs/${job.id as string}`)
    return j.state === 'succeeded' && j
  }, 60_000)
  t.equal(done.progress.total, partWay.progress.total, 'the resumed job keeps the total it was queued with')
  t.equal(done.progress.done, done.progress.total, 'the job\'s progress reaches its total')
  t.same((await call('GET', `${S}/assignments?status=pending`)).assignments, [], 'no serial left pending')

  const after = new Map((await sim.control<{ devices: SimDevice[] }>('GET', '/_sim/devices')).devices.map((d) => [d.serial_number, d]))
  const wrong = before.filter((d) => {
    const now = after.get(d.serial_number)!
    if (!needs(d)) return now.profile_uuid !== d.profile_uuid || now.profile_assign_time !== d.profile_assign_time
    return now.profile_uuid !== (d.device_family === 'Mac' ? macs : others) || now.profile_status !== 'assigned'
  })
  t.same(wrong.map((d) => d.serial_number), [], 'every device as the rules say; the ones on another profile untouched')
  // Every device needing one was sent once, but for the batch in flight at the kill (sent again).
  const calls = (await sim.stats()).requests.assign_profile ?? 0
  const floor = Math.ceil(needed.filter((d) => d.device_family === 'Mac').length / 1000) + Math.ceil(needed.filter((d) => d.device_family !== 'Mac').length / 1000)
  t.ok(calls >= floor && calls <= floor + 1, `${calls} assign calls (floor ${floor})`)
  second.child.kill('SIGTERM')
  await second.exited
})
