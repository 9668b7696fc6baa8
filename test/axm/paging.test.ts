// @slow: pages through a 25,000-device organisation
/**
 * JSON:API paging (docs/apple-axm.md §3) at the maximum page size, and the simulator's answers to
 * bad paging and field parameters.
 */
import t from 'tap'
import { MAX_PAGE_LIMIT } from '../../src/axm/index.js'
import { startOrg } from './fixtures.js'

t.test('25,000 organisation devices page through exactly', async (t) => {
  const org = await startOrg(t, { devices: 0, orgDevices: 25_000 })
  const client = org.client()
  const seen = new Set<string>()
  let pages = 0
  let resumeAt: string | undefined
  for await (const page of client.orgDevicePages()) {
    pages++
    for (const device of page.items) seen.add(device.serialNumber)
    if (pages === 12) resumeAt = page.nextCursor
    t.equal(page.nextCursor === undefined, pages === 25, 'only the last page has no cursor')
  }
  t.equal(pages, 25_000 / MAX_PAGE_LIMIT)
  t.equal(seen.size, 25_000)
  t.same([...seen], org.sim.axm.org.order, 'every device once, in Apple\'s order')
  t.match((await org.call('GET', '/_sim/axm/stats')).json.requests, { token: 1, org_devices: 25 })

  // A stored cursor resumes the walk where it stopped.
  let rest = 0
  for await (const page of client.orgDevicePages({ cursor: resumeAt })) rest += page.items.length
  t.equal(rest, 13_000)

  // Server serials page the same way; the three servers hold every assigned device.
  const servers = await client.listMdmServers()
  let assigned = 0
  for (const server of servers) {
    const serials = await client.listMdmServerSerials(server.id)
    t.equal(serials.length, server.deviceCount, `${server.serverName}: deviceCount matches its serials`)
    assigned += serials.length
  }
  t.equal(assigned, [...org.sim.axm.org.records.values()].filter((r) => r.server !== null).length)
})

t.test('the simulator answers bad paging and fields with Apple\'s 400', async (t) => {
  const org = await startOrg(t)
  const token = await (async () => {
    const client = org.client()
    await client.verify()
    return [...org.sim.axm.auth.tokens.keys()][0]
  })()
  const get = async (path: string, headers: Record<string, string> = {}): Promise<{ status: number, json: any }> => {
    const { status, json } = await org.call('GET', path, undefined, { authorization: `Bearer ${token}`, ...headers })
    return { status, json }
  }
  t.match(await get('/v1/orgDevices?limit=1001'), { status: 400, json: { errors: [{ status: '400', code: 'PARAMETER_ERROR.INVALID', source: { parameter: 'limit' } }] } })
  t.match(await get('/v1/orgDevices?limit=0'), { status: 400 })
  t.match(await get('/v1/orgDevices?cursor=bm9wZQ'), { status: 400, json: { errors: [{ source: { parameter: 'cursor' } }] } })
  t.match(await get('/v1/orgDevices?fields[orgDevices]=serialNumber,nope'), { status: 400, json: { errors: [{ detail: /'nope'/, source: { parameter: 'fields[orgDevices]' } }] } })
  t.match(await get('/v1/orgDevices/X?fields[orgDevices]=nope'), { status: 400 })
  t.match(await get('/v1/mdmServers?fields[mdmServers]=nope'), { status: 400 })
  t.match(await get('/v1/mdmServers?limit=x'), { status: 400 })
  const servers = (await get('/v1/mdmServers?limit=2')).json
  t.match(servers, { data: { length: 2 }, meta: { paging: { limit: 2, nextCursor: String } }, links: { next: /\/v1\/mdmServers\?cursor=/ } })
  const last = (await get(`/v1/mdmServers?limit=2&cursor=${servers.meta.paging.nextCursor as string}`)).json
  t.match(last, { data: { length: 1 }, meta: { paging: { limit: 2 } } })
  t.notOk('next' in last.links, 'the last page has no next link')
  const dep = org.sim.axm.org.depServerId
  t.match(await get(`/v1/mdmServers/${dep}/relationships/devices?limit=abc`), { status: 400 })
  t.match(await get('/v1/mdmServers/NOPE/relationships/devices'), { status: 404, json: { errors: [{ code: 'NOT_FOUND', detail: 'There is no resource of type \'mdmServers\' with id \'NOPE\'' }] } })

  const sparse = (await get('/v1/orgDevices?limit=5&fields[orgDevices]=serialNumber,status')).json
  t.same(Object.keys(sparse.data[0].attributes).sort(), ['serialNumber', 'status'])
  t.match(sparse.data[0], { type: 'orgDevices', relationships: { assignedServer: { links: { related: /\/assignedServer$/ } } } })
  const serial = sparse.data[0].id as string
  const one = (await get(`/v1/orgDevices/${serial}`)).json
  t.equal(one.data.attributes.releasedFromOrgDateTime, null, 'only single GETs carry releasedFromOrgDateTime')
  t.notOk('releasedFromOrgDateTime' in (await get('/v1/orgDevices?limit=1')).json.data[0].attributes)
  t.match(await get('/v1/orgDevices', { accept: 'text/html' }), { status: 406, json: { errors: [{ status: '406' }] } })
  t.equal((await get('/v1/orgDevices?limit=1', { accept: 'application/json; charset=utf-8, */*' })).status, 200)
  t.match(await get('/v1/orgDevices', { authorization: 'Bearer nope' }), { status: 401, json: { errors: [{ detail: /missing or not valid/ }] } })
  t.match(await org.call('GET', '/v1/orgDevices'), { status: 401 })
  t.match(await get('/v1/orgDevices/NOPE'), { status: 404, json: { errors: [{ detail: 'There is no resource of type \'orgDevices\' with id \'NOPE\'' }] } })
})
