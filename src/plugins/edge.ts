/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { readFileSync } from 'node:fs'
import { Edge } from 'edge.js'
import type { PluginFn, TagContract } from 'edge.js/types'
import debug from '../debug.ts'
import type { MaintenanceManager } from '../maintenance_manager.ts'
import type { VisitorTexts } from '../i18n/messages.ts'
import { messageOf, type PageData, type PageRenderer } from '../maintenance_page.ts'
import { LiveStatus } from '../request_path/live_status.ts'
import { isAnnounced } from '../state.ts'
import type { MaintenanceStatus } from '../types.ts'
import type { MaintenancePlugin } from './maintenance_plugin.ts'
import { LIVE_CHANNEL, listensOnTransmit } from './transmit.ts'

/**
 * The banner template, shipped next to the compiled plugin
 * (`build/src/plugins/edge/banner.edge`)
 */
export const BANNER_TEMPLATE = new URL('./edge/banner.edge', import.meta.url)

/**
 * The live banner's container and script (`banner.live`), next to it
 */
export const BANNER_LIVE_TEMPLATE = new URL('./edge/banner_live.edge', import.meta.url)

/**
 * Props of the banner
 */
export interface BannerProps {
  /**
   * Show a close button (the banner stays closed for the browser tab
   * until the state changes). Default true.
   */
  dismissible?: boolean
  /**
   * CSP nonce for the inline style and script. Defaults to the
   * `cspNonce` shared by @adonisjs/shield.
   */
  nonce?: string
  /**
   * With `banner.live` in the config, `false` leaves this banner static
   * (no polling script). Without it the banner is never live.
   */
  live?: boolean
  /**
   * The banner's language. Defaults to the one the request's
   * Accept-Language picks (the tag passes the template's `request`).
   */
  locale?: string
  /**
   * The request whose Accept-Language picks the language
   */
  request?: { header(name: string): string | undefined }
}

type ManagerView = Pick<MaintenanceManager, 'state' | 'config' | 'page'>

/**
 * The banner is rendered by an Edge instance of its own, never by the
 * app's. Anything registered with the app's instance (a mounted disk, a
 * template) costs every request of the app: Edge lists the components of
 * all its disks and templates each time a renderer is created (once per
 * request, by the session middleware), and its cache setting does not
 * turn that off. This instance works only when a banner is shown.
 */
let bannerEdge: Edge | null = null

/**
 * The banner's styles as a JavaScript string, for the live script to
 * insert when it draws a banner on a page rendered without one
 */
let bannerCss = ''

function bannerInstance() {
  if (!bannerEdge) {
    const banner = readFileSync(BANNER_TEMPLATE, 'utf8')
    const css = /<style[^>]*>\n?([\s\S]*?)<\/style>/.exec(banner)?.[1] ?? ''
    bannerCss = JSON.stringify(css).replaceAll('<', '\\u003c')
    bannerEdge = new Edge({ cache: true })
    bannerEdge.registerTemplate('banner', { template: banner })
    bannerEdge.registerTemplate('banner_live', {
      template: compact(readFileSync(BANNER_LIVE_TEMPLATE, 'utf8')),
    })
  }
  return bannerEdge
}

/**
 * The live template without indentation and whole-line comments: its
 * script goes into every page while ONLINE
 */
function compact(template: string) {
  return template
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^\/\*.*\*\/$/.test(line))
    .join('\n')
}

function renderBanner(state: {
  maintenance: MaintenanceGlobal
  dismissible: boolean
  nonce?: string
  lang: string
  t: VisitorTexts
  message: string | null
  startsAtTitle: string
}) {
  return bannerInstance().renderSync('banner', state)
}

function renderLiveBanner(state: {
  path: string
  channel: string | null
  interval: number
  start: string
  bypass: boolean
  dismissible: boolean
  nonce?: string
}) {
  const edge = bannerInstance()
  return edge.renderSync('banner_live', { ...state, css: bannerCss })
}

/**
 * Time left, as the banner shows it: "1 h 05 min", "12 min 05 s", "42 s";
 * whole minutes only when `seconds` is false. Null once the time is up.
 */
export function formatTimeLeft(milliseconds: number, seconds = true): string | null {
  const total = Math.ceil(milliseconds / 1000)
  if (total <= 0) return null
  const hours = Math.floor(total / 3600)
  const minutes = Math.floor((total % 3600) / 60)
  const rest = total % 60
  const pad = (value: number) => String(value).padStart(2, '0')
  if (hours > 0) return `${hours} h ${pad(minutes)} min`
  if (!seconds) return `${Math.ceil(total / 60)} min`
  if (minutes > 0) return `${minutes} min ${pad(rest)} s`
  return `${rest} s`
}

