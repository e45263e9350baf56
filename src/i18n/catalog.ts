/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { DEFAULT_LOCALE, SHIPPED_TEXTS, type VisitorTexts } from './messages.ts'
import { LocaleNegotiator } from './negotiate.ts'

/**
 * The app's own wording, per locale and text (`maintenance.pageTitle` in
 * its translations)
 */
export type TextOverrides = Record<string, Partial<VisitorTexts>>

export interface CatalogOptions {
  /**
   * The app's texts, preferred over the shipped ones
   */
  overrides?: TextOverrides
  /**
   * The locale a locale falls back to for a text it lacks (the app's
   * i18n `fallbackLocales`, or its closest supported locale)
   */
  fallbacks?: Record<string, string>
}

/**
 * The languages visitors are answered in and the texts of each: the
 * shipped ones, or the app's. A text is looked up in the locale (the
 * app's wording, then the shipped one), then in its fallback locale, then
 * in the default locale, then in English. Each locale's texts are merged
 * once and kept: the request path only reads them.
 */
export class VisitorCatalog {
  readonly negotiator: LocaleNegotiator
  #overrides: TextOverrides
  #fallbacks: Record<string, string>
  #merged = new Map<string, VisitorTexts>()

  constructor(
    locales: readonly string[] = Object.keys(SHIPPED_TEXTS),
    defaultLocale: string = DEFAULT_LOCALE,
    options: CatalogOptions = {}
  ) {
    this.negotiator = new LocaleNegotiator(locales, defaultLocale)
    this.#overrides = options.overrides ?? {}
    this.#fallbacks = options.fallbacks ?? {}
  }

  get defaultLocale() {
    return this.negotiator.fallback
  }

  /**
   * The texts of a locale. Bounded: unknown locales share the default
   * locale's texts instead of adding an entry each.
   */
  texts(locale: string): VisitorTexts {
    const known = this.negotiator.locales.includes(locale) || locale in SHIPPED_TEXTS
    const key = known ? locale : this.defaultLocale
    let texts = this.#merged.get(key)
    if (!texts) {
      texts = this.#merge(key)
      this.#merged.set(key, texts)
    }
    return texts
  }

  #merge(locale: string): VisitorTexts {
    const chain = [
      ...new Set([locale, this.#fallbacks[locale], this.defaultLocale, DEFAULT_LOCALE]),
    ]
    const texts = { ...SHIPPED_TEXTS[DEFAULT_LOCALE] }
    for (const key of Object.keys(texts) as (keyof VisitorTexts)[]) {
      for (const candidate of chain) {
        if (!candidate) continue
        const found = this.#overrides[candidate]?.[key] ?? SHIPPED_TEXTS[candidate]?.[key]
        if (found !== undefined) {
          texts[key] = found
          break
        }
      }
    }
    return texts
  }
}
