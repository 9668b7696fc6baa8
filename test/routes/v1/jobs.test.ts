/**
 * Jobs over the API, with the simulator as Apple over real HTTP: a 2,500-serial assignment answers
 * 202 with the job, which reaches done = total with a result per serial (the mirror shows the
 * profile at once, the audit log has one attempt per chunk); `Prefer: respond-async` makes a small
 * one a job too; cancel (queued: at once, running: after the call in flight, finished: 409); an
 * unknown profile fails the job with Apple's code; the list's filters and pages; metrics.
 */
import t from 'tap'
import type { Store } from '../../../src/store/index.js'
import { buildTestApp, until, untilReady } from '../../helper.js'

const S = '/v1/servers/default'
const PROFILE = { profile_name: 'Staff Macs', url: 'https://mdm.example.com/enroll' }

let countsFail = false
const wrapStore = (store: Store): Store => ({
  ...store,
  jobs: { ...store.jobs, counts: async () => { if (countsFail) throw new Error('database gone'); return await store.jobs.counts() } }
})
const m = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'true' }, simulator: { devices: 2500 }, wrapStore })
const sim = m.sim!.app
await m.app.ready()
await untilReady(m.app)
const writer = await m.createKey('write')
const reader = await m.createKey('read')
const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, headers: Record<string, string> = {}) =>
  await m.app.inject({ method, url, headers: { ...m.auth(writer), ...headers }, payload })
const serials = ((await sim.inject('/_sim/devices')).json().devices as Array<{ serial_number: string }>).map((d) => d.serial_number)
const uuid = (await call('POST', `${S}/profiles`, PROFILE)).json().profile_uuid as string
const finished = async (id: string) => await until(`job ${id} to finish`, async () => {
  const job = (await call('GET', `/v1/jobs/${id}`)).json()
  return ['succeeded', 'failed', 'cancelled'].includes(job.state) ? job : undefined
})

t.test('2,500 serials: 202 with the job, chunks of 1000, a result per serial, the mirror shows it', async (t) => {
  const [failing, throttled] = [serials[10], serials[2400]]
  await sim.inject({ method: 'PATCH', url: '/_sim/config', payload: { failSerials: [failing], throttleSerials: [throttled] } })
  t.teardown(async () => { await sim.inject({ method: 'PATCH', url: '/_sim/config', payload: { failSerials: [], throttleSerials: [] } }) })
  await sim.inject({ method: 'POST', url: '/_sim/stats/reset' })
  const res = await call('PUT', `${S}/profiles/${uuid}/devices`, { serials })
  t.equal(res.statusCode, 202)
  const job = res.json()
  t.equal(res.headers.location, `/v1/jobs/${job.id}`)
  t.notOk('preference-applied' in res.headers, 'not asked for')
  t.match(job, { kind: 'assign_profile', server: 'default', progress: { total: 2500 }, error: null })
  const done = await finished(job.id)
  t.match(done, { state: 'succeeded', progress: { done: 2500, total: 2500 }, summary: { profile_uuid: uuid, devices: { SUCCESS: 2498, FAILED: 1, THROTTLED: 1 } } })
  t.ok(done.started_at <= done.finished_at)

  const first = (await m.app.inject({ url: `/v1/jobs/${job.id}/results?limit=1000`, headers: m.auth(reader) })).json()
  t.equal(first.results.length, 1000)
  t.match(first.results[0], { serial: [...serials].sort()[0], status: /^[A-Z_]+$/, detail: null })
  const rest: string[] = []
  for (let token = first.next_page_token; token !== null;) {
    const page = (await call('GET', `/v1/jobs/${job.id}/results?limit=1000&page_token=${token as string}`)).json()
    rest.push(...page.results.map((r: { serial: string }) => r.serial))
    token = page.next_page_token
  }
  t.equal(first.results.length + rest.length, 2500, 'every serial has its result')
  t.same((await call('GET', `/v1/jobs/${job.id}/results?status=FAILED`)).json().results.map((r: { serial: string }) => r.serial), [failing])
  t.match((await call('GET', `/v1/jobs/${job.id}/results?status=THROTTLED`)).json(), { results: [{ serial: throttled }], next_page_token: null })
  t.match((await call('GET', `/v1/jobs/${job.id}/results?status=FAILED&page_token=${first.next_page_token as string}`)).json(), { code: 'INVALID_PAGE_TOKEN' }, 'a token for another filter')

  t.match((await call('GET', `${S}/devices/${serials[0]}`)).json(), { profile_uuid: uuid, profile_status: 'assigned' }, 'the mirror shows it at once')
  const audit = (await call('GET', '/v1/audit?action=profile.assign&limit=10', undefined, m.auth())).json().entries
  t.same(audit.filter((e: { detail: string }) => e.detail.includes(`job ${job.id as string}`)).map((e: { serial_count: number, result: string }) => [e.serial_count, e.result]),
    [[500, 'ok'], [1000, 'ok'], [1000, 'ok'], [null, 'ok']], 'one attempt per chunk, newest first, after the request that started it')
})

