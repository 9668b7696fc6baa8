import neostandard from 'neostandard'

export default neostandard({
  ts: true,
  ignores: ['dist/**', 'coverage/**', '.tap/**', 'node_modules/**',
    // Written by openapi-typescript (npm run openapi), in its own style.
    'clients/typescript/schema.d.ts']
})
