/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The better-sqlite3 major version whose statement finalizers are safe
 * on Node.js 24 (11 and 12 abort the process from a GC finalizer:
 * `Statement::~Statement`, `Assertion failed: (env) != nullptr`)
 */
const BETTER_SQLITE3_SAFE_MAJOR = 13
let checkedBetterSqlite3 = false

/**
 * Warn once per process when the app resolves better-sqlite3 older than
 * 13 (never throws: an unknown version is no reason to fail)
 */
export function warnOnUnsafeBetterSqlite3(
  appRoot: URL | string | undefined,
  logger: { warn(message: string): unknown } | undefined
) {
  if (checkedBetterSqlite3) return
  checkedBetterSqlite3 = true
  try {
    const message = betterSqlite3Warning(appRoot ?? process.cwd())
    if (!message) return
    if (logger) logger.warn(message)
    else process.emitWarning(message, { code: 'SITE_MAINTENANCE_BETTER_SQLITE3' })
  } catch {}
}

/**
 * The warning about the better-sqlite3 the app at `root` resolves, or
 * null when it is recent enough or not found
 */
export function betterSqlite3Warning(root: URL | string): string | null {
  const version = betterSqlite3Version(root)
  const major = version ? Number.parseInt(version, 10) : Number.NaN
  if (!(major < BETTER_SQLITE3_SAFE_MAJOR)) return null
  return (
    `site-maintenance: better-sqlite3 ${version} can abort the process on Node.js 24 ` +
    `(a native assertion while finalizing statements); upgrade to better-sqlite3 >= ${BETTER_SQLITE3_SAFE_MAJOR}`
  )
}

/**
 * The version of the better-sqlite3 the app at `root` resolves. Its
 * package.json is not exported: found up from its entry point.
 */
export function betterSqlite3Version(root: URL | string): string | null {
  try {
    const base = root instanceof URL ? fileURLToPath(root) : root
    const entry = createRequire(join(base, 'package.json')).resolve('better-sqlite3')
    for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
        if (pkg.name === 'better-sqlite3') return String(pkg.version)
      } catch {}
    }
  } catch {}
  return null
}
