/** The org route tests' HTTP call over the listening app: status, parsed JSON (when it is), text and headers. */
import { request } from 'undici'

export function httpCaller (url: string, auth: () => Record<string, string>) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await request(url + path, {
      method: method as 'GET',
      headers: { ...auth(), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    const text = await res.body.text()
    let json: any
    try { json = JSON.parse(text) } catch { json = undefined }
    return { status: res.statusCode, json, text, headers: res.headers }
  }
}
