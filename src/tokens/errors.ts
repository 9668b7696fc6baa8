/**
 * One error class for the token library, with stable codes callers (routes, the CLI) can map to
 * problem+json or exit messages. Messages are written for a Mac admin and never carry key
 * material, passphrases or decrypted text: they end up in logs and HTTP responses.
 */
export const TOKEN_ERROR_CODES = [
  'P7M_NOT_SMIME',
  'P7M_CORRUPT',
  'P7M_WRONG_KEY',
  'P7M_UNSUPPORTED_CIPHER',
  'P7M_TOO_LARGE',
  'KEY_INVALID',
  'TOKEN_INVALID',
  'P12_BAD_PASSPHRASE',
  'P12_CORRUPT',
  'P12_NO_KEY',
  'SECRET_KEY_INVALID',
  'SECRET_KEY_FILE_INSECURE',
  'SECRET_BOX_MALFORMED',
  'SECRET_BOX_WRONG_KEY',
  'SECRET_BOX_TAMPERED'
] as const

export type TokenErrorCode = typeof TOKEN_ERROR_CODES[number]

export class TokenError extends Error {
  readonly code: TokenErrorCode

  constructor (code: TokenErrorCode, message: string) {
    super(message)
    this.name = 'TokenError'
    this.code = code
  }
}

/** Narrowing helper for callers that catch unknown errors. */
export function isTokenError (err: unknown, code?: TokenErrorCode): err is TokenError {
  return err instanceof TokenError && (code === undefined || err.code === code)
}
