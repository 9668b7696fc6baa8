/** A browser's cookie jar over app.inject, as much of one as the dashboard's tests need. */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'

export const csrfField = (body: string): string => /name="_csrf" value="([^"]+)"/.exec(body)![1]

export function browser (app: FastifyInstance) {
  const jar: Record<string, string> = {}
  const keep = (res: LightMyRequestResponse) => {
    for (const c of res.cookies) {
      if (c.value === '') delete jar[c.name]
      else jar[c.name] = c.value
    }
    return res
  }
  return {
    jar,
    get: async (url: string, headers: Record<string, string> = {}) => keep(await app.inject({ method: 'GET', url, cookies: jar, headers })),
    post: async (url: string, form: Record<string, string>) => keep(await app.inject({
      method: 'POST', url, cookies: jar, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(form).toString()
    })),
    async signIn (key: string) {
      const form = await this.get('/ui/sign-in')
      return await this.post('/ui/sign-in?next=%2Fui%2Fkeys', { key, _csrf: csrfField(form.body) })
    }
  }
}