t.test('Prefer: respond-async makes a small assignment a job; an unknown profile fails it with Apple\'s code', async (t) => {
  const res = await call('PUT', `${S}/profiles/${uuid}/devices`, { serials: serials.slice(0, 2) }, { prefer: 'wait=10, Respond-Async' })
  t.equal(res.statusCode, 202)
  t.equal(res.headers['preference-applied'], 'respond-async')
  t.match(await finished(res.json().id), { state: 'succeeded', summary: { devices: { SUCCESS: 2 } } })
  const sync = await call('PUT', `${S}/profiles/${uuid}/devices`, { serials: serials.slice(0, 2) }, { prefer: 'return=minimal' })
  t.equal(sync.statusCode, 200, 'another preference changes nothing')

  const unknown = await call('PUT', `${S}/profiles/${'F'.repeat(32)}/devices`, { serials: serials.slice(0, 2) }, { prefer: 'respond-async' })
  t.equal(unknown.statusCode, 202)
  t.match(await finished(unknown.json().id), { state: 'failed', summary: null, error: { code: 'PROFILE_NOT_FOUND', message: /PROFILE_NOT_FOUND/ } })
  t.match((await call('PUT', `${S.replace('default', 'nope')}/profiles/${uuid}/devices`, { serials: serials.slice(0, 2) }, { prefer: 'respond-async' })).json(),
    { status: 404, code: 'SERVER_NOT_FOUND' }, 'an unknown server answers now, not as a failed job')
})

t.test('cancel: a queued job at once (200), a running one after its call in flight (202), a finished one 409', async (t) => {
  // The runner works two jobs at once; both hold a call to Apple for a while, so the third waits.
  await sim.inject({ method: 'POST', url: '/_sim/faults', payload: { endpoint: 'assign_profile', kind: 'latency', ms: 1500, times: 2 } })
  const start = async () => (await call('PUT', `${S}/profiles/${uuid}/devices`, { serials })).json()
  const [a, b] = [await start(), await start()]
  await until('both running', async () => (await call('GET', '/v1/jobs?state=running')).json().jobs.length === 2)
  const c = await start()
  const queued = await call('DELETE', `/v1/jobs/${c.id as string}`)
  t.equal(queued.statusCode, 200)
  t.match(queued.json(), { id: c.id, state: 'cancelled', cancel_requested: true })
  const running = await call('DELETE', `/v1/jobs/${a.id as string}`)
  t.equal(running.statusCode, 202)
  t.match(running.json(), { state: 'running', cancel_requested: true })
  const cancelled = await finished(a.id)
  t.equal(cancelled.state, 'cancelled')
  t.ok(cancelled.progress.done < 2500, 'stopped before the end')
  t.equal((await call('GET', `/v1/jobs/${a.id as string}/results?limit=1000`)).json().results.length, cancelled.progress.done, 'what it did is listed')
  t.match(await finished(b.id), { state: 'succeeded' })
  t.match((await call('DELETE', `/v1/jobs/${b.id as string}`)).json(), { status: 409, code: 'JOB_FINISHED', detail: /already finished \(succeeded\)/ })
  t.equal((await m.app.inject({ method: 'DELETE', url: `/v1/jobs/${b.id as string}`, headers: m.auth(reader) })).statusCode, 403, 'cancel needs write')
})

t.test('list: newest first, filters, pages; unknown and malformed ids', async (t) => {
  const all = (await call('GET', '/v1/jobs')).json()
  t.equal(all.jobs.length, 6)
  t.equal(all.next_page_token, null)
  t.same((await call('GET', '/v1/jobs?state=failed&kind=assign_profile&server=default')).json().jobs.length, 1)
  t.same((await call('GET', '/v1/jobs?server=other')).json().jobs, [])
  const seen: string[] = []
  let url = '/v1/jobs?limit=3&kind=assign_profile'
  for (;;) {
    const page = (await call('GET', url)).json()
    seen.push(...page.jobs.map((j: { id: string }) => j.id))
    if (page.next_page_token === null) break
    url = `/v1/jobs?limit=3&kind=assign_profile&page_token=${page.next_page_token as string}`
  }
  t.same(seen, all.jobs.map((j: { id: string }) => j.id), 'pages in order, each job once')
  for (const bad of ['x', Buffer.from('not json').toString('base64url'), Buffer.from('[1,2,3]').toString('base64url')]) {
    t.match((await call('GET', `/v1/jobs?page_token=${bad}`)).json(), { status: 400, code: 'INVALID_PAGE_TOKEN' })
  }
  const missing = '00000000-0000-4000-8000-000000000000'
  t.match((await call('GET', `/v1/jobs/${missing}`)).json(), { status: 404, code: 'JOB_NOT_FOUND' })
  t.match((await call('GET', `/v1/jobs/${missing}/results`)).json(), { status: 404, code: 'JOB_NOT_FOUND' })
  t.match((await call('DELETE', `/v1/jobs/${missing}`)).json(), { status: 404, code: 'JOB_NOT_FOUND' })
  t.match((await call('GET', '/v1/jobs/not-a-uuid')).json(), { status: 400, code: 'VALIDATION_FAILED' })
})

t.test('metrics: jobs by kind and state, jobs running here; a failed count leaves the series out', async (t) => {
  const text = (await m.app.inject('/metrics')).body
  t.match(text, /depgate_jobs\{kind="assign_profile",state="succeeded"\} 3/)
  t.match(text, /depgate_jobs_running 0/)
  countsFail = true
  const without = (await m.app.inject('/metrics')).body
  countsFail = false
  t.notMatch(without, /depgate_jobs\{/)
  t.ok(m.logs.some((l) => l.includes('could not count jobs')))
})
