/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { randomBytes, timingSafeEqual } from 'node:crypto'
import { RuntimeException } from '@adonisjs/core/exceptions'
import type { HttpContext } from '@adonisjs/core/http'
import type {} from '../../providers/maintenance_provider.ts'
import { describeCensus } from '../census_line.ts'
import type { TransitionResult } from '../maintenance_manager.ts'
import { statusLabel } from '../state.ts'
import type { Census } from '../types.ts'
import { AdminGuard, type AdminAccessOptions } from './admin_guard.ts'
import { adminPage, forbiddenPage, type AdminAction } from './admin_page.ts'

/**
 * The form's own token, kept in the session: the actions are
 * CSRF-protected whether or not the app runs @adonisjs/shield (whose
 * token the form carries as well, as `_csrf`, when it does)
 */
const TOKEN_KEY = 'site_maintenance_admin_token'
export const TOKEN_FIELD = '_maintenance_token'
const NOTICE_KEY = 'site_maintenance_admin_notice'
const MAX_MESSAGE = 500

/**
 * On every answer of the page, refusals and redirects included.
 * X-Frame-Options beside frame-ancestors: older browsers and some
 * embedded views know only the former, and the buttons must never be
 * clickjacked.
 */
const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'same-origin',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-robots-tag': 'noindex',
}
const HTML = 'text/html; charset=utf-8'
const FORBIDDEN = 'You are not allowed to manage site maintenance.'

/**
 * What the page needs of @adonisjs/session
 */
interface AdminSession {
  get(key: string): unknown
  put(key: string, value: string): void
  flash(key: string, value: string): void
  flashMessages: { get(key: string): unknown }
}

export interface MaintenanceAdminOptions extends AdminAccessOptions {
  /**
   * Where the page is mounted. Default `/admin/maintenance`.
   */
  prefix?: string
  /**
   * The prefix of the route names (`<as>.show`, `<as>.pending`,
   * `<as>.offline`, `<as>.read_only`, `<as>.online`). Default
   * `maintenance_admin`.
   */
  as?: string
  /**
   * Who is acting, for the state record and the log. Default: the
   * email, username or id of `ctx.auth.user`.
   */
  user?: (ctx: HttpContext) => string | null | undefined
}

/**
 * The admin page's handlers: the page, and one action per button. Each
 * asks the guard first (a route middleware could be left off or
 * reordered by the app), and each action goes through the manager, with
 * the same compare-and-set as the commands.
 */
export class MaintenanceAdminController {
  #guard: AdminGuard

  constructor(protected options: MaintenanceAdminOptions = {}) {
    this.#guard = new AdminGuard(options)
  }

