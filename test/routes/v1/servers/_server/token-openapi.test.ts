/**
 * PUT …/token's request body in the OpenAPI document: every media type it lists is one the route
 * reads (its example reaches the .p7m checks, not a 415), and a type it does not list is refused.
 */
import t from 'tap'
import { FormData, request } from 'undici'
import { RAW_TOKEN_TYPES } from '../../../../../routes/v1/servers/_server/token/upload-body.js'
import { buildTestApp } from '../../../../helper.js'

interface Media { schema: Record<string, unknown>, example: unknown }

t.test('the documented request body is what the route accepts', async (t) => {
  const built = await buildTestApp(t, { simulator: false })
  const doc = built.app.swagger() as unknown as { paths: Record<string, Record<string, { requestBody?: { required: boolean, content: Record<string, Media> } }>> }
  const body = doc.paths['/v1/servers/{server}/token'].put.requestBody
  t.ok(body?.required, 'a body is required')
  const content = body?.content ?? {}
  t.same(Object.keys(content).sort(), [...RAW_TOKEN_TYPES, 'multipart/form-data'].sort(), 'the raw types and the form')
  for (const type of RAW_TOKEN_TYPES) t.match(content[type], { schema: { type: 'string', format: 'binary' }, example: /^Content-Type: application\/pkcs7-mime;/ }, type)
  t.match(content['multipart/form-data'], { schema: { type: 'object', properties: { token: { type: 'string', format: 'binary' } } }, example: { token: String } })

  const url = await built.app.listen({ host: '127.0.0.1', port: 0 })
  const put = async (payload: string | FormData, headers: Record<string, string> = {}): Promise<{ status: number, code: string }> => {
    const res = await request(`${url}/v1/servers/acme/token?verify=false`, { method: 'PUT', headers: { ...built.auth(), ...headers }, body: payload })
    return { status: res.statusCode, code: (await res.body.json() as { code: string }).code }
  }
  await built.app.depServers.stageCertificate('acme')
  for (const type of RAW_TOKEN_TYPES) {
    // The example is cut short: read as a .p7m and refused as one, which shows the type is taken.
    t.same(await put(content[type].example as string, { 'content-type': type }), { status: 400, code: 'P7M_CORRUPT' }, `${type} is read`)
  }
  const form = new FormData()
  form.set('token', new Blob([(content['multipart/form-data'].example as { token: string }).token]), 'smime.p7m')
  t.same(await put(form), { status: 400, code: 'P7M_CORRUPT' }, 'the form is read')
  t.same(await put('{}', { 'content-type': 'application/json' }), { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' }, 'an undocumented type is refused')
})
