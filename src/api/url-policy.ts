/**
 * What depgate accepts in a URL it keeps or hands on. A URL carrying `user:password@` would be
 * stored and shown to every read key (a server's base_url) or to every device and caller that
 * reads the profile (a profile's url), so it is refused; the refusal names the field, never the
 * URL, so the password is not echoed. Profile URLs must be https: (Apple's devices enroll over
 * HTTPS only), except loopback addresses, which only a local simulator serves.
 */
import { z } from 'zod'

export const CREDENTIALS_MESSAGE = 'must not carry a user name or password (user:password@): depgate would store it and show it to every read key'

/** True when the text is a URL with userinfo; a text that is no URL has none. */
export function hasUrlCredentials (value: string): boolean {
  try {
    const url = new URL(value)
    return url.username !== '' || url.password !== ''
  } catch {
    return false
  }
}

/** An http(s) URL without credentials, for the base URLs depgate stores (a server's, the default one). */
export function httpUrlSchema (protocolMessage?: string) {
  const url = protocolMessage === undefined ? z.url({ protocol: /^https?$/ }) : z.url({ protocol: /^https?$/, error: protocolMessage })
  return url.refine((v) => !hasUrlCredentials(v), CREDENTIALS_MESSAGE)
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

export interface UrlViolation { code: 'PROFILE_URL_INVALID' | 'URL_HAS_CREDENTIALS' | 'PROFILE_URL_NOT_HTTPS', field: string, message: string }

/** The first profile URL depgate refuses, after Apple's own rules (src/dep/profile-rules.ts) passed. */
export function profileUrlViolation (profile: { url?: string | undefined, configuration_web_url?: string | undefined }): UrlViolation | undefined {
  for (const field of ['url', 'configuration_web_url'] as const) {
    const value = profile[field]
    if (value === undefined) continue
    let url: URL
    try {
      url = new URL(value)
    } catch {
      // Apple checks url's syntax (CONFIG_URL_INVALID); configuration_web_url has no documented rule.
      return { code: 'PROFILE_URL_INVALID', field, message: `${field} must be an absolute https: URL` }
    }
    if (url.username !== '' || url.password !== '') {
      return { code: 'URL_HAS_CREDENTIALS', field, message: `${field} ${CREDENTIALS_MESSAGE} and every device that enrolls` }
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
      return { code: 'PROFILE_URL_NOT_HTTPS', field, message: `${field} must be an https: URL: Apple's devices enroll over HTTPS only (http: is accepted only for a loopback simulator address: 127.0.0.1, localhost or ::1)` }
    }
  }
  return undefined
}

/**
 * A request URL for the log: a query value that is a URL with user:password@ (a refused base_url)
 * has its userinfo replaced, so the refusal does not write the password to the log. Any other URL
 * is returned unchanged.
 */
export function redactUrlCredentials (requestUrl: string): string {
  const mark = requestUrl.indexOf('?')
  if (mark === -1) return requestUrl
  const query = new URLSearchParams(requestUrl.slice(mark + 1))
  let found = false
  for (const [name, value] of query) {
    if (!hasUrlCredentials(value)) continue
    const url = new URL(value)
    url.username = 'REDACTED'
    url.password = ''
    query.set(name, url.href)
    found = true
  }
  return found ? `${requestUrl.slice(0, mark)}?${query.toString()}` : requestUrl
}