  async show(ctx: HttpContext) {
    secure(ctx)
    if (!(await this.#guard.allows(ctx))) return forbid(ctx)
    const session = sessionOf(ctx)
    const manager = await ctx.containerResolver.make('maintenance.manager')
    let state = manager.state
    let census: Census | null = null
    let error: string | null = null
    try {
      state = await manager.refresh()
      census = await manager.census()
    } catch (failure) {
      error = (failure as Error).message
    }

    const fields: Record<string, string> = { [TOKEN_FIELD]: formToken(session) }
    const shieldToken = (ctx.request as { csrfToken?: string }).csrfToken
    if (typeof shieldToken === 'string') fields._csrf = shieldToken
    const notice = session.flashMessages.get(NOTICE_KEY)

    ctx.response.header('content-type', HTML)
    return adminPage({
      state,
      census,
      error,
      notice: typeof notice === 'string' ? notice : null,
      path: pagePath(ctx.request.url()),
      fields,
      roleBypass: manager.config.bypass.allow !== null || manager.config.bypass.ability !== null,
    })
  }

  async act(ctx: HttpContext, action: AdminAction) {
    secure(ctx)
    if (!(await this.#guard.allows(ctx))) return forbid(ctx)
    const session = sessionOf(ctx)
    const user = this.#who(ctx)
    const page = pagePath(pagePath(ctx.request.url()).slice(0, -(action.length + 1)))
    const log = { action, user, ip: ctx.request.ip() }

    /**
     * The body only: a token in the query string would end up in logs,
     * history and Referer headers
     */
    const body = ctx.request.body()
    if (!hasToken(session, body[TOKEN_FIELD])) {
      ctx.logger.warn(
        log,
        `site-maintenance: admin page: refused "${action}" without a valid form token`
      )
      return ctx.response.forbidden(
        'Invalid or missing form token: reload the maintenance admin page and try again'
      )
    }

    let notice: string
    try {
      const result = await this.#apply(ctx, action, `${user} via admin page`)
      notice = describeOutcome(result)
      ctx.logger.info(
        { ...log, changed: result.changed, status: statusLabel(result.state) },
        `site-maintenance: admin page: ${user} asked for ${action}: ${notice}`
      )
    } catch (failure) {
      notice = `Nothing changed: ${(failure as Error).message}`
      ctx.logger.warn(log, `site-maintenance: admin page: ${user} asked for ${action}: ${notice}`)
    }
    session.flash(NOTICE_KEY, notice)
    return ctx.response.redirect().status(303).toPath(page)
  }

  async #apply(ctx: HttpContext, action: AdminAction, requestedBy: string) {
    const manager = await ctx.containerResolver.make('maintenance.manager')
    if (action === 'online') return manager.deactivate({ requestedBy })
    return manager.activate({
      requestedBy,
      message: messageOf(ctx.request.body().message),
      force: action === 'offline',
      readOnly: action === 'read-only',
    })
  }

  #who(ctx: HttpContext): string {
    const named = this.options.user?.(ctx)
    if (named) return named
    const user = (ctx as { auth?: { user?: Record<string, unknown> } }).auth?.user
    if (!user) return 'an unidentified user'
    for (const key of ['email', 'username']) {
      if (typeof user[key] === 'string' && user[key]) return user[key]
    }
    return user.id !== undefined ? `user #${String(user.id)}` : 'an unidentified user'
  }
}

function secure(ctx: HttpContext) {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) ctx.response.header(name, value)
}

/**
 * A 403 that says no more than that: why is for the log, not the client
 */
function forbid(ctx: HttpContext) {
  ctx.response.status(403)
  if (ctx.request.accepts(['html', 'json']) === 'json')
    return ctx.response.json({ message: FORBIDDEN })
  ctx.response.header('content-type', HTML)
  return forbiddenPage(FORBIDDEN)
}

function sessionOf(ctx: HttpContext): AdminSession {
  const session = (ctx as { session?: AdminSession }).session
  if (!session) {
    throw new RuntimeException(
      'The maintenance admin page needs @adonisjs/session: its middleware must run in the router stack'
    )
  }
  return session
}

function formToken(session: AdminSession) {
  const token = session.get(TOKEN_KEY)
  if (typeof token === 'string') return token
  const fresh = randomBytes(32).toString('base64url')
  session.put(TOKEN_KEY, fresh)
  return fresh
}

function hasToken(session: AdminSession, given: unknown) {
  const expected = session.get(TOKEN_KEY)
  if (typeof expected !== 'string' || typeof given !== 'string') return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * A message typed in the form: trimmed, none when empty (the current one
 * is kept), refused when longer than the field allows
 */
function messageOf(input: unknown): string | undefined {
  if (typeof input !== 'string' || input.trim() === '') return undefined
  const message = input.trim()
  if (message.length > MAX_MESSAGE) {
    throw new Error(`the message is longer than ${MAX_MESSAGE} characters`)
  }
  return message
}

function pagePath(url: string) {
  return url.length > 1 && url.endsWith('/') ? url.slice(0, -1) : url
}

function describeOutcome({ changed, state, census }: TransitionResult) {
  const label = statusLabel(state)
  if (!changed) return `Nothing to do: the site is already ${label}.`
  const counted = census ? ` (${describeCensus(census)})` : ''
  if (state.status === 'pending') {
    return `The site is PENDING${counted}: OFFLINE once they are done, or at the drain deadline.`
  }
  return `The site is ${label}${counted}.`
}
