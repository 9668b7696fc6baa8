/** Answers that are not a success, as errors a caller can switch on (`code`). */
import type { components } from './schema.js'

export type Problem = components['schemas']['Problem']

/** A depgate answer that is not a success, thrown by `unwrap` and the page helpers. */
export class DepgateError extends Error {
  readonly status: number
  /** The problem's stable code (e.g. `DEVICE_NOT_FOUND`); `HTTP_<status>` when the body was no problem. */
  readonly code: string
  /** The RFC 9457 problem depgate answered, when it answered one. */
  readonly problem: Problem | undefined

  constructor (response: Response, error: unknown) {
    const problem = isProblem(error) ? error : undefined
    super(problem === undefined ? `depgate answered ${response.status}` : `${problem.code}: ${problem.detail}`)
    this.name = 'DepgateError'
    this.status = response.status
    this.code = problem?.code ?? `HTTP_${response.status}`
    this.problem = problem
  }
}

function isProblem (body: unknown): body is Problem {
  return typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string' &&
    typeof (body as { detail?: unknown }).detail === 'string'
}

/** The body of a success; a failure is thrown as a DepgateError. */
export function unwrap<T> (result: { data?: T, error?: unknown, response: Response }): T {
  if (!result.response.ok) throw new DepgateError(result.response, result.error)
  // openapi-fetch leaves data undefined only for an empty success (204), whose type has no body.
  return result.data as T
}
