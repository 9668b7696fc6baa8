/**
 * The catalog of problem codes (src/problem-codes.ts) against the code that raises them and the
 * committed OpenAPI document: every code raised in src/, routes/ or plugins/ is in the catalog and
 * in the document, each route's operation lists the codes its file (and the src/ modules only
 * routes import) raises, and the catalog holds no code nothing raises.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import t from 'tap'
import { OPENAPI_FILE } from '../src/openapi.js'
import { problemCodesMarkdown, PROBLEM_CODES_FILE, writeProblemCodes } from '../src/problem-codes-table.js'
import { catalogCode, catalogProblem, isProblemCode, PROBLEM_CODE_LIST, PROBLEM_CODES, type ProblemCodeInfo } from '../src/problem-codes.js'

const ROOT = resolve(import.meta.dirname, '..')

function tsFiles (dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(join(ROOT, path)).isDirectory()) return tsFiles(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

const CODE = '([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,})'
/** The ways a code is raised: httpProblem's second argument, a fallback, a route's own 404, a code field, a status table. */
const RAISES = [
  new RegExp(`(?:httpProblem|new HttpProblem)\\(\\s*[^,()]+,\\s*'${CODE}'`, 'g'),
  new RegExp(`catalogCode\\([^,]+,[^,]+,\\s*'${CODE}'`, 'g'),
  new RegExp(`withNotFoundProblem\\([^,]*,\\s*'${CODE}',\\s*'${CODE}'`, 'g'),
  new RegExp(`\\bcode: '${CODE}'`, 'g'),
  new RegExp(`^\\s+${CODE}: \\d{3},?$`, 'gm'),
  // Problems written by hand where no route runs (src/server.ts): a [status, code, detail] row, or a chosen code.
  new RegExp(`\\[\\d{3}, '${CODE}'`, 'g'),
  new RegExp(`=== '\\w+' \\? '${CODE}'`, 'g')
]
/** A DEP client error whose options (up to the next error built) name a literal code. */
const DEP_RAISES = new RegExp(`new Dep(?:Cursor|Api|Auth)Error\\((?:(?!new Dep)[\\s\\S])*?,\\s*\\{[^{}]*\\bcode: '${CODE}'`, 'g')
/** Files whose quoted codes are all raised: the profile rules, answered as they are (src/api/apple-guards.ts). */
const ALL_QUOTED = new Set(['src/dep/profile-rules.ts'])
/** The catalog itself, and the shared groups the document adds (they list codes, raising none). */
const NOT_RAISING = new Set(['src/problem-codes.ts', 'src/api/problem-docs.ts'])
/** Modules whose codes every route gets through a shared mechanism (src/api/problem-docs.ts), not through its imports. */
const SHARED = new Set(['src/api/error-mapping.ts', 'src/api/negotiation.ts', 'src/api/strict-input.ts', 'src/api/route-kit.ts', 'src/api/server-info.ts', 'src/problems.ts', 'src/problem-codes.ts'])

const text = (file: string): string => readFileSync(join(ROOT, file), 'utf8')

function raisedIn (source: string, file: string): string[] {
  if (ALL_QUOTED.has(file)) return [...source.matchAll(new RegExp(`'${CODE}'`, 'g'))].map((m) => m[1])
  // The DEP client's cursor, refusal and authentication codes are raised as the mapping passes them on (src/api/error-mapping.ts).
  const patterns = file.startsWith('src/dep/') ? [DEP_RAISES] : file.startsWith('src/') && !file.startsWith('src/api/') ? [...RAISES.slice(0, 3), ...RAISES.slice(5)] : RAISES
  return patterns.flatMap((re) => [...source.matchAll(re)].map((m) => m[m.length - 1]))
}

const files = ['src', 'routes', 'plugins'].flatMap(tsFiles).filter((f) => !NOT_RAISING.has(f) && !f.startsWith('src/simulator/'))
const raised = new Map(files.map((f) => [f, raisedIn(text(f), f)] as const))

interface Operation { responses?: Record<string, { content?: Record<string, { schema?: { allOf?: Array<{ properties?: { code?: { enum?: string[] } } }> } }> }> }
const doc = JSON.parse(text(OPENAPI_FILE)) as { paths: Record<string, Record<string, Operation>>, components: { schemas: { Problem: { properties: { code: { enum: string[] } } } }, examples: Record<string, unknown> } }

