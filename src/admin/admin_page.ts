/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { describeCensus, describeSchedule } from '../census_line.ts'
import { escapeHtml } from '../maintenance_page.ts'
import { statusLabel } from '../state.ts'
import type { Census, MaintenanceSchedule, MaintenanceState } from '../types.ts'

/**
 * The buttons, in the order shown; each posts to `<page>/<action>`
 */
export const ADMIN_ACTIONS = ['pending', 'offline', 'read-only', 'online'] as const
export type AdminAction = (typeof ADMIN_ACTIONS)[number]

/**
 * Everything the admin page shows
 */
export interface AdminPageData {
  state: MaintenanceState
  /**
   * Null when the census could not be read (`error` says why)
   */
  census: Census | null
  /**
   * Why the store could not be read; the state shown is then the last known
   */
  error: string | null
  /**
   * The outcome of the last action (flashed by the action's redirect)
   */
  notice: string | null
  /**
   * The page's own path; the actions post to `<path>/<action>`
   */
  path: string
  /**
   * The form's hidden fields: the page's own token, and shield's when
   * the app runs @adonisjs/shield
   */
  fields: Record<string, string>
  /**
   * Whether `bypass.allow` or `bypass.ability` is configured: otherwise
   * the page is out of reach once OFFLINE, but through the secret or an
   * allowed IP
   */
  roleBypass: boolean
}

const BUTTONS: Record<AdminAction, { label: string; hint: string }> = {
  'pending': {
    label: 'Drain (PENDING)',
    hint: 'Logged-in sessions keep working, nobody new gets in; OFFLINE once they are done',
  },
  'offline': {
    label: 'OFFLINE now',
    hint: 'Everyone but bypass holders gets the maintenance page',
  },
  'read-only': { label: 'Read-only', hint: 'Pages keep working for everyone, writes are refused' },
  'online': { label: 'ONLINE', hint: 'Back to normal (drops a scheduled window)' },
}

/**
 * "2026-03-02 13:45:07 UTC", in a <time> element
 */
function time(at: number) {
  const iso = new Date(at).toISOString()
  return `<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC</time>`
}

/**
 * Whether an action would change nothing in this state
 */
export function isNoOp(action: AdminAction, state: MaintenanceState) {
  switch (action) {
    case 'pending':
      return state.status !== 'online'
    case 'offline':
      return state.status === 'offline' && !state.readOnly
    case 'read-only':
      return state.readOnly
    case 'online':
      return state.status === 'online' && !state.schedule
  }
}

function scheduleList(schedule: MaintenanceSchedule | null) {
  if (!schedule) return '<p class="muted">No scheduled window.</p>'
  const lines = describeSchedule(schedule, time)
  return `<ul>${lines.map((line) => `<li>${line}</li>`).join('')}</ul>`
}

function row(label: string, value: string) {
  return `<tr><th scope="row">${label}</th><td>${value}</td></tr>`
}

function describeState(data: AdminPageData) {
  const { state, census } = data
  const rows = [
    row(
      'Status',
      `<strong class="pill pill--${escapeHtml(statusLabel(state).toLowerCase())}">${statusLabel(state)}</strong>`
    ),
  ]
  if (state.since) rows.push(row('Since', time(state.since)))
  if (state.requestedBy) rows.push(row('Requested by', escapeHtml(state.requestedBy)))
  if (state.message) rows.push(row('Message', escapeHtml(state.message)))
  if (state.status === 'pending' && state.deadline) {
    rows.push(row('Drain deadline', time(state.deadline)))
  }
  rows.push(row('Waiting for', census ? escapeHtml(describeCensus(census)) : 'unknown'))
  return `<table class="facts">${rows.join('')}</table>`
}

