/**
 * Every relative link of the repository's Markdown files points at a file that is in the
 * repository: a README that sends a reader to a document kept elsewhere (as the simulator's once
 * did) leaves them with nothing to open.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import t from 'tap'

const ROOT = join(import.meta.dirname, '..', '..')
// Git's own folder, and the folders .gitignore names (dependencies, the build, coverage, data): not the repository's.
const IGNORED = readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n').filter((l) => /^[^#/][^/]*\/$/.test(l)).map((l) => l.slice(0, -1))
const SKIP = new Set(['.git', ...IGNORED])

function markdownFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return []
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return markdownFiles(path)
    return entry.name.endsWith('.md') ? [path] : []
  })
}

t.test('relative Markdown links resolve to files of the repository', async (t) => {
  const files = markdownFiles(ROOT)
  t.ok(files.some((f) => f.endsWith(join('src', 'simulator', 'README.md'))), 'the simulator\'s README is among them')
  const broken: string[] = []
  let links = 0
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1].split('#')[0]
      if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue
      links++
      if (!existsSync(join(dirname(file), target))) broken.push(`${relative(ROOT, file)} → ${m[1]}`)
    }
  }
  t.ok(links > 5, `relative links were found (${links})`)
  t.same(broken, [], 'no link points outside the repository or at a missing file')
})
