/**
 * The contract side of the contract test: the operations the OpenAPI document lists, and a check
 * of one real answer against what the document says of that operation and status (media type,
 * headers, body), with a JSON Schema 2020-12 validator (ajv). Nothing here knows depgate's routes:
 * everything comes from the document, so a new operation or status is checked the day it appears.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'

// ajv-formats is CommonJS with a default export: under NodeNext the default is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020

export interface HeaderDoc { required?: boolean, schema?: Record<string, unknown> }
export interface ResponseDoc { description?: string, headers?: Record<string, HeaderDoc | { $ref: string }>, content?: Record<string, { schema?: unknown }> }
export interface ParameterDoc { name: string, in: string, required?: boolean, schema?: Record<string, unknown> }
export interface OperationDoc {
  operationId?: string
  parameters?: ParameterDoc[]
  requestBody?: { content?: Record<string, unknown> }
  responses?: Record<string, ResponseDoc>
  security?: unknown[]
}
export interface OpenApiDoc {
  paths: Record<string, Record<string, OperationDoc>>
  components?: Record<string, Record<string, unknown>>
}

export interface Operation {
  /** The operationId when the document gives one, else `METHOD /path`: what the fixture table is keyed by. */
  key: string
  method: string
  path: string
  doc: OperationDoc
  /** As the document writes them: `200`, or a range such as `2XX`. */
  statuses: string[]
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])

