/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import debug from './debug.ts'
import { defaults } from './defaults.ts'
import { VisitorCatalog } from './i18n/catalog.ts'
import { DEFAULT_LOCALE, SHIPPED_TEXTS, textsOf, type VisitorTexts } from './i18n/messages.ts'
import type { MaintenanceState, ResolvedMaintenanceConfig } from './types.ts'

/**
 * What the page template receives
 */
export interface PageData {
  status: MaintenanceState['status']
  /**
   * True for a write refused while the site is READ-ONLY (always set by
   * `data()`; optional for pages built by hand)
   */
  readOnly?: boolean
  message: string
  /**
   * When the site is expected back (from Retry-After), or null
   */
  retryAt: Date | null
  /**
   * The language of the page (`lang` attribute, texts); the default
   * locale when missing
   */
  locale?: string
}

/**
 * The answer in one visitor's language: the locale chosen from the
 * request's Accept-Language, and the bodies prepared for it
 */
export interface LocalizedAnswer {
  locale: string
  html: () => string
  json: string
}

interface LocaleBodies {
  json: string
  html: string | null
  rendering: boolean
  /**
   * What answerFor returns for this locale: one object per state and
   * locale, so answering a crowd allocates nothing per request
   */
  answer: LocalizedAnswer
}

/**
 * Renders the page through the app's template (Edge), when there is one
 */
export type PageRenderer = (data: PageData) => Promise<string | null>

/**
 * The maintenance answer's bodies. Rendered once per state change and
 * held in memory, so answering a crowd costs no template work; the same
 * HTML is written as the static page the web server serves while OFFLINE.
 */
export class MaintenancePage {
  #html: { revision: number; html: string } | null = null
  #catalog = new VisitorCatalog()
  /**
   * The bodies per locale of one state revision, filled on first use of
   * a locale and dropped when the state changes. Bounded by the
   * negotiator's locales.
   */
  #localized: { revision: number; bodies: Map<string, LocaleBodies> } | null = null

  constructor(
    protected config: Pick<ResolvedMaintenanceConfig, 'message' | 'retryAfter'>,
    protected renderer?: PageRenderer
  ) {}

  /**
   * Render through the app's template from now on
   */
  useRenderer(renderer: PageRenderer) {
    this.renderer = renderer
    this.#html = null
    this.#localized = null
  }

  /**
   * Answer in these locales (the app's supported ones), `defaultLocale`
   * when the visitor accepts none of them. Locales the package does not
   * ship get the English texts unless `offline:on --message-in` gives one.
   */
  useLocales(locales: readonly string[], defaultLocale: string) {
    this.useCatalog(new VisitorCatalog(locales, defaultLocale))
  }

  /**
   * Answer in the catalog's locales with its texts (the app's
   * translations, see src/i18n/app_i18n.ts)
   */
  useCatalog(catalog: VisitorCatalog) {
    this.#catalog = catalog
    this.#html = null
    this.#localized = null
  }

  /**
   * The visitor-facing texts of a locale (merged once, then kept)
   */
  texts(locale: string = this.defaultLocale): VisitorTexts {
    return this.#catalog.texts(locale)
  }

  /**
   * The locale every visitor gets unless their Accept-Language picks another
   */
  get defaultLocale() {
    return this.#catalog.defaultLocale
  }

  /**
   * The locale of a request from its Accept-Language header
   */
  negotiate(acceptLanguage: string | string[] | undefined): string {
    return this.#catalog.negotiator.negotiate(acceptLanguage)
  }

  data(state: MaintenanceState, locale: string = this.defaultLocale): PageData {
    return {
      status: state.status,
      readOnly: state.readOnly === true,
      message: messageOf(state, this.config, locale, this.texts(locale)),
      retryAt: retryAt(state, this.config.retryAfter),
      locale,
    }
  }

  /**
   * Value of the Retry-After header
   */
  retryAfterHeader(state: MaintenanceState): string {
    return String(state.retryAfter ?? this.config.retryAfter)
  }

  /**
   * The JSON body for API clients
   */
  json(state: MaintenanceState, locale?: string) {
    const data = this.data(state, locale)
    return {
      status: state.status,
      message: data.message,
      retryAfter: state.retryAfter ?? this.config.retryAfter,
      retryAt: data.retryAt?.toISOString() ?? null,
      ...(data.readOnly ? { readOnly: true } : {}),
    }
  }

  /**
   * Render and keep the HTML of this state. Falls back to the built-in
   * page when the app's template is missing or fails.
   */
  async prepare(state: MaintenanceState): Promise<string> {
    const html = await this.#render(this.data(state))
    this.#html = { revision: state.revision, html }
    return html
  }

