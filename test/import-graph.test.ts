/**
 * The one-way flow of design.md, checked on the import graph of src/, routes/ and plugins/:
 * routes → decorators → src libraries. src/app.ts is the one module of src/ that registers
 * plugins; routes use plugins/ for decorator types only; nothing in src/ imports routes/; and no
 * module imports itself through a chain of others (a cycle makes load order matter: a value read
 * at import time may still be undefined). Type-only imports are erased at runtime and may do as
 * they like, apart from the rule for routes.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import t from 'tap'

const root = join(import.meta.dirname, '..')

interface Edge { to: string, typeOnly: boolean }

function tsFiles (dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return tsFiles(path)
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : []
  })
}

/** `import … from '…'`, `export … from '…'`, `import '…'` and `import('…')`, with relative specifiers. */
const IMPORT = /^\s*(import|export)\s+(type\s+)?([^'"]*?)\s*from\s+'(\.[^']+)'|^\s*import\s+'(\.[^']+)'|\bimport\('(\.[^']+)'\)/gm

/** True when every name of an `import { … }` clause is marked `type`. */
function namesAllTypes (clause: string): boolean {
  const braces = /^\{([^}]*)\}$/.exec(clause.trim())
  if (braces === null) return false
  const names = braces[1].split(',').map((n) => n.trim()).filter((n) => n !== '')
  return names.length > 0 && names.every((n) => n.startsWith('type '))
}

function edgesOf (file: string, files: Set<string>): Edge[] {
  const text = readFileSync(join(root, file), 'utf8')
  const edges: Edge[] = []
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[4] ?? m[5] ?? m[6]
    const to = join(dirname(file), spec).replace(/\.js$/, '.ts')
    if (!files.has(to)) continue
    edges.push({ to, typeOnly: m[2] !== undefined || (m[3] !== undefined && namesAllTypes(m[3])) })
  }
  return edges
}

const files = ['src', 'routes', 'plugins'].flatMap(tsFiles).map((f) => relative('.', f).split('\\').join('/'))
const fileSet = new Set(files)
const graph = new Map(files.map((f) => [f, edgesOf(f, fileSet)]))

/** Strongly connected components of more than one module (or a module importing itself), runtime edges only. */
function cycles (): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  let next = 0
  const visit = (v: string): void => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    const out = (graph.get(v) ?? []).filter((e) => !e.typeOnly).map((e) => e.to)
    for (const w of out) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!))
      }
    }
    if (low.get(v) !== index.get(v)) return
    const component: string[] = []
    let w: string
    do {
      w = stack.pop()!
      onStack.delete(w)
      component.push(w)
    } while (w !== v)
    if (component.length > 1 || out.includes(v)) found.push(component.sort())
  }
  for (const f of files) if (!index.has(f)) visit(f)
  return found
}

t.test('the graph was read', async (t) => {
  t.ok(files.length > 100, `${files.length} modules`)
  t.ok(graph.get('src/app.ts')?.some((e) => e.to.startsWith('plugins/')), 'src/app.ts registers plugins')
})

t.test('src/ imports plugins/ only in src/app.ts, and routes/ never', async (t) => {
  const wrong = files.filter((f) => f.startsWith('src/')).flatMap((f) => (graph.get(f) ?? [])
    .filter((e) => e.to.startsWith('routes/') || (e.to.startsWith('plugins/') && f !== 'src/app.ts'))
    .map((e) => `${f} → ${e.to}`))
  t.same(wrong, [])
})

t.test('routes/ import plugins/ for decorator types only', async (t) => {
  const wrong = files.filter((f) => f.startsWith('routes/')).flatMap((f) => (graph.get(f) ?? [])
    .filter((e) => e.to.startsWith('plugins/') && !e.typeOnly)
    .map((e) => `${f} → ${e.to}`))
  t.same(wrong, [])
})

t.test('no import cycle', async (t) => {
  t.same(cycles(), [])
})

t.test('the parser sees what it must', async (t) => {
  const probe = (line: string): Array<string | undefined> => [...line.matchAll(IMPORT)].map((m) => m[4] ?? m[5] ?? m[6])
  t.same(probe("import { a, b } from './x.js'"), ['./x.js'])
  t.same(probe("import {\n  a,\n  b\n} from '../y.js'"), ['../y.js'])
  t.same(probe("export { a } from './z.js'\nimport './side.js'\nawait import('./lazy.js')"), ['./z.js', './side.js', './lazy.js'])
  t.same(probe("import fp from 'fastify-plugin'"), [], 'packages are not modules of ours')
  t.ok(namesAllTypes('{ type A, type B }'))
  t.notOk(namesAllTypes('{ type A, b }'))
  t.notOk(namesAllTypes('fp'))
})
