/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { ResolvedWebServerOptions } from './options.ts'

/**
 * Internal locations of the snippet. `internal` makes them 404 when asked
 * for directly.
 */
const PAGE_LOCATION = '/__site_maintenance_page'
const GATE_LOCATION = '/__site_maintenance_allowed_ip'

/**
 * Proxy headers repeated in each proxying location, since an included
 * snippet cannot rely on a file of the user's
 */
function proxyHeaders(indent: string) {
  return [
    'proxy_http_version 1.1;',
    'proxy_set_header Host $http_host;',
    'proxy_set_header X-Real-IP $remote_addr;',
    'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    'proxy_set_header X-Forwarded-Proto $scheme;',
  ].map((line) => `${indent}${line}`)
}

/**
 * The nginx (1.22+) snippet, to include in a `server {}` block.
 *
 * The lock is tested with `if (-f)` inside `location /` (a server-level
 * check breaks the error page), the page is an internal URI-form
 * `error_page` so every method gets it, and `open_file_cache` is off there
 * so removing the lock shows on the next request. `geo`/`map` would need
 * the `http {}` block, so allowed IPs go through an internal location
 * guarded by `allow`/`deny`, whose 403 becomes the 503 page.
 */
export function renderNginx(options: ResolvedWebServerOptions): string {
  const upstream = `http://${options.upstream}`
  const lines: string[] = [
    '# site-maintenance: answer 503 with the maintenance page while the lock file exists.',
    '# Include inside a server {} block; it provides "location /" (the proxy to the app).',
  ]

  if (options.listen) {
    lines.push(`listen ${options.listen};`)
  }

  if (options.trustedProxies.length) {
    lines.push('', '# Client IP: the rightmost X-Forwarded-For entry, only from the load balancer')
    for (const range of options.trustedProxies) lines.push(`set_real_ip_from ${range};`)
    lines.push('real_ip_header X-Forwarded-For;', 'real_ip_recursive on;')
  }

  lines.push(
    '',
    '# The page, for every method (the URI form of error_page switches to GET)',
    `location = ${PAGE_LOCATION} {`,
    '    internal;',
    `    alias ${options.pageFile};`,
    '    default_type text/html;',
    '    charset utf-8;',
    `    add_header Retry-After ${options.retryAfter} always;`,
    '    add_header Cache-Control "no-store" always;',
    '}',
    '',
    '# Assets of the page, served from disk (never proxied)',
    `location ^~ ${options.assetsPrefix} {`,
    `    root ${options.pageDir};`,
    '}'
  )

  for (const path of options.allowedPaths) {
    lines.push(
      '',
      `# Allowed path: forwarded as the normalised "${path}", never the raw URI`,
      `location = ${path} {`,
      `    proxy_pass ${upstream}${path};`,
      ...proxyHeaders('    '),
      '}'
    )
  }

  if (options.bypass) {
    lines.push(
      '',
      '# The secret URL: reaches the app (which sets its own cookie) and gets the web-server cookie',
      `location = ${options.bypass.path} {`,
      `    add_header Set-Cookie "${options.bypass.setCookie}" always;`,
      `    proxy_pass ${upstream}${options.bypass.path};`,
      ...proxyHeaders('    '),
      '}'
    )
  }

  const refuse = options.allow.length ? `rewrite ^ ${GATE_LOCATION} last;` : 'return 503;'
  lines.push(
    '',
    'location / {',
    '    # The lock is checked per request: no cache may keep its result',
    '    open_file_cache off;',
    `    error_page 503 ${PAGE_LOCATION};`,
    '    set $site_maintenance "";',
    `    if (-f ${options.lockFile}) {`,
    '        set $site_maintenance on;',
    '    }'
  )
  if (options.bypass) {
    lines.push(
      `    if ($cookie_${options.bypass.cookie} = "${options.bypass.value}") {`,
      '        set $site_maintenance "";',
      '    }'
    )
  }
  lines.push(
    '    if ($site_maintenance = on) {',
    `        ${refuse}`,
    '    }',
    `    proxy_pass ${upstream};`,
    ...proxyHeaders('    '),
    '}'
  )

  if (options.allow.length) {
    lines.push(
      '',
      '# Locked: allowed client IPs reach the app with the original URI, others get the page',
      `location = ${GATE_LOCATION} {`,
      '    internal;',
      ...options.allow.map((range) => `    allow ${range};`),
      '    deny all;',
      `    error_page 403 =503 ${PAGE_LOCATION};`,
      `    proxy_pass ${upstream}$request_uri;`,
      ...proxyHeaders('    '),
      '}'
    )
  }

  return lines.join('\n') + '\n'
}
