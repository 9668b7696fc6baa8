/**
 * HTML from tagged template literals: every interpolated value is escaped unless it is already
 * Html (built by this same tag), so a device field or key label can never become markup. Pages are
 * plain functions of their data (typed, tested without a server, nothing to ship beside dist/).
 */
export class Html {
  constructor (readonly text: string) {}
  toString (): string { return this.text }
}

export type Part = Html | string | number | boolean | null | undefined | readonly Part[]

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c])
}

function render (part: Part): string {
  if (part instanceof Html) return part.text
  if (Array.isArray(part)) return part.map(render).join('')
  // null, undefined and false render nothing, so `cond && html\`…\`` reads naturally.
  if (part === null || part === undefined || part === false) return ''
  return escapeHtml(String(part))
}

export function html (strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]
  return new Html(out)
}
