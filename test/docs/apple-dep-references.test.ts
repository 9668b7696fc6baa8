/**
 * Comments cite Apple's behaviour by section of docs/apple-dep.md (DEP) or docs/apple-axm.md (the
 * Apple Business / School Manager API). A section renumbered or removed
 * there, or a citation of the reference's old out-of-repository name, would leave a reader with a
 * pointer to nothing; this test finds both, and also a section sign that names no document at all.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import t from 'tap'

const ROOT = join(import.meta.dirname, '..', '..')
const SCANNED = ['src', 'plugins', 'routes', 'test', 'bench', 'scripts']
// Written with escapes so this file's own source holds no citation and no section sign.
const SECTION = '\u00a7'
const SELF = relative(ROOT, import.meta.filename)

/** Section numbers of the reference's headings: `## 1. Authentication` gives 1, `### 2.15.1 Device` 2.15.1. */
function headings (markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/^#{1,6} (\d+(?:\.\d+)*)\.? /gm)].map((m) => m[1]))
}

interface Finding { section: string, offset: number, doc?: string }

/**
 * Every section a text cites, and every section sign that is neither part of a citation nor of an
 * RFC's section. A citation is the document's name followed by one or more sections, which may be
 * joined by commas, dashes or "and", and may wrap onto the next comment line.
 */
function scan (text: string): { cited: Finding[], unnamed: Finding[] } {
  const number = `${SECTION}\\s?(\\d+(?:\\.\\d+)*)`
  const citation = new RegExp(`docs/(apple-dep|apple-axm)\\.md((?:(?:\\s|\\*|//|,|;|-|\u2013|and)*${number})+)`, 'g')
  const cited: Finding[] = []
  const covered = new Set<number>()
  for (const match of text.matchAll(citation)) {
    const start = match.index + match[0].length - match[2].length
    for (const section of match[2].matchAll(new RegExp(number, 'g'))) {
      cited.push({ section: section[1], offset: start + section.index, doc: match[1] })
      covered.add(start + section.index)
    }
  }
  const unnamed = [...text.matchAll(new RegExp(number, 'g'))]
    .filter((m) => !covered.has(m.index) && !/RFC \d+ $/.test(text.slice(Math.max(0, m.index - 12), m.index)))
    .map((m) => ({ section: m[1], offset: m.index }))
  return { cited, unnamed }
}

function files (dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
}

/** "issue 7", "Issue #12", "(#4)": a tracker number a reader of the code cannot follow. PKCS#8 is no match. */
const TRACKER = /\b[Ii]ssue #?\d+|\(#\d+\)/g

const lineOf = (text: string, offset: number): number => text.slice(0, offset).split('\n').length

t.test('the scanner reads citations, wrapped ones and ranges, and tells them from RFC sections', async (t) => {
  const doc = 'docs/apple-dep.md'
  t.same([...headings('# Title\n## 1. Auth\n### 1.2 `GET /session`\n#### 2.15.1 Device\nsee 3.1 here\n')], ['1', '1.2', '2.15.1'])

  const sample = [
    `// (${doc} ${SECTION}1.2\u2013${SECTION}1.4) and (${doc} ${SECTION}2.16, ${SECTION}4.3).`,
    ` * kept as they are (snake_case, ${doc}`,
    ` * ${SECTION}2.15.1) so scripts read them; ${doc} ${SECTION}2.10: a colon ends it.`,
    `// RFC 5849 ${SECTION}3.6 is not ours; (${SECTION}6) names no document; ${doc} alone cites nothing.`
  ].join('\n')
  const { cited, unnamed } = scan(sample)
  t.same(cited.map((c) => c.section), ['1.2', '1.4', '2.16', '4.3', '2.15.1', '2.10'])
  t.same(unnamed.map((c) => c.section), ['6'])
  t.equal(lineOf(sample, cited[4].offset), 3, 'a wrapped citation is found on the line of its number')

  const numbers = 'the mirror (#4), the safe way (issue #5), see Issue 12; PKCS#8, PKCS#1 v1.5'
  t.same([...numbers.matchAll(TRACKER)].map((m) => m[0]), ['(#4)', 'issue #5', 'Issue 12'])
})

t.test('every section the code cites is a heading of docs/apple-dep.md or docs/apple-axm.md', async (t) => {
  const sections: Record<string, Set<string>> = {
    'apple-dep': headings(readFileSync(join(ROOT, 'docs', 'apple-dep.md'), 'utf8')),
    'apple-axm': headings(readFileSync(join(ROOT, 'docs', 'apple-axm.md'), 'utf8'))
  }
  const broken: string[] = []
  const unnamed: string[] = []
  const legacy: string[] = []
  const tracker: string[] = []
  let citations = 0
  for (const file of SCANNED.flatMap(files).concat('README.md')) {
    const text = readFileSync(join(ROOT, file), 'utf8')
    const found = scan(text)
    citations += found.cited.length
    for (const c of found.cited) if (!sections[c.doc as string].has(c.section)) broken.push(`${file}:${lineOf(text, c.offset)} ${c.doc as string} ${SECTION}${c.section}`)
    for (const c of found.unnamed) unnamed.push(`${file}:${lineOf(text, c.offset)} ${SECTION}${c.section}`)
    for (const m of text.matchAll(/dep-api\.md/g)) legacy.push(`${file}:${lineOf(text, m.index)}`)
    // This file spells out the pattern it looks for, so it is the one file the pattern skips.
    if (file !== SELF) for (const m of text.matchAll(TRACKER)) tracker.push(`${file}:${lineOf(text, m.index)} ${m[0]}`)
  }
  t.ok(citations > 40, `the code's citations were found (${citations})`)
  t.same(broken, [], 'no citation points at a missing section')
  t.same(unnamed, [], 'every section sign names its document (docs/apple-dep.md, docs/apple-axm.md or an RFC)')
  t.same(legacy, [], 'nothing cites the reference by its old name outside the repository')
  t.same(tracker, [], 'comments say why in words, not by an issue number of the tracker')
})
