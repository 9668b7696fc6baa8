import t from 'tap'
import { buildTestApp } from '../../helper.js'

t.test('every tag an operation uses is declared, with a description, and every declared tag is used', async (t) => {
  const { app } = await buildTestApp(t, { simulator: false })
  const doc = app.swagger() as { tags?: Array<{ name: string, description?: string }>, paths: Record<string, Record<string, { tags?: string[] }>> }
  const declared = new Map((doc.tags ?? []).map((tag) => [tag.name, tag.description]))
  const used = new Set(Object.values(doc.paths).flatMap((item) => Object.values(item).flatMap((op) => op.tags ?? [])))
  t.same([...used].filter((name) => !declared.has(name)), [], 'no undeclared tag')
  t.same([...declared.keys()].filter((name) => !used.has(name)), [], 'no unused tag')
  t.ok([...declared.values()].every((d) => typeof d === 'string' && d.length > 0), 'each tag is described')
  t.ok(used.has('pass-through'))
})