function documented (op: Operation): Set<string> {
  const codes = Object.values(op.responses ?? {}).flatMap((r) => r.content?.['application/problem+json']?.schema?.allOf?.[1]?.properties?.code?.enum ?? [])
  return new Set(codes)
}

/** routes/v1/servers/_server/devices → /v1/servers/{server}/devices */
function docPath (folder: string, url: string): string {
  const base = folder.replace(/^routes/, '').split('/').map((s) => s.startsWith('_') ? `{${s.slice(1)}}` : s).join('/')
  const tail = url === '/' ? '' : url.replace('/*', '/{path}').replace(/:(\w+)/g, '{$1}')
  return `${base}${tail}` || '/'
}

/** The operations a route file defines, each with the codes raised in its part of the file; the rest of the file belongs to all of them. */
function operationsOf (file: string): { ops: Array<{ name: string, op: Operation, codes: string[], several?: Operation[] }>, fileCodes: string[] } {
  const source = text(file)
  const parts = source.split(/(?=fastify\.(?:get|post|put|delete|patch|all)\()/)
  const ops: Array<{ name: string, op: Operation, codes: string[], several?: Operation[] }> = []
  let fileCodes = raisedIn(parts[0], file)
  for (const part of parts.slice(1)) {
    const m = /^fastify\.(\w+)\('([^']*)'/.exec(part)
    const path = docPath(dirname(file), m?.[2] ?? '/')
    const item = doc.paths[path] ?? {}
    const methods = m?.[1] === 'all' ? Object.keys(item) : [m?.[1] ?? 'get']
    const codes = raisedIn(part, file)
    const found = methods.filter((method) => item[method] !== undefined)
    if (found.length === 0) fileCodes = [...fileCodes, ...codes]
    // A several-method route (fastify.all) may list a code on the methods that can answer it only (RouteConfig.problemMethods).
    const several = m?.[1] === 'all' ? found.map((method) => item[method]) : undefined
    for (const method of found) ops.push({ name: `${method.toUpperCase()} ${path}`, op: item[method], codes, several })
  }
  return { ops, fileCodes }
}

t.test('every code raised in src/, routes/ and plugins/ is in the catalog', async (t) => {
  const all = [...raised.values()].flat()
  t.ok(all.length > 60, `the scan finds the raise sites (${all.length})`)
  for (const [file, codes] of raised) for (const code of codes) t.ok(isProblemCode(code), `${code} (raised in ${file}) is in src/problem-codes.ts`)
})

t.test('the document lists every catalog code, and each one somewhere it can be answered', async (t) => {
  t.same(doc.components.schemas.Problem.properties.code.enum, PROBLEM_CODE_LIST, 'Problem.code is the catalog')
  const anywhere = new Set(Object.values(doc.paths).flatMap((item) => Object.values(item)).flatMap((op) => [...documented(op)]))
  for (const code of PROBLEM_CODE_LIST) {
    const entry: ProblemCodeInfo = PROBLEM_CODES[code]
    if (entry.unseen === true || entry.unrouted === true) t.notOk(anywhere.has(code), `${code} reaches nobody or no route, so no operation lists it`)
    else t.ok(anywhere.has(code), `some operation lists ${code}`)
  }
})

t.test('each operation lists the codes its route file raises', async (t) => {
  const routeFiles = [...raised.keys()].filter((f) => f.startsWith('routes/'))
  const byFolder = new Map<string, Array<{ name: string, op: Operation }>>()
  for (const file of routeFiles.filter((f) => f.endsWith('/index.ts'))) byFolder.set(dirname(file), operationsOf(file).ops)
  for (const file of routeFiles) {
    const folderOps = byFolder.get(dirname(file)) ?? []
    const { ops, fileCodes } = file.endsWith('/index.ts') ? operationsOf(file) : { ops: [], fileCodes: raised.get(file) ?? [] }
    for (const { name, op, codes, several } of ops) {
      for (const code of codes) if (!unseen(code)) t.ok((several ?? [op]).some((o) => documented(o).has(code)), `${name} lists ${code} (raised in ${file})`)
    }
    for (const code of fileCodes) {
      if (unseen(code)) continue
      t.ok(folderOps.some(({ op }) => documented(op).has(code)), `an operation of ${dirname(file)} lists ${code} (raised in ${file})`)
    }
  }
})

