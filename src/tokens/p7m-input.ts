/**
 * Apple's token download reaches us in many shapes: the `.p7m` as downloaded (an S/MIME message:
 * MIME headers, blank line, base64), the base64 body pasted on its own, `openssl … -outform PEM`
 * output, or raw DER. This reduces all of them to DER bytes, or says which kind of wrong it is.
 */
import { TokenError } from './errors.js'

export const DEFAULT_P7M_MAX_BYTES = 64 * 1024

const PEM_RE = /-----BEGIN (PKCS7|CMS)-----([\s\S]*?)-----END \1-----/
const HEADER_RE = /^[A-Za-z][A-Za-z0-9-]*:/
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/
const ASN1_SEQUENCE = 0x30

export function assertP7mSize (byteLength: number, maxBytes: number): void {
  if (byteLength > maxBytes) {
    throw new TokenError('P7M_TOO_LARGE', `the file is ${byteLength} bytes, over the ${maxBytes}-byte limit (Apple's token files are a few KiB)`)
  }
}

export function p7mToDer (input: Buffer | string, maxBytes = DEFAULT_P7M_MAX_BYTES): Buffer {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input
  assertP7mSize(bytes.length, maxBytes)
  if (bytes.length === 0) throw new TokenError('P7M_NOT_SMIME', 'the file is empty')
  if (bytes[0] === ASN1_SEQUENCE) return bytes
  // Anything else must be text; latin1 keeps every byte so binary junk still fails the checks below.
  const text = bytes.toString('latin1').replace(/^\uFEFF/, '').trim()
  const pem = PEM_RE.exec(text)
  if (pem !== null) return decodeBase64(pem[2], 'the PEM block')
  if (HEADER_RE.test(text)) return fromSmime(text)
  if (BASE64_RE.test(stripWhitespace(text))) return decodeBase64(text, 'the base64 text')
  throw new TokenError('P7M_NOT_SMIME', 'the file is not an S/MIME .p7m: no MIME headers, PEM block, base64 or DER structure')
}

function fromSmime (text: string): Buffer {
  const split = /\r?\n\r?\n/.exec(text)
  const head = split === null ? text : text.slice(0, split.index)
  const body = split === null ? '' : text.slice(split.index + split[0].length)
  const headers = parseHeaders(head)
  const type = headers.get('content-type') ?? ''
  // Apple and `openssl smime` write application/pkcs7-mime or the older x-pkcs7-mime.
  if (!/^application\/(x-)?pkcs7-mime\b/i.test(type)) {
    throw new TokenError('P7M_NOT_SMIME', 'the MIME message is not application/pkcs7-mime (is this already the decrypted token?)')
  }
  const smimeType = /smime-type\s*=\s*"?([\w-]+)/i.exec(type)
  if (smimeType !== null && smimeType[1].toLowerCase() !== 'enveloped-data') {
    throw new TokenError('P7M_NOT_SMIME', `the S/MIME message is ${smimeType[1]}, not enveloped-data (encrypted)`)
  }
  const encoding = (headers.get('content-transfer-encoding') ?? 'base64').trim().toLowerCase()
  if (encoding !== 'base64') {
    throw new TokenError('P7M_CORRUPT', `the S/MIME body uses Content-Transfer-Encoding ${encoding}; only base64 is supported`)
  }
  return decodeBase64(body, 'the S/MIME body')
}

/** MIME headers, lower-cased names. Folded continuation lines (leading whitespace) join the header above. */
function parseHeaders (head: string): Map<string, string> {
  const headers = new Map<string, string>()
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  return headers
}

function decodeBase64 (text: string, what: string): Buffer {
  const compact = stripWhitespace(text)
  // Buffer.from silently skips bad characters; a damaged download must not decode to half a file.
  if (compact.length === 0 || !BASE64_RE.test(compact) || compact.length % 4 === 1) {
    throw new TokenError('P7M_CORRUPT', `${what} is not valid base64 (damaged or truncated download?)`)
  }
  return Buffer.from(compact, 'base64')
}

function stripWhitespace (text: string): string {
  return text.replace(/\s+/g, '')
}
