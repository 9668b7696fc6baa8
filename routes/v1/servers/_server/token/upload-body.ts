/**
 * What PUT …/token accepts as its body, for the OpenAPI document only. The route reads the body
 * itself (a raw-body parser and @fastify/multipart, see index.ts), so the schema validates nothing
 * (`z.any()`); its `content` metadata becomes the operation's requestBody, one entry per media
 * type the route really takes. The example is a made-up, truncated file: no real token.
 */
import { z } from 'zod'

/** The media types read as the raw .p7m; anything else but multipart/form-data is refused with 415. */
export const RAW_TOKEN_TYPES = ['application/pkcs7-mime', 'application/x-pkcs7-mime', 'application/octet-stream', 'text/plain']

/** The start of an S/MIME enveloped-data file as Apple Business Manager serves it, cut short. */
const P7M_EXAMPLE = [
  'Content-Type: application/pkcs7-mime; name="smime.p7m"; smime-type=enveloped-data',
  'Content-Transfer-Encoding: base64',
  'Content-Disposition: attachment; filename="smime.p7m"',
  'Content-Description: S/MIME Encrypted Message',
  '',
  'MIAGCSqGSIb3DQEHA6CAMIACAQAxggFgMIIBXAIBADBEMDAxLjAsBgNVBAMMJWRlcGdhdGUgZXhhbXBsZSAo',
  '…'
].join('\n')

const p7mFile = {
  type: 'string',
  format: 'binary',
  description: 'The token file (`<server>_Token_<date>_smime.p7m`) exactly as downloaded from Apple Business Manager or Apple School Manager: the S/MIME message, its base64 body alone, PEM, or DER. At most DEPGATE_TOKEN_MAX_BYTES.'
}

const raw = { schema: { ...p7mFile, examples: [P7M_EXAMPLE] } }

export const tokenUploadBodySchema = z.any().meta({
  description: 'The .p7m token file: the raw body, or a form upload.',
  content: {
    ...Object.fromEntries(RAW_TOKEN_TYPES.map((type) => [type, raw])),
    'multipart/form-data': {
      schema: {
        type: 'object',
        properties: {
          token: { ...p7mFile, description: 'The token file. Without a field named `token`, the first file of the form is taken.' }
        },
        examples: [{ token: P7M_EXAMPLE }]
      }
    }
  }
})
