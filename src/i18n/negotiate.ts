/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

/**
 * Browsers send a handful of ranges in a few dozen bytes; past these
 * bounds the rest of a header is ignored, so a forged one costs no more
 * than a real one
 */
const MAX_HEADER_LENGTH = 512
const MAX_RANGES = 16
const MAX_REMEMBERED = 500

/**
 * Picks the locale of a refused request from its Accept-Language header,
 * among the locales the answer has (never another: a stranger's header
 * cannot make the page render in a new locale). Remembers the choice per
 * header value, for a bounded number of values.
 */
export class LocaleNegotiator {
  readonly locales: readonly string[]
  readonly fallback: string
  #byLower: Map<string, string>
  #remembered = new Map<string, string>()

  constructor(locales: readonly string[], fallback: string) {
    this.locales = locales
    this.#byLower = new Map(locales.map((locale) => [locale.toLowerCase(), locale]))
    this.fallback = this.#byLower.get(fallback.toLowerCase()) ?? locales[0] ?? fallback
  }

  negotiate(header: string | string[] | undefined): string {
    if (typeof header !== 'string' || header === '') return this.fallback
    let locale = this.#remembered.get(header)
    if (locale === undefined) {
      locale = this.#pick(header)
      if (header.length <= MAX_HEADER_LENGTH) {
        if (this.#remembered.size >= MAX_REMEMBERED) this.#remembered.clear()
        this.#remembered.set(header, locale)
      }
    }
    return locale
  }

  /**
   * The highest q-value wins, then the earliest range. A range matches a
   * locale exactly, or by its language alone ("fr-CA" takes "fr"), or
   * any locale ("*" takes the fallback).
   */
  #pick(header: string): string {
    let best: string | null = null
    let bestQ = 0
    const ranges = header.slice(0, MAX_HEADER_LENGTH).split(',', MAX_RANGES)
    for (const range of ranges) {
      const [tag, ...params] = range.split(';')
      const q = quality(params)
      if (q <= bestQ) continue
      const locale = this.#match(tag.trim().toLowerCase())
      if (locale !== null) {
        best = locale
        bestQ = q
      }
    }
    return best ?? this.fallback
  }

  #match(tag: string): string | null {
    if (tag === '*') return this.fallback
    const exact = this.#byLower.get(tag)
    if (exact) return exact
    const dash = tag.indexOf('-')
    return dash > 0 ? (this.#byLower.get(tag.slice(0, dash)) ?? null) : null
  }
}

function quality(params: string[]): number {
  for (const param of params) {
    const [name, value] = param.split('=')
    if (name.trim().toLowerCase() === 'q') {
      const q = Number(value)
      return Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 0
    }
  }
  return 1
}