  async #render(data: PageData): Promise<string> {
    let html: string | null = null
    if (this.renderer) {
      try {
        html = await this.renderer(data)
      } catch (error) {
        debug('rendering the maintenance template failed, using the built-in page: %O', error)
      }
    }
    return html ?? this.#builtIn(data)
  }

  #builtIn(data: PageData) {
    return defaultPage(data, this.texts(data.locale))
  }

  /**
   * The answer in the language a request accepts. Each locale's bodies
   * are prepared once per state revision, on the first request that
   * wants them. With the app's template, that first request gets the
   * built-in page in its language while the template renders.
   */
  answerFor(state: MaintenanceState, acceptLanguage: string | string[] | undefined) {
    const locale = this.negotiate(acceptLanguage)
    if (this.#localized?.revision !== state.revision) {
      this.#localized = { revision: state.revision, bodies: new Map() }
    }
    const { bodies } = this.#localized
    let entry = bodies.get(locale)
    if (!entry) {
      const json = JSON.stringify(this.json(state, locale))
      const created: LocaleBodies = {
        json,
        html: null,
        rendering: false,
        answer: {
          locale,
          json,
          html: () => created.html ?? this.#htmlIn(state, locale, created),
        },
      }
      bodies.set(locale, (entry = created))
    }
    return entry.answer
  }

  #htmlIn(state: MaintenanceState, locale: string, entry: LocaleBodies): string {
    if (locale === this.defaultLocale && this.#html?.revision === state.revision) {
      return (entry.html = this.#html.html)
    }
    const data = this.data(state, locale)
    if (!this.renderer) return (entry.html = this.#builtIn(data))
    if (!entry.rendering) {
      entry.rendering = true
      void this.#render(data).then((html) => {
        entry.html = html
      })
    }
    return this.#builtIn(data)
  }

  /**
   * The HTML for this state, without I/O: the prepared copy, or the
   * built-in page until it is ready
   */
  html(state: MaintenanceState): string {
    if (this.#html?.revision === state.revision) return this.#html.html
    return this.#builtIn(this.data(state))
  }
}

/**
 * The message of a READ-ONLY site when `offline:on --message` gave none
 */
export const READ_ONLY_MESSAGE = SHIPPED_TEXTS.en.readOnlyMessage

/**
 * The message of a state in a locale: the `offline:on --message-in` of
 * that locale, else the `--message`, else the read-only one while
 * READ-ONLY, else the configured default. The shipped defaults are
 * translated; a message the app configured is shown as written.
 */
export function messageOf(
  state: Pick<MaintenanceState, 'message' | 'readOnly'> & { messages?: Record<string, string> },
  config: Pick<ResolvedMaintenanceConfig, 'message'>,
  locale: string = DEFAULT_LOCALE,
  texts: VisitorTexts = textsOf(locale)
): string {
  const own = state.messages?.[locale] ?? state.message
  if (own !== null && own !== undefined) return own
  if (state.readOnly) return texts.readOnlyMessage
  return config.message === defaults.message ? texts.defaultMessage : config.message
}

/**
 * The expected return time: Retry-After seconds counted from the start
 * of the status, or its HTTP date
 */
function retryAt(state: MaintenanceState, fallback: number): Date | null {
  const value = state.retryAfter ?? (state.status === 'online' ? null : fallback)
  if (value === null) return null
  const date = typeof value === 'number' ? new Date(state.since + value * 1000) : new Date(value)
  return Number.isNaN(date.getTime()) ? null : date
}

/**
 * "14:15 UTC, Mon 2 Mar 2026": short enough for one line on a phone
 */
export function formatReturn(date: Date, locale: string = DEFAULT_LOCALE) {
  const time = date.toISOString().slice(11, 16)
  const day = date.toLocaleDateString(locale === 'en' ? 'en-GB' : dateLocale(locale), {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  })
  return `${time} UTC, ${day.replace(',', '')}`
}

/**
 * A locale Intl knows, English otherwise: app locales are free-form
 */
function dateLocale(locale: string) {
  try {
    return Intl.DateTimeFormat.supportedLocalesOf(locale)[0] ?? 'en-GB'
  } catch {
    return 'en-GB'
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

export function escapeHtml(value: string) {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char])
}

/**
 * The built-in page: self-contained (no external CSS, fonts or images),
 * so it renders when every asset path is refused
 */
export function defaultPage(
  data: PageData,
  texts: VisitorTexts = textsOf(data.locale ?? DEFAULT_LOCALE)
): string {
  const locale = data.locale ?? DEFAULT_LOCALE
  const [before, after] = texts.backAt.split('{time}')
  const back = data.retryAt
    ? `<p class="back">${escapeHtml(before)}<time datetime="${data.retryAt.toISOString()}">${escapeHtml(formatReturn(data.retryAt, locale))}</time>${escapeHtml(after ?? '')}</p>`
    : ''
  return `<!DOCTYPE html>
<html lang="${escapeHtml(locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(data.readOnly ? texts.readOnlyPageTitle : texts.pageTitle)}</title>
<style>
:root{--bg:#f4f6f8;--card:#fff;--text:#17202b;--muted:#4a5565;--accent:#2a5bd7;--line:#dde2e9}
@media (prefers-color-scheme:dark){:root{--bg:#0f1318;--card:#181e26;--text:#edf0f4;--muted:#aeb8c5;--accent:#93b2ff;--line:#29313c}}
*{box-sizing:border-box}html,body{height:100%}
body{margin:0;display:grid;place-items:center;padding:1.5rem;background:var(--bg);color:var(--text);font:1.0625rem/1.6 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
main{max-width:34rem;width:100%;padding:2.5rem 2rem;background:var(--card);border:1px solid var(--line);border-radius:1rem;box-shadow:0 12px 32px rgba(15,23,42,.08);text-align:center}
h1{margin:.75rem 0 .5rem;font-size:1.6rem;line-height:1.25}p{margin:.5rem 0 0;color:var(--muted)}.back{color:var(--text);font-weight:600;margin-top:1rem}
svg{width:3.25rem;height:3.25rem;color:var(--accent)}a{color:var(--accent)}a:focus-visible{outline:3px solid var(--accent);outline-offset:3px}
</style>
</head>
<body>
<main>
<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/></svg>
<h1>${escapeHtml(data.readOnly ? texts.readOnlyHeading : texts.heading)}</h1>
<p>${escapeHtml(data.message)}</p>
${back}
<p><a href="">${escapeHtml(texts.tryAgain)}</a></p>
</main>
</body>
</html>
`
}
