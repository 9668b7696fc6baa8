/**
 * The TypeScript → JavaScript step of the test loader, with an on-disk cache.
 *
 * Each file is transpiled on its own with TypeScript's `transpileModule` and the project's
 * tsconfig.json (what tap's ts-node did, with `TS_NODE_TRANSPILE_ONLY`), ESM output, and an inline
 * source map whose `sources` is the .ts file's absolute path: V8's coverage, tap's report and stack
 * traces all land on the TypeScript source, line for line. The output is kept in
 * node_modules/.cache/depgate-ts, keyed by a hash of the file's path and text and of everything that
 * shapes the output (TypeScript's version, the tsconfig files, this file), so a test process loads
 * the typescript package (about a second of CPU) only when a file it imports changed since the cache
 * was filled. Type errors are not this step's business: `npm run typecheck` (in `npm test`) has them.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const CACHE = join(ROOT, 'node_modules', '.cache', 'depgate-ts')
const require = createRequire(import.meta.url)

/**
 * Text of the project's tsconfig.json and of the config it extends (fastify-tsconfig). A tsconfig.json
 * with comments is not JSON: then its own text alone keys the cache.
 */
function tsconfigTexts () {
  const own = readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')
  let base
  try {
    base = JSON.parse(own).extends
  } catch {}
  return typeof base === 'string' ? [own, readFileSync(require.resolve(base, { paths: [ROOT] }), 'utf8')] : [own]
}

const salt = createHash('sha256')
  .update(require('typescript/package.json').version)
  .update('\0').update(tsconfigTexts().join('\0'))
  .update('\0').update(readFileSync(fileURLToPath(import.meta.url)))
  .digest('hex')

let ts
let options
/** TypeScript and the compiler options, loaded at the first cache miss only. */
function compiler () {
  if (ts === undefined) {
    ts = require('typescript')
    const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), undefined, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic (diagnostic) {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))
      }
    })
    options = {
      ...parsed.options,
      // package.json says "type": "module": every .ts file is an ES module.
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      sourceMap: true,
      inlineSourceMap: false,
      inlineSources: true,
      declaration: false,
      declarationMap: false,
      noEmit: false,
      outDir: undefined
    }
  }
  return ts
}

function transpile (file, source) {
  const ts = compiler()
  const { outputText, sourceMapText } = ts.transpileModule(source, { fileName: file, compilerOptions: options })
  const map = JSON.parse(sourceMapText)
  map.file = file
  map.sources = [file]
  delete map.sourceRoot
  const code = outputText.replace(/\/\/# sourceMappingURL=\S+\s*$/, '')
  return `${code}//# sourceMappingURL=data:application/json;charset=utf-8;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`
}

/** Where the output for this text of `file` is cached. */
export function cacheFile (file, source) {
  const key = createHash('sha256').update(salt).update('\0').update(file).update('\0').update(source).digest('hex')
  return join(CACHE, key.slice(0, 2), `${key.slice(2)}.js`)
}

/** The JavaScript for `file` (an absolute path) whose text is `source`: from the cache, or made and cached. */
export function compiled (file, source) {
  const entry = cacheFile(file, source)
  try {
    return readFileSync(entry, 'utf8')
  } catch {}
  const code = transpile(file, source)
  mkdirSync(dirname(entry), { recursive: true })
  // Two test processes may fill the same entry: each writes its own file, the rename is atomic.
  const temporary = `${entry}.${process.pid}.${Math.random().toString(36).slice(2)}`
  writeFileSync(temporary, code)
  renameSync(temporary, entry)
  return code
}
