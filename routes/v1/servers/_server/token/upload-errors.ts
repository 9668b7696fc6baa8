/**
 * Every way a token upload can be refused, as a problem a Mac admin can act on. File-format
 * problems are 400, a file over the limit 413, a well-formed file that does not fit (wrong key,
 * cipher, token content, expired, refused by Apple) 422, a conflict with what is stored 409.
 */
import { httpProblem, type HttpProblem } from '../../../../../src/problems.js'
import { isTokenError, type TokenErrorCode } from '../../../../../src/tokens/errors.js'
import { TokenImportError, type ImportSwitches, type TokenImportCode } from '../../../../../src/tokens/token-import.js'

const TOKEN_STATUS = {
  P7M_NOT_SMIME: 400,
  P7M_CORRUPT: 400,
  P7M_TOO_LARGE: 413,
  P7M_WRONG_KEY: 422,
  P7M_UNSUPPORTED_CIPHER: 422,
  KEY_INVALID: 422,
  TOKEN_INVALID: 422
} as const satisfies Partial<Record<TokenErrorCode, number>>

/** The token errors an upload answers as the caller's (the others, e.g. a sealed-store failure, are ours). */
const isRefusal = (code: TokenErrorCode): code is keyof typeof TOKEN_STATUS => Object.hasOwn(TOKEN_STATUS, code)

const IMPORT_STATUS: Record<TokenImportCode, number> = {
  NO_KEY_PAIR: 409,
  CONSUMER_KEY_MISMATCH: 409,
  TOKEN_EXPIRED: 422,
  TOKEN_VERIFY_FAILED: 422,
  // Apple unreachable is not the token's fault: a 502 rather than blaming the file.
  TOKEN_VERIFY_UNAVAILABLE: 502
}

/** The overrides as this route's query parameters. */
const API_SWITCHES: ImportSwitches = { force: 'force=true', skipVerify: 'verify=false' }

/** The problem for a refused upload, or undefined for errors that are ours (a sealed-store failure is a 500). */
export function uploadProblem (err: unknown): HttpProblem | undefined {
  if (isTokenError(err)) {
    return isRefusal(err.code) ? httpProblem(TOKEN_STATUS[err.code], err.code, `The token file cannot be used: ${err.message}. Nothing was stored.`) : undefined
  }
  if (err instanceof TokenImportError) {
    return httpProblem(IMPORT_STATUS[err.code], err.code, `${err.explain(API_SWITCHES)}. Nothing was stored.`)
  }
  return undefined
}

export function tooLarge (maxBytes: number): HttpProblem {
  return httpProblem(413, 'P7M_TOO_LARGE', `The token file is larger than ${maxBytes} bytes (DEPGATE_TOKEN_MAX_BYTES); Apple's token files are a few KiB. Nothing was stored.`)
}
