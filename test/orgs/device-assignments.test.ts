/**
 * POST /v1/orgs/{org}/device-assignments over real HTTP against the simulator: 2,500 serials
 * assigned to the DEP server as a job of three Apple activities followed on the test's clock, each
 * serial's outcome recorded; the DEP mirror's next sync shows them; unassigning removes them; a
 * FAILED activity is each of its serials' outcome; unknown org and MDM server answered at once, the
 * server looked up in the org mirror (Apple asked only for one it does not list); an activity Apple
 * leaves IN_PROGRESS past DEPGATE_ORG_ACTIVITY_TIMEOUT ends the job failed, its serials TIMED_OUT.
 */
import t from 'tap'
import { request } from 'undici'
import { ManualScheduler } from '../../src/scheduler.js'
import { buildTestApp, until } from '../helper.js'

t.test('org device assignment as a job', async (t) => {
  const scheduler = new ManualScheduler()
  const ctx = await buildTestApp(t, {
    scheduler,
    simulator: { devices: 0, orgDevices: 2600 },
    env: { DEPGATE_MIRROR: 'true', DEPGATE_ORG_ACTIVITY_TIMEOUT: '600' },
    orgs: { refresh: false }
  })
  const url = await ctx.app.listen({ host: '127.0.0.1', port: 0 })
  const sim = ctx.sim!
  const call = async (method: string, path: string, body?: unknown, base = url, auth = true) => {
    const res = await request(base + path, {
      method: method as 'GET',
      headers: { ...(auth ? ctx.auth() : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    const text = await res.body.text()
    return { status: res.statusCode, json: JSON.parse(text), headers: res.headers }
  }
  await call('PATCH', '/_sim/config', { axmActivityMs: 1000, axmConsistencyLagMs: 0 }, sim.url, false)
  const account = (await call('POST', '/_sim/axm/keys', {}, sim.url, false)).json
  t.equal((await call('PUT', '/v1/orgs/acme?verify=false', { client_id: account.clientId, key_id: account.keyId, private_key: account.privateKey, base_url: sim.url, token_url: `${sim.url}/auth/oauth2/token` })).status, 201)
  const depId = (await call('GET', '/_sim/axm/servers', undefined, sim.url, false)).json.depServerId as string
  const serials = ((await call('GET', '/_sim/axm/devices', undefined, sim.url, false)).json.devices as Array<{ serialNumber: string }>).map((d) => d.serialNumber)
  const batch = serials.slice(0, 2500)
  // The mirror takes its lease and fetches on the app's clock.
  await until('the DEP mirror to be ready', async () => {
    await scheduler.advance(1000)
    return (await ctx.app.mirror.status('default')).ready
  })

  const serverLists = async (): Promise<number> => (await call('GET', '/_sim/axm/stats', undefined, sim.url, false)).json.requests.mdm_servers ?? 0
  t.match(await call('POST', '/v1/orgs/nope/device-assignments', { action: 'assign', mdm_server: depId, serials: batch.slice(0, 1) }), { status: 404, json: { code: 'ORG_NOT_FOUND' } })
  let lists = await serverLists()
  t.match(await call('POST', '/v1/orgs/acme/device-assignments', { action: 'assign', mdm_server: 'NOPE', serials: batch.slice(0, 1) }), { status: 404, json: { code: 'ORG_MDM_SERVER_NOT_FOUND' } })
  t.equal(await serverLists(), lists + 1, 'a server the mirror does not list is asked of Apple')

  // The org mirror's walk lists the MDM servers: from then on a known one is checked without Apple.
  await ctx.app.orgs.refresher.tick()
  await scheduler.settle(ctx.app.orgs.refresher.current('acme')!)
  lists = await serverLists()

  const runJob = async (body: unknown) => {
    const res = await call('POST', '/v1/orgs/acme/device-assignments', body)
    t.equal(res.status, 202)
    t.equal(res.headers.location, `/v1/jobs/${res.json.id as string}`)
    t.match(res.json, { kind: 'org_device_assignment', state: /queued|running/ })
    // The job waits on the app's clock between looks at Apple's activity, Apple on the simulator's.
    return await until('the job to finish', async () => {
      await call('POST', '/_sim/clock', { advanceMs: 1000 }, sim.url, false)
      await scheduler.advance(5000)
      const job = (await call('GET', res.headers.location as string)).json
      return ['succeeded', 'failed'].includes(job.state) ? job : undefined
    })
  }
  const mirrored = async (): Promise<number> => {
    await ctx.app.mirror.requestSync('default', { wait: true })
    return (await call('GET', '/v1/servers/default/devices?limit=1')).json.total
  }

  const assigned = await runJob({ action: 'assign', mdm_server: depId, serials: batch })
  t.equal(await serverLists(), lists, 'the MDM server was found in the org mirror: Apple not asked')
  t.match(assigned, { state: 'succeeded', progress: { done: 2500, total: 2500 }, summary: { action: 'assign', mdm_server: depId, devices: { SUCCESS: 2500 }, failed_activities: [] } })
  const results = (await call('GET', `/v1/jobs/${assigned.id as string}/results?limit=1000`)).json
  t.match(results.results[0], { status: 'SUCCESS' })
  t.equal(await mirrored(), 2500, 'the DEP mirror shows them after its next sync')

  const unassigned = await runJob({ action: 'unassign', mdm_server: depId, serials: batch })
  t.match(unassigned, { state: 'succeeded', summary: { devices: { SUCCESS: 2500 } } })
  t.equal(await mirrored(), 0, 'unassigning removes them')

  await call('PATCH', '/_sim/config', { axmFailSerials: [serials[2500]] }, sim.url, false)
  const failed = await runJob({ action: 'assign', mdm_server: depId, serials: [serials[2500]] })
  t.match(failed, { state: 'succeeded', summary: { devices: { FAILED: 1 }, failed_activities: [String] } })
  t.match((await call('GET', `/v1/jobs/${failed.id as string}/results`)).json.results, [{ serial: serials[2500], status: 'FAILED', detail: 'COMPLETED_WITH_ERROR' }])

  // Apple never finishes the activity (on the simulator's clock): after DEPGATE_ORG_ACTIVITY_TIMEOUT (600 s) the job gives up.
  await call('PATCH', '/_sim/config', { axmActivityMs: 30 * 86_400_000, axmFailSerials: [] }, sim.url, false)
  const stuck = await call('POST', '/v1/orgs/acme/device-assignments', { action: 'assign', mdm_server: depId, serials: serials.slice(2501, 2503) })
  t.equal(stuck.status, 202)
  const started = scheduler.now()
  const gaveUp = await until('the stuck job to give up', async () => {
    await call('POST', '/_sim/clock', { advanceMs: 60_000 }, sim.url, false)
    await scheduler.advance(60_000)
    const job = (await call('GET', stuck.headers.location as string)).json
    return job.state === 'running' || job.state === 'queued' ? undefined : job
  })
  t.ok(scheduler.now() - started >= 600_000, 'not before the deadline')
  t.match(gaveUp, { state: 'failed', progress: { done: 2, total: 2 }, error: { code: 'ORG_ACTIVITY_TIMED_OUT', message: /in progress for more than 10 minutes \(DEPGATE_ORG_ACTIVITY_TIMEOUT\)/ } })
  const timedOut = (await call('GET', `/v1/jobs/${stuck.json.id as string}/results`)).json.results as Array<{ serial: string, status: string, detail: string }>
  t.same(timedOut.map((r) => [r.serial, r.status]).sort(), serials.slice(2501, 2503).map((s) => [s, 'TIMED_OUT']).sort())
  t.match(timedOut[0].detail, /still in progress after 10 minutes/)
})
