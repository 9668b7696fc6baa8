/**
 * What an API key may do, and what a route needs: the one definition of scopes that keys, routes,
 * the CLI and the OpenAPI document share.
 */
export const SCOPES = ['read', 'write', 'admin'] as const
export type Scope = typeof SCOPES[number]
/** What a route may declare: a scope, or `none` for the few public routes (health, docs, metrics). */
export type RouteScope = Scope | 'none'

/** True when a key with scope `have` may call a route that needs `need` (read < write < admin). */
export function scopeAllows (have: Scope, need: Scope): boolean {
  return SCOPES.indexOf(have) >= SCOPES.indexOf(need)
}
