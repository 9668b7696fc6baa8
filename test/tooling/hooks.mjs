/**
 * Module hooks that let Node run the TypeScript sources directly (registered by register.mjs).
 *
 * resolve: the sources import each other as `./x.js` (what tsc emits); when no such file exists,
 * `./x.ts` is tried. load: a project .ts file is read by the next loader (tap's coverage and mock
 * hooks see every file) and its JavaScript comes from transpile.mjs (cached).
 */
import { fileURLToPath } from 'node:url'
import { compiled } from './transpile.mjs'

const RELATIVE = /^(\.{1,2}\/|\/|file:)/

export async function resolve (specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context)
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !RELATIVE.test(specifier) || !specifier.endsWith('.js')) throw error
    try {
      return await nextResolve(`${specifier.slice(0, -3)}.ts`, context)
    } catch {
      throw error
    }
  }
}

export async function load (url, context, nextLoad) {
  if (!url.startsWith('file:')) return nextLoad(url, context)
  const file = fileURLToPath(url)
  if (!file.endsWith('.ts') || file.endsWith('.d.ts') || file.includes('/node_modules/')) return nextLoad(url, context)
  const loaded = await nextLoad(url, { ...context, format: 'module' })
  return { format: 'module', source: compiled(file, String(loaded.source)), shortCircuit: true }
}
