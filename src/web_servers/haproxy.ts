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
 * The name of the Lua service that answers with the page
 */
const SERVICE = 'site_maintenance_page'

/**
 * The Lua HAProxy needs: a fetch, since it has no "file exists" test, and
 * a service that answers with the page.
 *
 * The fetch opens the lock on each evaluated request (the ACL runs last),
 * so the haproxy user needs read permission, and inside a chroot the path
 * is relative to it. Only "no such file" (ENOENT) means unlocked: a lock
 * that exists but cannot be opened counts as locked, so the site fails
 * closed. It keeps the lock's contents (`{since, retryAfter}`) for the
 * service.
 *
 * The service reads the page itself rather than `return ... file`, which
 * HAProxy loads once at startup: the page of the previous window would
 * stay until a reload. It re-reads it whenever the lock file's contents
 * change (each OFFLINE window writes a new one, after the page) and at most
 * once a second otherwise; Lua has no stat() to compare mtimes. Its
 * `Retry-After` is the lock's `retryAfter` (seconds or an HTTP date), else
 * the snippet's value.
 */
export function renderHaproxyLua(): string {
  return `-- site-maintenance: the lock test and the maintenance page (load with lua-load)
local ENOENT = 2
local FALLBACK = "<!doctype html><title>Service unavailable</title><h1>Service unavailable</h1>\\n"

-- True while the lock file exists. Only a missing file (ENOENT) means the site is up:
-- a lock that exists but cannot be read still counts (fail closed).
core.register_fetches("${FETCH}", function(txn, path)
  local file, _, code = io.open(path, "r")
  if not file then
    if code == ENOENT then
      return false
    end
    txn:set_var("txn.site_maintenance_lock", "")
    return true
  end
  local contents = file:read(512)
  file:close()
  txn:set_var("txn.site_maintenance_lock", contents or "")
  return true
end)

-- The page, re-read when the lock file changes and at most once a second otherwise
local pages = {}
local function read_page(path, lock)
  local now = core.now().sec
  local cached = pages[path]
  if cached and cached.lock == lock and cached.at == now then
    return cached.body
  end
  local file = io.open(path, "rb")
  local body = file and file:read("a")
  if file then
    file:close()
  end
  if not body then
    return cached and cached.body or FALLBACK
  end
  pages[path] = { body = body, lock = lock, at = now }
  return body
end

-- The lock's retryAfter: seconds, or an HTTP date; else the snippet's value
local function retry_after(lock, default)
  return lock:match('"retryAfter"%s*:%s*(%d+)')
    or lock:match('"retryAfter"%s*:%s*"(%d+)"')
    or lock:match('"retryAfter"%s*:%s*"(%a%a%a, %d%d %a%a%a %d%d%d%d %d%d:%d%d:%d%d GMT)"')
    or default
end

core.register_service("${SERVICE}", "http", function(applet)
  local lock = applet:get_var("txn.site_maintenance_lock")
  local body = read_page(applet:get_var("txn.site_maintenance_page"), lock or "")
  if lock then
    applet:set_status(503)
    applet:add_header("retry-after", retry_after(lock, applet:get_var("txn.site_maintenance_retry")))
    applet:add_header("cache-control", "no-store")
  else
    applet:set_status(200)
  end
  applet:add_header("content-type", "text/html; charset=utf-8")
  applet:add_header("content-length", tostring(#body))
  applet:start_response()
  if applet.method ~= "HEAD" then
    applet:send(body)
  end
end)
`
}

/**
 * Every file under the assets directory: HAProxy serves no directories, so
 * each asset gets its own exact-path rule, read once at startup
 */
function listAssets(
  directory: string,
  urlPrefix: string,
  pageFile: string
): Array<{ url: string; file: string }> {
  const assets: Array<{ url: string; file: string }> = []
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const file = join(directory, entry.name)
    if (!/^[A-Za-z0-9._~-]+$/.test(entry.name) || entry.name.startsWith('.')) {
      continue
    }
    if (entry.isDirectory()) {
      assets.push(...listAssets(file, `${urlPrefix}${entry.name}/`, pageFile))
    } else if (entry.isFile()) {
      if (file !== pageFile && statSync(file).size > MAX_FILE_SIZE) {
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
  const assets = listAssets(`${options.pageDir}${prefix}`, prefix, options.pageFile)
  const lines: string[] = [
    '# site-maintenance: answer 503 with the maintenance page while the lock file exists.',
    '# In the global section:',
    `#   lua-load ${options.luaFile}`,
    '# Then paste the lines below into your frontend, before use_backend/default_backend.',
    `# The backend is the app: server app1 ${options.upstream}`,
    '# The page is read by the Lua service, so a new page shows without a reload;',
    '# the other assets are read at startup: reload HAProxy after changing them.',
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

  lines.push(
    '',
    '# The page, read by the Lua service; Retry-After comes from the lock file when it has one',
    `http-request set-var(txn.site_maintenance_page) str(${options.pageFile})`,
    `http-request set-var(txn.site_maintenance_retry) str(${options.retryAfter})`,
    '',
    '# Assets of the page (never proxied)',
    `http-request use-service lua.${SERVICE} if { path ${prefix}index.html }`
  )
  for (const asset of assets) {
    if (asset.file === options.pageFile) continue
    const type = CONTENT_TYPES[extname(asset.file).toLowerCase()] ?? 'application/octet-stream'
    lines.push(
      `http-request return status 200 content-type "${type}" file ${asset.file} if { path ${asset.url} }`
    )
  }

  const conditions: string[] = []
  lines.push('')
  const exempt = [...options.allowedPaths, ...(options.bypass ? [options.bypass.path] : [])]
  if (exempt.length) {
    lines.push(`acl site_maintenance_exempt path ${exempt.join(' ')}`)
    conditions.push('!site_maintenance_exempt')
  }
  if (options.bypass) {
    const { path, cookie, value, setCookie } = options.bypass
    lines.push(
      `acl site_maintenance_bypass req.cook(${cookie}) -m str ${value}`,
      '# The secret URL reaches the app (which sets its own cookie) and gets the web-server cookie',
      `http-request set-var(txn.site_maintenance_grant) bool(true) if { path ${path} }`,
      `http-after-response add-header Set-Cookie "${setCookie}" if { var(txn.site_maintenance_grant) -m bool }`
    )
    conditions.push('!site_maintenance_bypass')
  }
  if (options.allow.length) {
    lines.push(`acl site_maintenance_ip src ${options.allow.join(' ')}`)
    conditions.push('!site_maintenance_ip')
  }
  conditions.push('site_maintenance_on')
  lines.push(
    `acl site_maintenance_on lua.${FETCH}(${options.lockFile}) -m bool`,
    `http-request use-service lua.${SERVICE} if ${conditions.join(' ')}`
  )
  return lines.join('\n') + '\n'
}
