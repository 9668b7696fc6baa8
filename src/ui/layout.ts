/** The frame of every dashboard page: head, top navigation, the signed-in key, sign-out. */
import { html, type Html, type Part } from './html.js'
import type { Scope } from '../scopes.js'

export const UI_PREFIX = '/ui'

/** An org's panel on the Orgs page. */
export const orgHref = (org: string): string => `${UI_PREFIX}/orgs#org-${encodeURIComponent(org)}`

/** Who is looking: the key the session was opened with (never its secret). */
export interface Viewer {
  keyId: string
  label: string
  scope: Scope
  expiresAt: string
}

/** What a request brings to every page: who is signed in, and the sign-out form's CSRF token. */
export interface SessionFrame {
  /** Absent on the sign-in and error pages before a session exists. */
  viewer?: Viewer
  csrf?: string
}

export interface PageFrame extends SessionFrame {
  title: string
  /** Which navigation entry is the current page. */
  current?: 'overview' | 'orgs' | 'jobs' | 'webhooks' | 'keys' | 'audit'
  /** Pages that refresh themselves in place (overview). */
  live?: boolean
}

function nav (frame: PageFrame): Part {
  const viewer = frame.viewer
  if (viewer === undefined) return null
  const item = (id: PageFrame['current'], href: string, text: string) =>
    html`<li><a href="${href}"${frame.current === id ? html` aria-current="page"` : ''}>${text}</a></li>`
  return html`<nav aria-label="Main"><ul>
    ${item('overview', `${UI_PREFIX}`, 'Overview')}
    ${item('orgs', `${UI_PREFIX}/orgs`, 'Orgs')}
    ${item('jobs', `${UI_PREFIX}/jobs`, 'Jobs')}
    ${viewer.scope === 'admin' && [item('webhooks', `${UI_PREFIX}/webhooks`, 'Webhooks'), item('keys', `${UI_PREFIX}/keys`, 'API keys'), item('audit', `${UI_PREFIX}/audit`, 'Audit log')]}
  </ul></nav>
  <div class="who"><span>${viewer.label} <span class="badge">${viewer.scope}</span></span>
    <form method="post" action="${UI_PREFIX}/sign-out"><input type="hidden" name="_csrf" value="${frame.csrf}"><button class="link" type="submit">Sign out</button></form>
  </div>`
}

export function page (frame: PageFrame, body: Part): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${frame.title} · depgate</title>
<link rel="icon" href="${UI_PREFIX}/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${UI_PREFIX}/assets/style.css">
<script src="${UI_PREFIX}/assets/app.js" defer></script>
</head>
<body>
<header class="top"><a class="brand" href="${UI_PREFIX}">depgate</a>${nav(frame)}</header>
<main id="main"${frame.live === true ? html` data-live` : ''}>
${body}
</main>
</body>
</html>
`
}
