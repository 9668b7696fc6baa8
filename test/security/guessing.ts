/**
 * Online guessing of API keys (run by battery-*.test.ts on each database): wrong keys
 * are counted per client address and per key id, and once DEPGATE_AUTH_FAILURE_LIMIT are spent
 * the answer is 429 with Retry-After, before the key's record is read: the test counts the store's
 * key reads. Several clients are played from distinct loopback addresses (127.0.0.x).
 */
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import { generateApiKey } from '../../src/api-key-secrets.js'
import type { Store } from '../../src/store/index.js'
import type { TestDialect } from '../databases.js'
import { buildTestApp } from '../helper.js'
import { rawRequest, readBody } from './raw-http.js'

const LIMIT = 5

export async function guessing (t: Test, dialect: TestDialect): Promise<void> {
  let keyReads = 0
  const counting = (store: Store): Store => {
    const keys = store.keys
    return {
      ...store,
      keys: {
        ...keys,
        peekForAuth: (id) => { keyReads++; return keys.peekForAuth(id) },
        getForAuth: async (id) => { keyReads++; return await keys.getForAuth(id) }
      }
    }
  }
  const h = await buildTestApp(t, { dialect, simulator: false, wrapStore: counting, env: { DEPGATE_AUTH_FAILURE_LIMIT: String(LIMIT) } })
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  const port = (h.app.server.address() as AddressInfo).port
  const call = async (key: string, from: string) => {
    const answer = await rawRequest({ port, localAddress: from, head: `GET /v1/servers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}` })
    const body = JSON.parse(await readBody(answer)) as { code?: string, detail?: string }
    answer.socket.destroy()
    return { status: answer.status, headers: answer.headers, body }
  }
  const key = await h.createKey('read', 'guessed')
  const other = await h.createKey('read', 'bystander')
  const unknown = () => generateApiKey().key

  // One address guessing other keys: its first LIMIT failures are checked (and read the store), then it is refused unchecked.
  for (let i = 0; i < LIMIT; i++) t.equal((await call(unknown(), '127.0.0.1')).status, 401, `guess ${i + 1} is checked`)
  const before = keyReads
  t.ok(before >= LIMIT, 'the checked guesses read their keys')
  const refused = await call(unknown(), '127.0.0.1')
  t.equal(refused.status, 429)
  t.match(refused.body, { code: 'TOO_MANY_AUTH_FAILURES', detail: /DEPGATE_AUTH_FAILURE_LIMIT/ })
  t.ok(Number(refused.headers['retry-after']) >= 1 && Number(refused.headers['retry-after']) <= 60, 'Retry-After: the rest of the minute')
  t.equal((await call(key, '127.0.0.1')).status, 429, 'even a valid key, from that address, until the minute is over')
  t.equal((await call('x'.repeat(40), '127.0.0.1')).status, 429, 'and the bootstrap key\'s format')
  t.equal(keyReads, before, 'no key record was read for a refused attempt')
  t.equal((await call(key, '127.0.0.2')).status, 200, 'another address is not held off')

  // Many addresses guessing one key's secret: the key id's failures are counted too.
  const wrong = key.slice(0, -2) + (key.endsWith('AA') ? 'BB' : 'AA')
  for (let i = 0; i < LIMIT; i++) t.equal((await call(wrong, `127.0.0.${10 + i}`)).status, 401)
  const reads = keyReads
  t.equal((await call(wrong, '127.0.0.20')).status, 429, 'a fresh address guessing the same key id is refused')
  t.equal((await call(key, '127.0.0.21')).status, 429, 'the key itself is held off for the rest of the minute')
  t.equal(keyReads, reads, 'unchecked')
  t.equal((await call(other, '127.0.0.21')).status, 200, 'other keys are not')
}