export function operationsOf (doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = []
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.has(method)) continue
      ops.push({
        key: op.operationId ?? `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        doc: op,
        statuses: Object.keys(op.responses ?? {}).sort()
      })
    }
  }
  return ops.sort((a, b) => a.key.localeCompare(b.key))
}

/** The documented status an actual one falls under: itself, else its range (`2XX`). */
export function documentedStatus (op: Operation, actual: number): string | undefined {
  const range = `${String(actual)[0]}XX`
  return op.statuses.find((s) => s === String(actual)) ?? op.statuses.find((s) => s.toUpperCase() === range)
}

/**
 * Headers any HTTP answer may carry without the document naming them: framing and connection
 * management (RFC 9110/9112), the date, the content negotiation ones, and the security headers
 * every depgate answer has (plugins/app/security-headers.ts), which say nothing a client acts on.
 */
export const STANDARD_HEADERS = new Set([
  'content-length', 'content-type', 'date', 'connection', 'keep-alive', 'transfer-encoding', 'vary',
  'cache-control', 'x-content-type-options', 'content-disposition'
])

/**
 * Headers depgate sends that the document does not describe yet (findings of this test, to be
 * documented as the operations' response headers): tolerated where undocumented, validated
 * where documented. Remove a name once the document describes it wherever it is sent. Empty: the
 * last ones (Allow on the pass-through's 405, X-Depgate-Source on failed device reads, ETag on an
 * If-Match refusal) are documented by plugins/external/openapi-headers.ts.
 */
export const NOT_YET_DOCUMENTED = new Set<string>()

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** The body as text (empty for HEAD and 204). */
  text: string
}

const essence = (type: string): string => type.split(';')[0].trim().toLowerCase()
const isJson = (type: string): boolean => /^application\/(.+\+)?json$/.test(essence(type))

/** Compiles the document's schemas once; `check` then says what, if anything, an answer breaks. */
export class Contract {
  readonly ajv: Ajv2020
  private readonly validators = new Map<string, ValidateFunction>()
  /** Headers seen and documented (`name`), and seen undocumented (`METHOD path status name`). */
  readonly undocumented = new Set<string>()

  constructor (readonly doc: OpenApiDoc) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true })
    addFormats(this.ajv)
    // OpenAPI's integer formats, which JSON Schema does not define.
    this.ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) <= 2 ** 31 })
    this.ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) })
    this.ajv.addFormat('binary', true)
    this.ajv.addSchema({ ...doc, $id: 'urn:depgate:openapi' })
  }

  private validator (pointer: string): ValidateFunction {
    let v = this.validators.get(pointer)
    if (v === undefined) {
      v = this.ajv.compile({ $ref: `urn:depgate:openapi#${pointer.split('/').map(encodeURIComponent).join('/')}` })
      this.validators.set(pointer, v)
    }
    return v
  }

  private resolve<T> (value: T | { $ref: string }): T {
    if (typeof value !== 'object' || value === null || !('$ref' in value)) return value as T
    let node: unknown = this.doc
    for (const part of value.$ref.replace(/^#\//, '').split('/')) node = (node as Record<string, unknown>)[unescape(part)]
    return node as T
  }

  /** Every way `answer` departs from what the document says `op` answers; empty when it conforms. */
  check (op: Operation, answer: Answer): string[] {
    const problems: string[] = []
    const status = documentedStatus(op, answer.status)
    const response = status === undefined ? undefined : op.doc.responses?.[status]
    if (status === undefined || response === undefined) return [`status ${answer.status} is not documented (documented: ${op.statuses.join(', ')}): ${answer.text.slice(0, 300)}`]
    const base = `/paths/${escape(op.path)}/${op.method.toLowerCase()}/responses/${status}`

    const type = answer.headers['content-type']
    const content = response.content ?? {}
    const types = Object.keys(content)
    let mediaType: string | undefined
    if (types.length === 0) {
      if (answer.text !== '') problems.push(`no body is documented, got ${String(type)}: ${answer.text.slice(0, 200)}`)
    } else if (typeof type !== 'string') {
      if (op.method !== 'HEAD') problems.push(`no content-type; documented: ${types.join(', ')}`)
    } else {
      mediaType = types.find((t) => essence(t) === essence(type) && (!t.includes(';') || t.replace(/\s/g, '') === type.replace(/\s/g, '').replace(/;charset=utf-8$/i, '')))
      if (mediaType === undefined && types.includes('*/*')) mediaType = '*/*'
      if (mediaType === undefined) problems.push(`content-type ${type} is not documented (documented: ${types.join(', ')})`)
    }

    if (mediaType !== undefined && op.method !== 'HEAD' && content[mediaType].schema !== undefined) {
      let body: unknown = answer.text
      let parsed = true
      if (isJson(mediaType)) {
        try {
          body = JSON.parse(answer.text)
        } catch {
          parsed = false
          problems.push(`the ${mediaType} body does not parse: ${answer.text.slice(0, 200)}`)
        }
      }
      const validate = this.validator(`${base}/content/${escape(mediaType)}/schema`)
      if (parsed && validate(body) !== true) {
        problems.push(`body does not match the ${mediaType} schema: ${this.ajv.errorsText(validate.errors, { separator: '; ' })}: ${answer.text.slice(0, 300)}`)
      }
    }

    const documented = new Map(Object.entries(response.headers ?? {}).map(([name, h]) => [name.toLowerCase(), this.resolve(h)]))
    for (const [name, header] of documented) {
      const value = answer.headers[name]
      if (value === undefined) {
        if (header.required === true) problems.push(`documented required header ${name} is missing`)
        continue
      }
      const schema = header.schema ?? {}
      const raw = Array.isArray(value) ? value.join(', ') : value
      const typed = schema.type === 'integer' || schema.type === 'number' ? Number(raw) : raw
      const validate = this.ajv.compile(schema)
      if (validate(typed) !== true) problems.push(`header ${name}: ${JSON.stringify(raw)} ${this.ajv.errorsText(validate.errors)}`)
    }
    for (const name of Object.keys(answer.headers)) {
      if (documented.has(name) || STANDARD_HEADERS.has(name)) continue
      if (NOT_YET_DOCUMENTED.has(name)) {
        this.undocumented.add(`${name}`)
        continue
      }
      problems.push(`header ${name} is not documented for ${answer.status}`)
    }
    return problems
  }
}

/** A JSON Pointer segment (RFC 6901). */
function escape (segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1')
}

function unescape (segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~')
}
