import t from 'tap'
import { retryAfterMs, retryingFetch, type Fetch } from '../../../clients/typescript/retry.js'

const NOW = Date.parse('2026-12-07T12:00:00Z')

/** A fetch that answers from a script, one response per call, and records what it was sent. */
function scripted (answers: Array<() => Response>): { fetch: Fetch, bodies: string[] } {
  const bodies: string[] = []
  let i = 0
  return {
    bodies,
    fetch: async (request) => {
      bodies.push(await request.text())
      const answer = answers[Math.min(i++, answers.length - 1)]
      return answer()
    }
  }
}

const busy = (status: number, retryAfter?: string) => () =>
  new Response(JSON.stringify({ code: 'BUSY' }), { status, headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter } })
const ok = () => new Response('{}', { status: 200 })

t.test('Retry-After as seconds or as an HTTP-date', async (t) => {
  t.equal(retryAfterMs('7', NOW), 7000)
  t.equal(retryAfterMs(' 0 ', NOW), 0)
  t.equal(retryAfterMs('Mon, 07 Dec 2026 12:00:30 GMT', NOW), 30_000)
  t.equal(retryAfterMs('Mon, 07 Dec 2026 11:59:00 GMT', NOW), 0, 'a date past is now')
  t.equal(retryAfterMs(null, NOW), undefined)
  t.equal(retryAfterMs('soon', NOW), undefined)
  t.equal(retryAfterMs('-5', NOW), undefined)
})

t.test('429 and 503 are sent again after Retry-After, with the same body', async (t) => {
  const slept: number[] = []
  const { fetch, bodies } = scripted([busy(429, '2'), busy(503, 'Mon, 07 Dec 2026 12:00:01 GMT'), ok])
  const retrying = retryingFetch(fetch, { sleep: async (ms) => { slept.push(ms) }, now: () => NOW })
  const res = await retrying(new Request('http://depgate.test/v1/x', { method: 'POST', body: '{"a":1}' }))
  t.equal(res.status, 200)
  t.same(slept, [2000, 1000])
  t.same(bodies, ['{"a":1}', '{"a":1}', '{"a":1}'])
})

t.test('the attempts are bounded: the last refusal is the answer', async (t) => {
  const slept: number[] = []
  const { fetch, bodies } = scripted([busy(429, '1')])
  const res = await retryingFetch(fetch, { attempts: 2, sleep: async (ms) => { slept.push(ms) } })(new Request('http://depgate.test/'))
  t.equal(res.status, 429)
  t.same(await res.json(), { code: 'BUSY' }, 'the answer returned is readable')
  t.equal(bodies.length, 2)
  t.same(slept, [1000])
})

t.test('no retry without Retry-After, beyond maxDelayMs, for other statuses, or with one attempt', async (t) => {
  const cases: Array<[string, () => Response, Parameters<typeof retryingFetch>[1]]> = [
    ['no Retry-After', busy(503), {}],
    ['too long', busy(429, '61'), {}],
    ['too long for the caller', busy(429, '5'), { maxDelayMs: 4000 }],
    ['not a retry status', busy(500, '1'), {}],
    ['one attempt', busy(429, '1'), { attempts: 1 }],
    ['attempts below 1 mean one', busy(429, '1'), { attempts: 0 }]
  ]
  for (const [name, answer, opts] of cases) {
    const { fetch, bodies } = scripted([answer, ok])
    const res = await retryingFetch(fetch, { ...opts, sleep: async () => { t.fail(`${name}: no wait`) } })(new Request('http://depgate.test/'))
    t.not(res.status, 200, name)
    t.equal(bodies.length, 1, name)
  }
})

t.test('the default sleep waits the real delay; a refusal without a body is fine', async (t) => {
  const { fetch } = scripted([() => new Response(null, { status: 503, headers: { 'retry-after': '0' } }), ok])
  const res = await retryingFetch(fetch)(new Request('http://depgate.test/'))
  t.equal(res.status, 200)
})
