/**
 * The two headers on every answer (plugins/app/security-headers.ts sets them in a hook; the answers
 * no app hook reaches, in src/server.ts, set them themselves): `X-Content-Type-Options: nosniff`,
 * so a browser never runs a JSON or problem body as something else, and `Cache-Control: no-store`,
 * because answers carry device inventories and, once, a new API key's secret, which no shared or
 * browser cache may keep.
 */
export const SECURITY_HEADERS = Object.freeze({
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store'
})
