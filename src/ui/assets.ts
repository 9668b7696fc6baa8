/**
 * The dashboard's only stylesheet and script, served by depgate from memory (no CDN, no file beside
 * dist/): the Content-Security-Policy allows nothing inline, so both are files of the origin. The
 * script only enhances pages that work without it (they are complete server-rendered HTML).
 */
import { createHash } from 'node:crypto'

const CSS = `
:root { color-scheme: light dark; --bg: #f7f7f5; --panel: #fff; --text: #1d1d1f; --muted: #5d5d63; --line: #d9d9de;
  --accent: #0a5bd3; --accent-text: #fff; --warn: #8a4b00; --warn-bg: #fff3e0; --bad: #a1130f; --bad-bg: #fdecea; --ok: #1c6b2f; --bar: #3b78d8; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #151517; --panel: #1f1f23; --text: #ececf0; --muted: #a9a9b3; --line: #3a3a42;
    --accent: #7fb0ff; --accent-text: #0b1020; --warn: #ffc46b; --warn-bg: #3a2a10; --bad: #ff9b94; --bad-bg: #3d1614; --ok: #8fdc9f; --bar: #6d9ef0; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--text); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; padding: .75rem 1.25rem; background: var(--panel); border-bottom: 1px solid var(--line); }
header.top .brand { font-weight: 700; text-decoration: none; color: var(--text); }
header.top nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0; padding: 0; }
header.top nav a[aria-current="page"] { font-weight: 700; text-decoration: none; color: var(--text); }
header.top .who { margin-left: auto; display: flex; align-items: center; gap: .75rem; color: var(--muted); }
main { max-width: 1200px; margin: 0 auto; padding: 1.25rem; }
h1 { font-size: 1.5rem; margin: .25rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1rem; margin: 0 0 .5rem; }
.muted { color: var(--muted); }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.25rem; margin-bottom: 1rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 380px), 1fr)); gap: 1rem; }
figure { margin: 0; }
.panel h2:first-child { margin-top: 0; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 .5rem; border-radius: 999px; font-size: .85rem; border: 1px solid var(--line); }
.badge.bad { background: var(--bad-bg); color: var(--bad); border-color: var(--bad); }
.badge.warn { background: var(--warn-bg); color: var(--warn); border-color: var(--warn); }
.badge.ok { color: var(--ok); border-color: var(--ok); }
.notice { padding: .75rem 1rem; border-radius: 8px; background: var(--warn-bg); color: var(--warn); margin-bottom: 1rem; }
.notice.bad { background: var(--bad-bg); color: var(--bad); }
.table-wrap { overflow-x: auto; background: var(--panel); border: 1px solid var(--line); border-radius: 10px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .45rem .75rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
td.wrap { white-space: normal; overflow-wrap: anywhere; }
ul.plain { list-style: none; margin: 0; padding: 0; }
th { font-weight: 600; color: var(--muted); }
tbody tr:last-child td { border-bottom: 0; }
form.filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: .75rem; align-items: end; }
label, .field { display: flex; flex-direction: column; gap: .2rem; font-size: .9rem; color: var(--muted); }
input, select, button { font: inherit; color: var(--text); background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: .4rem .5rem; }
button, .button { background: var(--accent); color: var(--accent-text); border-color: var(--accent); cursor: pointer; text-decoration: none; display: inline-block; border-radius: 6px; padding: .4rem .8rem; }
button.link { background: none; color: var(--accent); border: 0; padding: 0; text-decoration: underline; }
.pager { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; margin: .75rem 0; }
progress { width: 8rem; height: .8rem; accent-color: var(--bar); vertical-align: middle; }
.chart { width: 100%; height: auto; }
.chart text { fill: var(--text); font-size: 12px; }
.chart .bar { fill: var(--bar); }
.chart .value { fill: var(--muted); }
.signin { max-width: 28rem; margin: 4rem auto; }
.signin form { display: grid; gap: .75rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; font-size: .85rem; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 640px) { main { padding: .75rem; } header.top .who { margin-left: 0; } .facts { grid-template-columns: 1fr; } }
`

const JS = `'use strict';
(function () {
  var units = [['d', 86400], ['h', 3600], ['min', 60], ['s', 1]];
  function duration (ms) {
    var rest = Math.round(Math.abs(ms) / 1000), parts = [];
    for (var i = 0; i < units.length && parts.length < 2; i++) {
      var n = Math.floor(rest / units[i][1]);
      if (n > 0 || (parts.length === 0 && units[i][1] === 1)) parts.push(n + ' ' + units[i][0]);
      rest -= n * units[i][1];
    }
    return parts.join(' ');
  }
  // Token countdowns and sync ages tick without a reload.
  function tick () {
    var now = Date.now();
    document.querySelectorAll('[data-until]').forEach(function (el) {
      var left = Date.parse(el.getAttribute('data-until')) - now;
      el.textContent = left > 0 ? 'in ' + duration(left) : duration(left) + ' ago';
    });
    document.querySelectorAll('[data-since]').forEach(function (el) {
      el.textContent = duration(now - Date.parse(el.getAttribute('data-since'))) + ' ago';
    });
  }
  // A filter chosen from a list applies at once; the Apply button stays for typed fields and for no script.
  document.querySelectorAll('form.filters select').forEach(function (el) {
    el.addEventListener('change', function () { el.form.submit(); });
  });
  // Pages marked live refresh their content in place every 30 s (the same HTML, fetched again).
  var live = document.querySelector('main[data-live]');
  if (live) {
    setInterval(function () {
      if (document.hidden) return;
      fetch(location.href, { credentials: 'same-origin' }).then(function (r) {
        if (!r.ok) return null;
        return r.text();
      }).then(function (text) {
        if (text === null) return;
        var next = new DOMParser().parseFromString(text, 'text/html').querySelector('main[data-live]');
        if (next) { live.replaceChildren.apply(live, Array.prototype.slice.call(next.childNodes)); tick(); }
      }).catch(function () {});
    }, 30000);
  }
  tick();
  setInterval(tick, 1000);
})();
`

// A gate in the accent colour: browsers ask for an icon, and a 404 for it would be a console error.
const ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0a5bd3"/><path d="M4 13V6l4-3 4 3v7h-2V8H6v5z" fill="#fff"/></svg>'

export interface Asset { body: string, type: string, etag: string }

const asset = (body: string, type: string): Asset => ({ body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` })

export const ASSETS: Readonly<Record<string, Asset>> = {
  'style.css': asset(CSS, 'text/css; charset=utf-8'),
  'app.js': asset(JS, 'text/javascript; charset=utf-8'),
  'icon.svg': asset(ICON, 'image/svg+xml')
}
