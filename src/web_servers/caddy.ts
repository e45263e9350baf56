/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { basename, dirname } from 'node:path'
import * as errors from '../errors.ts'
import { parseRange } from './options.ts'
import type { ResolvedWebServerOptions } from './options.ts'

/**
 * Request headers that would turn the 503 page into a partial or empty
 * answer (file_server honours them even with `status 503`)
 */
const CONDITIONAL_HEADERS = [
  'Range',
  'If-Range',
  'If-None-Match',
  'If-Modified-Since',
  'If-Match',
  'If-Unmodified-Since',
]

function escapeRegex(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * A regular expression for the text of the addresses in a range. Caddy 2.6
 * has no trusted-proxy support, so ranges are matched as text in CEL:
 * only octet-aligned IPv4 ranges and IPv6 ranges on a non-zero 16-bit
 * boundary (or single addresses in canonical form) can be written so.
 */
export function rangeToRegex(option: string, entry: string): string {
  const [address, length] = parseRange(option, entry)
  if (address.kind() === 'ipv4') {
    if (length % 8 !== 0) {
      throw new errors.E_INVALID_OPTION([
        `Invalid "${option}" option for caddy: "${entry}" is not octet-aligned (/8, /16, /24 or /32). Caddy 2.6 matches forwarded addresses as text`,
      ])
    }
    const octets = address
      .toString()
      .split('.')
      .slice(0, length / 8)
    const rest = Array.from({ length: 4 - octets.length }, () => '\\d{1,3}')
    return [...octets.map(escapeRegex), ...rest].join('\\.')
  }
  if (length === 128) {
    return `(?i:${escapeRegex(address.toString())})`
  }
  const hextets = address
    .toNormalizedString()
    .split(':')
    .slice(0, length / 16)
  if (length % 16 !== 0 || length === 0 || hextets.some((hextet) => /^0+$/.test(hextet))) {
    throw new errors.E_INVALID_OPTION([
      `Invalid "${option}" option for caddy: "${entry}" must be a single address or end on a 16-bit boundary with no zero group in the prefix (2001:db8::/32). Caddy 2.6 matches forwarded addresses as text`,
    ])
  }
  return `(?i:${hextets.map((hextet) => `0*${hextet.replace(/^0+/, '')}:`).join('')}[0-9a-f:]*)`
}

/**
 * A CEL string literal holding a regular expression
 */
function celString(regex: string) {
  return `"${regex.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

/**
 * The Caddy (2.6+) snippet, to `import` inside a site block.
 *
 * The `file` matcher (with its own root, or it never matches) stats the
 * lock per request; `file_server { status 503 }` serves the page. Allowed
 * paths use the case-sensitive `path_regexp` and are rewritten to
 * themselves, so the app receives the normalised path, not the raw URI.
 */
export function renderCaddy(options: ResolvedWebServerOptions): string {
  const prefix = options.assetsPrefix
  const proxied = [...options.allowedPaths, ...(options.bypass ? [options.bypass.path] : [])]
  const exempt = proxied.map(escapeRegex).join('|')
  const lines: string[] = [
    '# site-maintenance: answer 503 with the maintenance page while the lock file exists.',
    '# Import inside a site block; it provides the reverse_proxy to the app.',
  ]
  if (options.listen) {
    lines.push(
      `# Site address: http://${options.listen.includes(':') ? options.listen : `:${options.listen}`}`
    )
  }

  lines.push(
    '@site_maintenance {',
    '\tfile {',
    `\t\troot ${dirname(options.lockFile)}`,
    `\t\ttry_files ${basename(options.lockFile)}`,
    '\t}',
    `\tnot path ${prefix}*`
  )
  if (proxied.length) {
    lines.push(`\tnot path_regexp ^(${exempt})$`)
  }
  if (options.bypass) {
    const { cookie, value } = options.bypass
    lines.push(`\tnot expression {http.request.cookie.${cookie}} == "${value}"`)
  }
  if (options.allow.length && !options.trustedProxies.length) {
    lines.push(`\tnot remote_ip ${options.allow.join(' ')}`)
  }
  if (options.allow.length && options.trustedProxies.length) {
    const peer = `^(${options.trustedProxies.map((range) => rangeToRegex('trustedProxies', range)).join('|')})$`
    const allowed = options.allow.map((range) => rangeToRegex('allow', range)).join('|')
    const peerIsProxy = `{http.request.remote.host}.matches(${celString(peer)})`
    lines.push(
      '\t# Direct clients: the TCP peer; through the load balancer: the rightmost X-Forwarded-For entry',
      `\tnot expression \`!${peerIsProxy} && {http.request.remote.host}.matches(${celString(`^(${allowed})$`)})\``,
      `\tnot expression \`${peerIsProxy} && {http.request.header.X-Forwarded-For}.matches(${celString(`(^|,)\\s*(${allowed})\\s*$`)})\``
    )
  }
  lines.push(
    '}',
    'handle @site_maintenance {',
    ...CONDITIONAL_HEADERS.map((header) => `\trequest_header -${header}`),
    `\troot * ${options.pageDir}`,
    `\theader Retry-After ${options.retryAfter}`,
    '\theader Cache-Control no-store',
    '\theader -Etag',
    '\theader -Last-Modified',
    '\theader -Accept-Ranges',
    `\trewrite * ${prefix}index.html`,
    '\tfile_server {',
    '\t\tstatus 503',
    '\t}',
    '}',
    `handle ${prefix}* {`,
    `\troot * ${options.pageDir}`,
    '\tfile_server',
    '}',
    ...proxied.map(
      (path, index) => `@site_maintenance_path_${index} path_regexp ^${escapeRegex(path)}$`
    ),
    'handle {',
    ...proxied.map((path, index) => `\trewrite @site_maintenance_path_${index} ${path}?{query}`)
  )
  if (options.bypass) {
    lines.push(
      '\t# The secret URL reaches the app (which sets its own cookie) and gets the web-server cookie',
      `\theader @site_maintenance_path_${proxied.length - 1} +Set-Cookie "${options.bypass.setCookie}"`
    )
  }
  if (options.trustedProxies.length) {
    lines.push(
      `\treverse_proxy ${options.upstream} {`,
      `\t\ttrusted_proxies ${options.trustedProxies.join(' ')}`,
      '\t}'
    )
  } else {
    lines.push(`\treverse_proxy ${options.upstream}`)
  }
  lines.push('}')
  return lines.join('\n') + '\n'
}
