import t from 'tap'
import { trackClient } from '../../src/servers/client-tracking.js'
import type { DepClient } from '../../src/dep/index.js'

t.test('promises, the pass-through, iterators and plain values are observed as they should be', async (t) => {
  const seen: string[] = []
  const fake = {
    baseUrl: 'http://x',
    ok: async () => 1,
    fails: async () => { throw new Error('boom') },
    request: async (status: number) => ({ status }),
    plain: () => 7,
    async * pages (failAt?: number) {
      for (let i = 0; i < 3; i++) {
        if (i === failAt) throw new Error('page failed')
        yield i
      }
    },
    close: async () => { seen.push('close') }
  }
  const c = trackClient(fake as unknown as DepClient, { success: () => { seen.push('ok') }, failure: (e) => { seen.push(`fail:${(e as Error).message}`) } }) as unknown as typeof fake
  t.equal(c.baseUrl, 'http://x')
  t.equal(await c.ok(), 1)
  await t.rejects(c.fails(), /boom/)
  t.same(await c.request(403), { status: 403 })
  t.same(await c.request(200), { status: 200 })
  t.equal(c.plain(), 7)
  const got: number[] = []
  for await (const p of c.pages()) {
    got.push(p)
    if (p === 1) break
  }
  t.same(got, [0, 1])
  await t.rejects(async () => { for await (const p of c.pages(1)) got.push(p) }, /page failed/)
  await c.close()
  t.same(seen, ['ok', 'fail:boom', 'ok', 'ok', 'ok', 'ok', 'fail:page failed', 'close'])
})

t.test('a method replaced on the client is the one called, still observed', async (t) => {
  let seen = 0
  const fake = { get: async () => 1 }
  const c = trackClient(fake as unknown as DepClient, { success: () => { seen++ }, failure: () => {} }) as unknown as typeof fake
  t.equal(await c.get(), 1)
  t.equal(c.get, c.get, 'the same wrapper each time')
  fake.get = async () => 2
  t.equal(await c.get(), 2)
  t.equal(seen, 2)
})
