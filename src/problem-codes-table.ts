/**
 * docs/problem-codes.md: the catalog of problem codes (src/problem-codes.ts) as a table for people,
 * written by `npm run openapi` beside the OpenAPI document; a test fails when it drifts.
 */
import { writeFileSync } from 'node:fs'
import { PROBLEM_CODE_LIST, PROBLEM_CODES, type ProblemCodeInfo } from './problem-codes.js'

export const PROBLEM_CODES_FILE = 'docs/problem-codes.md'

const cell = (text: string): string => text.replace(/\|/g, '\\|')

export function problemCodesMarkdown (): string {
  const rows = PROBLEM_CODE_LIST.map((code) => {
    const entry: ProblemCodeInfo = PROBLEM_CODES[code]
    const from = entry.apple === true ? ' (Apple\'s code)' : ''
    return `| \`${code}\` | ${entry.statuses.join(', ')} | ${cell(entry.summary)}${from} |`
  })
  return [
    '# Problem codes',
    '',
    'Generated from `src/problem-codes.ts` by `npm run openapi`; do not edit. Every error depgate answers is',
    'an `application/problem+json` body whose `code` is one of these. The OpenAPI document',
    '(`openapi/openapi.json`, `GET /openapi.json`) lists, for each operation and status, the codes that',
    'operation can answer, with an example body for each. A code marked "Apple\'s code" is passed on as',
    'Apple gave it; a code Apple adds later is answered as `UPSTREAM_REFUSED` (or `INVALID_CURSOR`,',
    '`OAUTH_REJECTED`), its own code in `detail`.',
    '',
    '| code | status | when |',
    '|---|---|---|',
    ...rows,
    ''
  ].join('\n')
}

export function writeProblemCodes (path: string = PROBLEM_CODES_FILE): string {
  writeFileSync(path, problemCodesMarkdown())
  return path
}
