/**
 * `node --import ./test/tooling/register.mjs file.ts` runs a TypeScript test: .taprc passes it to every
 * test process (see hooks.mjs and transpile.mjs).
 */
import { register } from 'node:module'

register('./hooks.mjs', import.meta.url)
