/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { stat } from 'node:fs/promises'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'

/**
 * On SQLite, a cached state is trusted only once the database files were
 * last modified this long before they were looked at: a write within the
 * same timestamp tick as the look (same size, same mtime) would otherwise
 * go unnoticed ("racy git"). Linux file times tick every few ms.
 */
const SQLITE_SETTLED_MS = 100

/**
 * SQLite files whose journal mode this process checked
 */
const warnedJournals = new Set<string>()

/**
 * The SQLite database file of a connection, or null when it is not
 * SQLite or not a file
 */
export function sqliteFile(client: QueryClientContract): string | null {
  const dialect = client.dialect.name
  if (dialect !== 'better-sqlite3' && dialect !== 'sqlite3') return null
  try {
    const filename = client.getWriteClient().client.config?.connection?.filename
    if (typeof filename === 'string' && filename !== '' && filename !== ':memory:') {
      return filename.startsWith('file:') ? null : filename
    }
  } catch {}
  return null
}

/**
 * Identity, size and times of the SQLite file and its WAL, taken before
 * the query they vouch for; suffixed "racy" while a write may share the
 * files' last timestamp tick. null when they cannot be looked at.
 */
export async function sqliteSignature(file: string): Promise<string | null> {
  const now = Date.now()
  const parts: string[] = []
  let racy = false
  for (const path of [file, `${file}-wal`]) {
    try {
      const info = await stat(path, { bigint: true })
      parts.push(`${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`)
      const changed = Number(
        (info.mtimeNs > info.ctimeNs ? info.mtimeNs : info.ctimeNs) / 1_000_000n
      )
      if (changed > now - SQLITE_SETTLED_MS) racy = true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || path === file) return null
      parts.push('-')
    }
  }
  return parts.join('|') + (racy ? '|racy' : '')
}

/**
 * Warn once per process and file when an SQLite database is not in WAL
 * mode: there a process writing sessions without pause locks readers
 * out, and the census and state reads wait up to the busy timeout or
 * fail with "database is locked" (the eighth session's bench: 12 % of
 * census calls under 44 writes/s; none in WAL). Never throws.
 */
export async function warnOnRollbackJournal(
  client: QueryClientContract,
  file: string,
  logger: { warn(message: string): unknown } | undefined
) {
  if (warnedJournals.has(file)) return
  warnedJournals.add(file)
  try {
    const rows = await client.rawQuery('PRAGMA journal_mode')
    const mode = String(Object.values((rows as Record<string, unknown>[])[0] ?? {})[0] ?? '')
    if (mode.toLowerCase() === 'wal') return
    const message =
      `site-maintenance: the SQLite database ${file} uses the "${mode}" journal, where ` +
      `session writes lock out the census and state reads; switch it to WAL ` +
      `(PRAGMA journal_mode = WAL, e.g. in the connection's pool.afterCreate)`
    if (logger) logger.warn(message)
    else process.emitWarning(message, { code: 'SITE_MAINTENANCE_SQLITE_JOURNAL' })
  } catch {}
}
