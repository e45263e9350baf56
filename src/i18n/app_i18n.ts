/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { VisitorCatalog, type TextOverrides } from './catalog.ts'
import { SHIPPED_TEXTS, type VisitorTexts } from './messages.ts'

/**
 * The parts of @adonisjs/i18n's `I18nManager` read here (the package is
 * optional, so its types are not imported)
 */
export interface AppI18n {
  defaultLocale: string
  config?: { supportedLocales?: string[]; fallbackLocales?: Record<string, string> }
  supportedLocales(): string[]
  getTranslations?(): Record<string, Record<string, string>>
  getFallbackLocaleFor(locale: string): string
  getTranslationsFor(locale: string): Record<string, string>
  loadTranslations(): Promise<void>
}

/**
 * The namespace of the app's translations that words the package's texts:
 * `resources/lang/it/maintenance.json` with `{ "pageTitle": "…" }`
 */
export const NAMESPACE = 'maintenance'

const KEYS = Object.keys(SHIPPED_TEXTS.en) as (keyof VisitorTexts)[]

/**
 * The visitors' languages from the app's @adonisjs/i18n: its supported
 * locales, default locale and fallbacks, and its `maintenance.*`
 * translations over the shipped texts. Read once (the translations are
 * cached by the i18n manager); the raw messages are used, so `{time}`
 * stays the placeholder the page fills.
 */
export async function catalogFromI18n(i18n: AppI18n): Promise<VisitorCatalog> {
  await i18n.loadTranslations()
  if (!hasDecided(i18n)) return new VisitorCatalog(undefined, i18n.defaultLocale)
  const locales = i18n.supportedLocales()
  const overrides: TextOverrides = {}
  const fallbacks: Record<string, string> = {}
  for (const locale of locales) {
    fallbacks[locale] = i18n.getFallbackLocaleFor(locale)
  }
  for (const locale of new Set([...locales, ...Object.values(fallbacks)])) {
    const translations = i18n.getTranslationsFor(locale)
    const texts: Partial<VisitorTexts> = {}
    for (const key of KEYS) {
      const message = translations[`${NAMESPACE}.${key}`]
      if (typeof message === 'string' && message !== '') texts[key] = message
    }
    if (Object.keys(texts).length) overrides[locale] = texts
  }
  return new VisitorCatalog(locales, i18n.defaultLocale, { overrides, fallbacks })
}

/**
 * Whether the app has decided which languages it speaks: `supportedLocales`
 * or `fallbackLocales` in config/i18n.ts, or translation files of its own.
 * A fresh `node ace add @adonisjs/i18n` has none of them, and following
 * it would narrow the page to its default locale: the shipped languages
 * stay then (docs/visitors.md "Languages").
 */
function hasDecided(i18n: AppI18n) {
  const config = i18n.config ?? {}
  if (config.supportedLocales?.length) return true
  if (config.fallbackLocales && Object.keys(config.fallbackLocales).length > 0) return true
  const translations = i18n.getTranslations?.() ?? {}
  return Object.values(translations).some((messages) => Object.keys(messages).length > 0)
}
