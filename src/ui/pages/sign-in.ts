/** The sign-in form and the pages that answer for errors, in the dashboard's frame. */
import { html, type Html } from '../html.js'
import { page, type SessionFrame, UI_PREFIX } from '../layout.js'

export function signInPage (csrf: string, message?: string): Html {
  return page({ title: 'Sign in' }, html`<div class="signin panel">
<h1>Sign in to depgate</h1>
<p>Paste an API key (<code>dgk_…</code>, or DEPGATE_ADMIN_KEY). The dashboard keeps a session cookie, never the key; the key's scope decides what you see.</p>
${message !== undefined && html`<p class="notice bad" role="alert">${message}</p>`}
<form method="post" action="${UI_PREFIX}/sign-in">
  <input type="hidden" name="_csrf" value="${csrf}">
  <label>API key<input name="key" type="password" autocomplete="off" required spellcheck="false"></label>
  <button type="submit">Sign in</button>
</form>
</div>`)
}

/** An error in words: the status, a heading and the sentence depgate's problem gave. */
export function errorPage (frame: SessionFrame, status: number, heading: string, detail: string): Html {
  return page({ ...frame, title: heading }, html`<h1>${heading}</h1>
<p class="panel" data-status="${status}">${detail}</p>
<p><a href="${UI_PREFIX}">Back to the overview</a></p>`)
}
