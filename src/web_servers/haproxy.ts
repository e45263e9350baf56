/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { readdirSync, statSync } from 'node:fs'
import { extname, join } from 'node:path'
import * as errors from '../errors.ts'
import type { ResolvedWebServerOptions } from './options.ts'

/**
 * The name HAProxy exposes the Lua fetch under (`lua.<name>`)
 */
const FETCH = 'site_maintenance_lock'

/**
 * HAProxy loads `return ... file` bodies into one buffer: above
 * bufsize - maxrewrite (15360 bytes by default) the answer does not fit
 * with its headers
 */
const MAX_FILE_SIZE = 15360 - 512

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
}

/**
 * The Lua fetch HAProxy needs, since it has no "file exists" test. It opens
 * the lock on each evaluated request (the ACL runs last), so the haproxy
 * user needs read permission, and inside a chroot the path is relative to it.
 * Only "no such file" (ENOENT) means unlocked: a lock that exists but cannot
 * be opened (permissions, a directory component that is a file) counts as
 * locked, so the site fails closed.
 */
export function renderHaproxyLua(): string {
  return [
    '-- site-maintenance: true while the lock file exists (loaded with lua-load)',
    'local ENOENT = 2',
    '',
    `core.register_fetches("${FETCH}", function(txn, path)`,
    '  local file, _, code = io.open(path, "r")',
    '  if file then',
    '    file:close()',
    '    return true',
    '  end',
    '  -- Fail closed: only a missing lock file means the site is up',
    '  return code ~= ENOENT',
    'end)',
    '',
  ].join('\n')
}

/**
 * Every file under the assets directory: HAProxy serves no directories, so
 * each asset gets its own exact-path rule, read once at startup
 */
function listAssets(directory: string, urlPrefix: string): Array<{ url: string; file: string }> {
  const assets: Array<{ url: string; file: string }> = []
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const file = join(directory, entry.name)
    if (!/^[A-Za-z0-9._~-]+$/.test(entry.name) || entry.name.startsWith('.')) {
      continue
    }
    if (entry.isDirectory()) {
      assets.push(...listAssets(file, `${urlPrefix}${entry.name}/`))
    } else if (entry.isFile()) {
      if (statSync(file).size > MAX_FILE_SIZE) {
        throw new errors.E_INVALID_OPTION([
          `Invalid "pageDir" option: HAProxy serves files from memory and "${file}" is larger than ${MAX_FILE_SIZE} bytes. Inline or shrink it, or raise tune.bufsize and serve it elsewhere`,
        ])
      }
      assets.push({ url: `${urlPrefix}${entry.name}`, file })
    }
  }
  return assets.sort((a, b) => a.url.localeCompare(b.url))
}

/**
 * The HAProxy (2.6+) lines for a `frontend`, plus the `lua-load` line for
 * `global`. Paths are matched raw and exactly, which fails closed on any
 * encoded or dotted variant. The lock ACL comes last, so the file is only
 * opened for requests no exemption applies to.
 */
export function renderHaproxy(options: ResolvedWebServerOptions): string {
  const prefix = options.assetsPrefix
  const assets = listAssets(`${options.pageDir}${prefix}`, prefix)
  const lines: string[] = [
    '# site-maintenance: answer 503 with the maintenance page while the lock file exists.',
    '# In the global section:',
    `#   lua-load ${options.luaFile}`,
    '# Then paste the lines below into your frontend, before use_backend/default_backend.',
    `# The backend is the app: server app1 ${options.upstream}`,
    '# The page and assets are read at startup: reload HAProxy after changing them.',
  ]
  if (options.listen) {
    lines.push(`bind ${options.listen.includes(':') ? options.listen : `:${options.listen}`}`)
  }

  if (options.trustedProxies.length) {
    lines.push(
      '',
      '# Client IP: the rightmost X-Forwarded-For entry, only from the load balancer',
      `acl site_maintenance_from_lb src ${options.trustedProxies.join(' ')}`,
      'http-request set-src hdr_ip(X-Forwarded-For,-1) if site_maintenance_from_lb { req.hdr_cnt(X-Forwarded-For) gt 0 }'
    )
  }

  lines.push('', '# Assets of the page, served from memory (never proxied)')
  for (const asset of assets) {
    const type = CONTENT_TYPES[extname(asset.file).toLowerCase()] ?? 'application/octet-stream'
    lines.push(
      `http-request return status 200 content-type "${type}" file ${asset.file} if { path ${asset.url} }`
    )
  }

  const conditions: string[] = []
  lines.push('')
  if (options.allowedPaths.length) {
    lines.push(`acl site_maintenance_exempt path ${options.allowedPaths.join(' ')}`)
    conditions.push('!site_maintenance_exempt')
  }
  if (options.bypassCookie) {
    const { name, value } = options.bypassCookie
    lines.push(`acl site_maintenance_bypass req.cook(${name}) -m str ${value}`)
    conditions.push('!site_maintenance_bypass')
  }
  if (options.allow.length) {
    lines.push(`acl site_maintenance_ip src ${options.allow.join(' ')}`)
    conditions.push('!site_maintenance_ip')
  }
  conditions.push('site_maintenance_on')
  lines.push(
    `acl site_maintenance_on lua.${FETCH}(${options.lockFile}) -m bool`,
    `http-request return status 503 content-type "text/html; charset=utf-8" file ${options.pageFile} hdr Retry-After ${options.retryAfter} hdr Cache-Control no-store if ${conditions.join(' ')}`
  )
  return lines.join('\n') + '\n'
}
