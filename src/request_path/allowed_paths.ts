/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

/**
 * Percent-encoded "/", "\", "." and NUL: a path carrying them may decode
 * to another path downstream, so it is never exempt
 */
const ENCODED_SEPARATORS = /%(2f|5c|2e|00)/i

/**
 * RFC 3986 path characters (pchar and "/"), percent signs only before two
 * hex digits: "#", spaces, quotes and the like never make a path exempt
 */
const PATH_CHARACTERS = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/

/**
 * The paths that reach the app whatever the state (health checks, the
 * maintenance page's assets). Matching is exact and case-sensitive on the
 * raw path, and any path that another layer could read differently
 * (dot segments, encoded separators, "//", ";", a trailing slash) fails
 * closed: it is simply not exempt.
 */
/**
 * Whether an `allowedPaths` entry exempts everything below it
 * ("/maintenance/*") rather than one exact path
 */
export function isPrefixEntry(entry: string) {
  return entry.endsWith('/*')
}

export class AllowedPaths {
  #exact = new Set<string>()
  #prefixes: string[] = []

  /**
   * @param entries - "/health" matches that path only; "/maintenance/*"
   * matches every path below "/maintenance/"
   */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      if (isPrefixEntry(entry)) {
        const prefix = entry.slice(0, -1)
        if (isCanonical(prefix.slice(0, -1) || '/')) this.#prefixes.push(prefix)
      } else if (isCanonical(entry)) {
        this.#exact.add(entry)
      }
    }
  }

  get isEmpty() {
    return this.#exact.size === 0 && this.#prefixes.length === 0
  }

  /**
   * Whether the raw request path (without the query string) is exempt
   */
  matches(path: string): boolean {
    if (this.isEmpty || !isCanonical(path)) return false
    if (this.#exact.has(path)) return true
    for (const prefix of this.#prefixes) {
      if (path.length > prefix.length && path.startsWith(prefix)) return true
    }
    return false
  }
}

/**
 * A path that every layer reads the same way
 */
export function isCanonical(path: string): boolean {
  if (path.charCodeAt(0) !== 47 /* / */) return false
  if (!PATH_CHARACTERS.test(path)) return false
  if (path.length > 1 && path.endsWith('/')) return false
  if (path.includes('//') || path.includes(';') || path.includes('\\') || path.includes('\0')) {
    return false
  }
  if (path.includes('%') && ENCODED_SEPARATORS.test(path)) return false
  if (path.includes('/.')) {
    for (const segment of path.split('/')) {
      if (segment === '.' || segment === '..') return false
    }
  }
  return true
}

/**
 * The path of a request target, without its query string
 */
export function rawPath(url: string | undefined): string {
  if (!url) return '/'
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}
