/**
 * Swagger UI at /docs. Its routes are public (the spec holds no secrets and the UI asks for a key
 * itself) but still rate limited per IP like any request without a key.
 */
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { DOCS_PREFIX } from '../../src/api/route-kit.js'

export function createSwaggerUiPlugin () {
  return fp(async function swaggerUiPlugin (fastify) {
    await fastify.register(async function docs (instance) {
      // Declared on the UI's own routes as they are added, rather than exempted by path in the auth hook.
      instance.addHook('onRoute', (route) => {
        route.config = { ...route.config, scope: 'none' }
        route.schema = { ...route.schema, hide: true }
      })
      await instance.register(swaggerUi, { routePrefix: DOCS_PREFIX, uiConfig: { persistAuthorization: false } })
    })
  }, { name: 'depgate-swagger-ui', dependencies: ['depgate-swagger'] })
}
