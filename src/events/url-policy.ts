/**
 * Where webhooks may be sent. Only http(s) URLs without user:password@ (the URL is listed to every
 * admin key). Private and loopback addresses are allowed by default: receivers inside the
 * organisation (a ticketing system, an asset database) are the normal case for depgate. An
 * operator who wants to restrict them sets DEPGATE_WEBHOOK_ALLOW to a comma-separated list of
 * host patterns (`hooks.example.com`, `*.example.com` for any sub-domain, an IP address); a URL
 * whose host matches none is refused when the subscription is written, and again at each
 * delivery (the list may have changed since). Host names are compared as written: a name that
 * resolves to a private address passes if the list allows the name.
 */

/** Parses DEPGATE_WEBHOOK_ALLOW; empty means every host. */
export function parseAllowList (value: string | undefined): string[] {
  return (value ?? '').split(',').map((p) => p.trim().toLowerCase()).filter((p) => p !== '')
}

export function hostAllowed (host: string, allow: readonly string[]): boolean {
  if (allow.length === 0) return true
  const h = host.toLowerCase().replace(/^\[|\]$/g, '')
  return allow.some((p) => p.startsWith('*.') ? h.endsWith(p.slice(1)) : h === p.replace(/^\[|\]$/g, ''))
}

/** Why the URL cannot be a webhook's, or undefined when it can. */
export function webhookUrlProblem (value: string, allow: readonly string[]): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'url must be an absolute http(s) URL'
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'url must be an http: or https: URL'
  if (url.username !== '' || url.password !== '') return 'url must not carry a user name or password (user:password@): every admin key can list it'
  if (!hostAllowed(url.hostname, allow)) return `url's host ${url.hostname} is not in DEPGATE_WEBHOOK_ALLOW (the hosts this depgate may send webhooks to)`
  return undefined
}