function describeHistory(state: MaintenanceState) {
  const history = state.history ?? []
  if (history.length === 0) return '<p class="muted">No transition recorded yet.</p>'
  const rows = history
    .toReversed()
    .map(
      (entry) =>
        `<tr><td>${time(entry.at)}</td><td>${escapeHtml(entry.from)} → <strong>${escapeHtml(entry.to)}</strong></td><td>${escapeHtml(entry.by ?? '')}</td></tr>`
    )
  return `<table class="history"><thead><tr><th>When</th><th>Transition</th><th>By</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
}

function form(data: AdminPageData) {
  const hidden = Object.entries(data.fields)
    .map(
      ([name, value]) =>
        `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`
    )
    .join('')
  const buttons = ADMIN_ACTIONS.map((action) => {
    const { label, hint } = BUTTONS[action]
    const disabled = isNoOp(action, data.state) ? ' disabled' : ''
    return `<button type="submit" class="action action--${action}" formaction="${escapeHtml(`${data.path}/${action}`)}" title="${escapeHtml(hint)}"${disabled}>${label}</button>`
  }).join('')
  const warning = data.roleBypass
    ? ''
    : `<p class="warn">No role bypass is configured (<code>bypass.allow</code> or <code>bypass.ability</code>): once the site is OFFLINE or READ-ONLY, this page is reached only through the bypass secret or an allowed IP, and <code>node ace offline:off</code> brings it back.</p>`
  /**
   * Enter in the message field submits with the form's first button: a
   * disabled one, so a keystroke never takes the site down
   */
  return `<form method="post" action="${escapeHtml(data.path)}">${hidden}<button type="submit" disabled hidden aria-hidden="true"></button>
<label for="message">Message for the maintenance page and the banner</label>
<input id="message" name="message" maxlength="500" placeholder="${escapeHtml(data.state.message ?? 'Keep the current message')}">
<div class="actions">${buttons}</div>
${warning}
</form>`
}

/**
 * The admin page: self-contained (inline CSS, no script, no external
 * asset), so it renders whatever the app's layout and assets do
 */
export function adminPage(data: AdminPageData): string {
  const notice = data.notice ? `<p class="notice" role="status">${escapeHtml(data.notice)}</p>` : ''
  const error = data.error
    ? `<p class="error" role="alert">The store could not be read: ${escapeHtml(data.error)}. Showing the last known state.</p>`
    : ''
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta name="color-scheme" content="light dark">
<title>Site maintenance · ${statusLabel(data.state)}</title>
<style>
:root{--bg:#f4f6f8;--card:#fff;--text:#17202b;--muted:#4a5565;--line:#dde2e9;--online:#1d7a46;--pending:#a15c00;--offline:#b42318;--read-only:#2a5bd7}
@media (prefers-color-scheme:dark){:root{--bg:#0f1318;--card:#181e26;--text:#edf0f4;--muted:#aeb8c5;--line:#29313c;--online:#5ccf8d;--pending:#f0b04f;--offline:#ff8a80;--read-only:#93b2ff}}
*{box-sizing:border-box}
body{margin:0;padding:1.5rem;background:var(--bg);color:var(--text);font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
main{max-width:52rem;margin:0 auto;display:grid;gap:1rem}
section{background:var(--card);border:1px solid var(--line);border-radius:.75rem;padding:1rem 1.25rem}
h1{font-size:1.5rem;margin:0}h2{font-size:1.05rem;margin:0 0 .5rem}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
.facts th{width:11rem;color:var(--muted);font-weight:500}.history th{color:var(--muted);font-weight:500}
.muted{color:var(--muted);margin:0}ul{margin:0;padding-left:1.25rem}
.pill{display:inline-block;padding:.05rem .6rem;border-radius:999px;color:#fff;background:var(--online)}
.pill--pending{background:var(--pending)}.pill--offline{background:var(--offline)}.pill--read-only{background:var(--read-only)}
@media (prefers-color-scheme:dark){.pill{color:#10151b}}
label{display:block;margin-bottom:.25rem;color:var(--muted)}
input[name=message]{width:100%;padding:.5rem .6rem;font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:.4rem}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.75rem}
.action{font:inherit;font-weight:600;padding:.5rem 1rem;border-radius:.4rem;border:2px solid currentColor;background:transparent;cursor:pointer}
.action--pending{color:var(--pending)}.action--offline{color:var(--offline)}.action--read-only{color:var(--read-only)}.action--online{color:var(--online)}
.action:disabled{opacity:.4;cursor:not-allowed}.action:focus-visible{outline:3px solid var(--text);outline-offset:2px}
.notice,.error,.warn{margin:0;padding:.6rem .8rem;border-radius:.4rem;border:1px solid var(--line)}
.error{border-color:var(--offline)}.warn{margin-top:.75rem;color:var(--muted)}
</style>
</head>
<body>
<main>
<h1>Site maintenance</h1>
${notice}${error}
<section aria-labelledby="state"><h2 id="state">State</h2>${describeState(data)}</section>
<section aria-labelledby="schedule"><h2 id="schedule">Schedule</h2>${scheduleList(data.state.schedule)}</section>
<section aria-labelledby="change"><h2 id="change">Change</h2>${form(data)}</section>
<section aria-labelledby="transitions"><h2 id="transitions">Recent transitions</h2>${describeHistory(data.state)}</section>
</main>
</body>
</html>
`
}

/**
 * The page's refusal, as short as the reason it does not give
 */
export function forbiddenPage(message: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex">
<title>403 Forbidden</title>
</head>
<body>
<h1>403 Forbidden</h1>
<p>${escapeHtml(message)}</p>
</body>
</html>
`
}