/**
 * The `maintenance` global of Edge templates. Every property is a getter
 * over the manager's in-memory state: no I/O, and each render sees the
 * state of that moment.
 */
export class MaintenanceGlobal {
  #manager: ManagerView
  #edge: Edge
  #live: LiveStatus | null = null
  #channel: string | null

  /**
   * @param channel - the @adonisjs/transmit channel live banners listen
   * on, or null: they poll the status endpoint
   */
  constructor(manager: ManagerView, edge: Edge, channel: string | null = null) {
    this.#manager = manager
    this.#edge = edge
    this.#channel = channel
  }

  get status(): MaintenanceStatus {
    return this.#manager.state.status
  }

  get online() {
    return this.status === 'online'
  }

  /**
   * A window scheduled with `offline:on --at --announce` is being
   * announced: the site is still ONLINE and the banner says when it starts
   */
  get scheduled() {
    return isAnnounced(this.#manager.state, Date.now())
  }

  /**
   * When the scheduled window starts; null when none is to come
   */
  get startsAt(): Date | null {
    const { status, schedule } = this.#manager.state
    return status === 'online' && schedule?.startsAt ? new Date(schedule.startsAt) : null
  }

  /**
   * The start as the banner says it: "22:00 UTC", with the date when it
   * is not today (UTC): "24 Dec 22:00 UTC"; null when none is to come
   */
  get startsAtText(): string | null {
    const startsAt = this.startsAt
    if (!startsAt) return null
    const time = startsAt.toISOString().slice(11, 16)
    const today = new Date().toISOString().slice(0, 10) === startsAt.toISOString().slice(0, 10)
    if (today) return `${time} UTC`
    const day = startsAt.toLocaleDateString('en-GB', {
      day: 'numeric',
      month: 'short',
      timeZone: 'UTC',
    })
    return `${day} ${time} UTC`
  }

  /**
   * When a scheduled window ends by itself (`--until`); null otherwise
   */
  get endsAt(): Date | null {
    const endsAt = this.#manager.state.schedule?.endsAt
    return endsAt ? new Date(endsAt) : null
  }

  /**
   * Draining: logged-in users finish their work, then the site goes offline
   */
  get pending() {
    return this.status === 'pending'
  }

  /**
   * Offline: only bypass holders see the site's pages (READ-ONLY too,
   * where everyone sees them: test `readOnly` first)
   */
  get offline() {
    return this.status === 'offline'
  }

  /**
   * Read-only (`offline:on --read-only`): everyone reads the site's pages,
   * writes get the maintenance page. `offline` is true as well.
   */
  get readOnly() {
    return this.offline && this.#manager.state.readOnly === true
  }

  /**
   * The `offline:on --message`, or the default (the read-only one while
   * READ-ONLY, else the configured one); null when online
   */
  get message(): string | null {
    if (this.online && !this.scheduled) return null
    const { page } = this.#manager
    return messageOf(this.#manager.state, this.#manager.config, page.defaultLocale, page.texts())
  }

  /**
   * When a PENDING site goes offline at the latest; null in other states
   */
  get deadline(): Date | null {
    const { status, deadline } = this.#manager.state
    return status === 'pending' && deadline !== null ? new Date(deadline) : null
  }

  /**
   * Value of the `Retry-After` header (seconds or HTTP date); null when online
   */
  get retryAfter(): number | string | null {
    if (this.online) return null
    return this.#manager.state.retryAfter ?? this.#manager.config.retryAfter
  }

  /**
   * When the site is expected back, from `Retry-After`; null when online
   */
  get retryAt(): Date | null {
    if (this.online) return null
    return this.#manager.page.data(this.#manager.state).retryAt
  }

  /**
   * Milliseconds until the deadline (0 once passed), or until the start
   * of an announced window; null otherwise
   */
  get timeLeft(): number | null {
    const moment = this.scheduled ? this.startsAt : this.deadline
    return moment ? Math.max(0, moment.getTime() - Date.now()) : null
  }

  /**
   * The time left, formatted ("12 min 05 s"); null unless PENDING or when
   * the deadline has passed
   */
  get countdown(): string | null {
    const timeLeft = this.timeLeft
    return timeLeft === null ? null : formatTimeLeft(timeLeft)
  }

  /**
   * The banner's HTML, for `{{{ maintenance.banner() }}}`; empty when
   * online, unless live (`banner.live`): then only the live script and
   * its empty container. The `@!maintenance.banner()` tag calls it too.
   */
  banner(props: BannerProps = {}) {
    const dismissible = props.dismissible !== false
    let html = this.online && !this.scheduled ? '' : this.#render(props)
    if (props.live !== false && this.#manager.config.banner?.live) {
      html += this.#liveBanner(dismissible, props.nonce)
    }
    /**
     * Safe for `{{ }}` too, where Edge would otherwise escape the markup
     */
    return Object.assign(this.#edge.globals.html.safe(html), { toString: () => html })
  }

  /**
   * The live banner's container and script, starting from what the
   * status endpoint answers now (built once per state change)
   */
  #liveBanner(dismissible: boolean, nonce: string | undefined) {
    const { state, config } = this.#manager
    this.#live ??= new LiveStatus(config)
    return renderLiveBanner({
      path: this.#live.path,
      channel: this.#channel,
      interval: config.banner.interval,
      start: this.#live.answer(state).body,
      /**
       * Only bypass holders see a page while OFFLINE (not READ-ONLY):
       * their forms go through
       */
      bypass: this.offline && !this.readOnly,
      dismissible,
      nonce,
    })
  }

  #render(props: BannerProps) {
    const { page, state, config } = this.#manager
    const lang =
      props.locale ??
      page.negotiate(
        typeof props.request?.header === 'function'
          ? props.request.header('accept-language')
          : undefined
      )
    const t = page.texts(lang)
    return renderBanner({
      maintenance: this,
      dismissible: props.dismissible !== false,
      nonce: props.nonce,
      lang,
      t,
      message: messageOf(state, config, lang, t),
      startsAtTitle: t.bannerScheduledTitle.replace('{time}', this.startsAtText ?? ''),
    })
  }

  toJSON() {
    return {
      status: this.status,
      message: this.message,
      deadline: this.deadline,
      retryAfter: this.retryAfter,
      ...(this.readOnly ? { readOnly: true } : {}),
    }
  }
}

/**
 * Edge plugin: registers the `maintenance` global and the banner's tag.
 * With `channel` (the app has @adonisjs/transmit) live banners listen on
 * it instead of polling.
 */
export function edgePluginMaintenance(
  manager: ManagerView,
  options: { channel?: string | null } = {}
): PluginFn<undefined> {
  return (edge) => {
    debug('registering the maintenance global and banner tag with edge')
    edge.global('maintenance', new MaintenanceGlobal(manager, edge, options.channel ?? null))
    edge.registerTag(bannerTag)
  }
}

/**
 * `@!maintenance.banner(props)`: outputs `maintenance.banner(props)`,
 * with the template's `cspNonce` (shared by @adonisjs/shield) as the
 * default nonce and its `request` (shared by AdonisJS) for the language
 */
const bannerTag: TagContract = {
  tagName: 'maintenance.banner',
  block: true,
  seekable: true,
  compile(parser, buffer, token) {
    const props = token.properties.jsArg.trim() || '{}'
    const expression = parser.utils.transformAst(
      parser.utils.generateAST(
        `maintenance.banner(Object.assign({ nonce: cspNonce, request: request }, ${props}))`,
        token.loc,
        token.filename
      ),
      token.filename,
      parser
    )
    buffer.outputExpression(
      parser.utils.stringify(expression),
      token.filename,
      token.loc.start.line,
      true
    )
  },
}

/**
 * Renders the maintenance page with the app's Edge template, when the
 * app has one (`node ace add site-maintenance` publishes it); null lets
 * the built-in page answer.
 */
export async function edgeRenderer(view: string): Promise<PageRenderer> {
  const { default: edge } = await import('edge.js')
  return async (data: PageData) => {
    if (!edge.loader.resolve || !hasTemplate(edge, view)) return null
    return edge.render(view, data)
  }
}

function hasTemplate(edge: { loader: { resolve(name: string): unknown } }, view: string) {
  try {
    edge.loader.resolve(view)
    return true
  } catch {
    return false
  }
}

/**
 * The integration, when the app uses Edge: the page renders with the
 * app's template, and templates get the `maintenance` global (live
 * state, no I/O) and the banner, listening on transmit when the app has
 * it, else polling
 */
export default function edgePlugin(): MaintenancePlugin {
  return {
    async setup(manager) {
      manager.page.useRenderer(await edgeRenderer(manager.config.view))
    },
    async boot({ app, manager }) {
      const { default: edge } = await import('edge.js')
      const resolved = await manager()
      const channel = listensOnTransmit(app, resolved.config) ? LIVE_CHANNEL : null
      edge.use(edgePluginMaintenance(resolved, { channel }))
    },
  }
}