t.test('the codes of a module that routes import are listed by one of those routes', async (t) => {
  const importsOf = (file: string): string[] => [...text(file).matchAll(/from '(\.[^']+)\.js'/g)]
    .map((m) => relative(ROOT, resolve(ROOT, dirname(file), `${m[1]}.ts`)))
    .filter((f) => !SHARED.has(f) && (f.startsWith('src/') || f.startsWith('routes/')))
  const closure = (file: string): Set<string> => {
    const seen = new Set<string>()
    const queue = importsOf(file)
    for (let f = queue.pop(); f !== undefined; f = queue.pop()) {
      if (seen.has(f)) continue
      seen.add(f)
      queue.push(...importsOf(f))
    }
    return seen
  }
  const routeIndexes = [...raised.keys()].filter((f) => f.startsWith('routes/') && f.endsWith('/index.ts'))
  const importers = new Map<string, Operation[]>()
  for (const index of routeIndexes) {
    const ops = operationsOf(index).ops.map(({ op }) => op)
    for (const module of closure(index)) importers.set(module, [...importers.get(module) ?? [], ...ops])
  }
  let checked = 0
  for (const [module, ops] of importers) {
    // The DEP client is reached through decorators, not imports: its codes come with APPLE_CALL and the routes' own problems.
    if (module.startsWith('routes/') || module.startsWith('src/dep/')) continue
    for (const code of raised.get(module) ?? []) {
      checked++
      t.ok(ops.some((op) => documented(op).has(code)), `a route importing ${module} lists ${code}`)
    }
  }
  t.ok(checked > 10, `modules' codes checked (${checked})`)
})

t.test('the catalog holds no code nothing answers', async (t) => {
  const everywhere = new Set([...raised.values()].flat())
  const appleDoc = text('docs/apple-dep.md')
  for (const code of PROBLEM_CODE_LIST) {
    const entry: ProblemCodeInfo = PROBLEM_CODES[code]
    if (entry.apple === true) t.ok(appleDoc.includes(`\`${code}\``), `${code}, passed on from Apple, is one of Apple's codes (docs/apple-dep.md §2.16)`)
    else t.ok(everywhere.has(code), `${code} is raised somewhere`)
    t.ok(entry.statuses.every((s) => s >= 400 && s < 600), `${code}'s statuses are errors`)
    t.ok(entry.example.length > 10 && entry.summary.length > 10, `${code} has a summary and an example`)
  }
})

t.test('codes read at run time are narrowed to the catalog', async (t) => {
  t.equal(catalogCode('INVALID_CURSOR', 409, 'UPSTREAM_ERROR'), 'INVALID_CURSOR')
  t.equal(catalogCode('INVALID_CURSOR', 400, 'UPSTREAM_ERROR'), 'UPSTREAM_ERROR', 'a status the catalog does not give the code')
  t.equal(catalogCode('NEW_APPLE_CODE', 400, 'UPSTREAM_REFUSED'), 'UPSTREAM_REFUSED', 'a code the catalog lacks')
  t.equal(catalogCode('VALIDATION_FAILED', 400, 'UPSTREAM_REFUSED', { apple: true }), 'UPSTREAM_REFUSED', 'depgate\'s own code, when Apple\'s is asked for')
  t.equal(catalogCode('DEVICE_ID_REQUIRED', 400, 'UPSTREAM_REFUSED', { apple: true }), 'DEVICE_ID_REQUIRED')
  t.equal(catalogCode('toString', 400, 'UPSTREAM_REFUSED'), 'UPSTREAM_REFUSED', 'not fooled by Object.prototype')
  t.same(catalogProblem(409, 'SINCE_AHEAD', { status: 502, code: 'UPSTREAM_ERROR' }), { status: 409, code: 'SINCE_AHEAD' })
  t.same(catalogProblem(418, 'TEAPOT', { status: 502, code: 'UPSTREAM_ERROR' }), { status: 502, code: 'UPSTREAM_ERROR' })
})

t.test('docs/problem-codes.md is the catalog', async (t) => {
  t.equal(text(PROBLEM_CODES_FILE), problemCodesMarkdown(), `${PROBLEM_CODES_FILE} is stale: run "npm run openapi" and commit it`)
  for (const code of PROBLEM_CODE_LIST) t.match(text(PROBLEM_CODES_FILE), `| \`${code}\` |`)
  const dir = mkdtempSync(join(tmpdir(), 'depgate-codes-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  t.equal(readFileSync(writeProblemCodes(join(dir, 'codes.md')), 'utf8'), problemCodesMarkdown())
})

function unseen (code: string): boolean {
  return isProblemCode(code) && (PROBLEM_CODES[code] as ProblemCodeInfo).unseen === true
}
