/**
 * Throwaway HTTP servers on 127.0.0.1:0 for what a real Apple can do but the simulator cannot be
 * scripted to do precisely (exact bodies, stalls, half-written answers). Integration tests use the
 * simulator instead.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import { DepClient, type DepClientOptions, type DepClientEvent } from '../../src/dep/index.js'

export interface Seen { method: string, url: string, headers: IncomingMessage['headers'], body: string }
export type Handler = (req: Seen, res: ServerResponse) => void | Promise<void>

export const TOKEN = {
  consumer_key: 'CK_test',
  consumer_secret: 'CS_secret',
  access_token: 'AT_test',
  access_secret: 'AS_secret',
  access_token_expiry: '2099-01-01T00:00:00Z'
}

export async function startServer (t: Test, handler: Handler): Promise<{ url: string, seen: Seen[] }> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => { body += chunk })
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body }
      seen.push(s)
      Promise.resolve(handler(s, res)).catch((err: unknown) => res.destroy(err as Error))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

export function send (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF8', ...headers })
  res.end(text)
}

/** A fake Apple: `/session` hands out `S1`, `S2`, …; every other path goes to `api`. */
export function fakeApple (api: Handler): Handler & { sessions: () => number } {
  let issued = 0
  const handler = (req: Seen, res: ServerResponse): void | Promise<void> => {
    if (req.url === '/session') {
      send(res, 200, { auth_session_token: `S${++issued}` })
      return
    }
    return api(req, res)
  }
  return Object.assign(handler, { sessions: () => issued })
}

/** A client with instant, recorded retry delays. */
export function makeClient (t: Test, url: string, opts: Partial<DepClientOptions> = {}): { client: DepClient, events: DepClientEvent[], delays: number[] } {
  const events: DepClientEvent[] = []
  const delays: number[] = []
  const client = new DepClient({
    token: TOKEN,
    baseUrl: url,
    onEvent: (e) => events.push(e),
    ...opts,
    retry: { sleep: async (ms) => { delays.push(ms) }, random: () => 0.5, ...opts.retry }
  })
  t.teardown(async () => await client.close())
  return { client, events, delays }
}
