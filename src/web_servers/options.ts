/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import ipaddr from 'ipaddr.js'
import { defaults } from '../defaults.ts'
import * as errors from '../errors.ts'

/**
 * What a web-server snippet needs to know. Only `lockFile`, `pageDir` and
 * `upstream` are required.
 */
export type WebServerOptions = {
  /**
   * Absolute path of the lock file. The servers only test that it exists.
   */
  lockFile: string

  /**
   * Absolute directory holding `<assetsPrefix>index.html` and its assets
   */
  pageDir: string

  /**
   * The Node app, as `host:port` (`127.0.0.1:3333`, `[::1]:3333`)
   */
  upstream: string

  /**
   * A port or `host:port`. Rendered as nginx `listen` and HAProxy `bind`;
   * Apache and Caddy take the address from the VirtualHost / site address.
   */
  listen?: string | number | null

  /**
   * Seconds sent in `Retry-After`. Defaults to 60.
   */
  retryAfter?: number

  /**
   * Exact paths that still reach the app while locked. Defaults to `['/health']`.
   */
  allowedPaths?: string[]

  /**
   * URL prefix of the page's assets, served from `pageDir`. Defaults to `/maintenance/`.
   */
  assetsPrefix?: string

  /**
   * Client IP addresses and CIDR ranges (IPv4 and IPv6) let through
   */
  allow?: string[]

  /**
   * CIDR ranges of the load balancer in front. Its rightmost
   * `X-Forwarded-For` entry is the client. Empty means direct clients.
   */
  trustedProxies?: string[]

  /**
   * The bypass secret, the same one given to `offline:on --secret`: 32 to
   * 128 random letters, digits, `_` or `-`. Visiting `/<secret>` reaches
   * the app, which sets its own signed cookie, and the web server adds its
   * plain cookie (`cookie`, `site_maintenance_ws` by default), whose value
   * is derived from the secret (`webServerBypassValue()`). Web servers
   * cannot verify a signed cookie, so they compare that value as is.
   */
  bypass?: { secret: string; cookie?: string } | null

  /**
   * HAProxy only: where the Lua file of `renderHaproxyLua()` is installed
   */
  luaFile?: string
}

/**
 * The options once checked, with defaults applied and addresses normalised
 */
export type ResolvedWebServerOptions = {
  lockFile: string
  pageDir: string
  pageFile: string
  upstream: string
  listen: string | null
  retryAfter: number
  allowedPaths: string[]
  assetsPrefix: string
  allow: string[]
  trustedProxies: string[]
  bypass: {
    /**
     * `/<secret>`
     */
    path: string
    cookie: string
    value: string
    /**
     * The whole `Set-Cookie` value sent on the secret URL
     */
    setCookie: string
  } | null
  luaFile: string
}

/**
 * The web servers' bypass cookie, distinct from the app's signed one
 */
export const WEB_SERVER_COOKIE = 'site_maintenance_ws'

/**
 * How long the web servers' bypass cookie lives, as the app's does (12 h)
 */
export const WEB_SERVER_COOKIE_AGE = 12 * 60 * 60

/**
 * Where `configure` writes the HAProxy Lua file and where the snippet
 * command loads it from, relative to the app root
 */
export const HAPROXY_LUA_FILE = 'deploy/maintenance/site_maintenance.lua'

/**
 * The value of the web servers' bypass cookie for a secret: derived, so
 * the cookie (which the app also receives, and may log) does not reveal
 * the secret URL
 */
export function webServerBypassValue(secret: string): string {
  return createHash('sha256').update(`site-maintenance:web-server:${secret}`).digest('base64url')
}

/**
 * Characters allowed in file paths. They need no quoting or escaping in any
 * of the four config languages (nor in a HAProxy fetch argument).
 */
const SAFE_PATH = /^\/[A-Za-z0-9._@+~/-]*$/
const SAFE_SEGMENT = /^[A-Za-z0-9._~-]+$/
const PORT = /^[1-9]\d{0,4}$/
const HOSTNAME =
  /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/

function invalid(option: string, message: string): never {
  throw new errors.E_INVALID_OPTION([`Invalid "${option}" option: ${message}`])
}

/**
 * An absolute path with safe characters and no dot segments
 */
function checkPath(option: string, value: unknown): string {
  if (typeof value !== 'string' || !isAbsolute(value)) {
    invalid(option, `expected an absolute path, received ${JSON.stringify(value)}`)
  }
  if (!SAFE_PATH.test(value)) {
    invalid(option, `"${value}" may only contain letters, digits and . _ @ + ~ / -`)
  }
  if (value.split('/').some((segment) => segment === '.' || segment === '..')) {
    invalid(option, `"${value}" must not contain "." or ".." segments`)
  }
  return value.length > 1 ? value.replace(/\/+$/, '') : value
}

/**
 * A URL path made of plain segments: `/health`, `/api/ping`
 */
function checkUrlPath(option: string, value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value === '/') {
    invalid(option, `expected a path such as "/health", received ${JSON.stringify(value)}`)
  }
  const segments = value.slice(1).split('/')
  if (segments.some((segment) => !SAFE_SEGMENT.test(segment) || /^\.+$/.test(segment))) {
    invalid(
      option,
      `"${value}" must be an exact path of letters, digits and . _ ~ - segments (no "//", "..", trailing "/", query or encoding)`
    )
  }
  return value
}

/**
 * `host:port` or a bare port (listen only). Hosts are an IPv4 address, an
 * IPv6 address in brackets or a host name.
 */
function checkAddress(option: string, value: unknown, allowBarePort: boolean): string {
  const text = typeof value === 'number' ? String(value) : value
  if (typeof text !== 'string') {
    invalid(option, `expected "host:port", received ${JSON.stringify(value)}`)
  }
  if (allowBarePort && PORT.test(text)) {
    if (Number(text) > 65535) invalid(option, `port ${text} is out of range`)
    return text
  }
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d+)$/.exec(text)
  if (!match) {
    invalid(option, `expected ${allowBarePort ? 'a port or ' : ''}"host:port", received "${text}"`)
  }
  const [, host, port] = match
  if (!PORT.test(port) || Number(port) > 65535) invalid(option, `port ${port} is out of range`)
  if (host.startsWith('[')) {
    const inner = host.slice(1, -1)
    if (!ipaddr.IPv6.isValid(inner) || inner.includes('%')) {
      invalid(option, `"${host}" is not an IPv6 address`)
    }
    return `[${ipaddr.IPv6.parse(inner).toString()}]:${port}`
  }
  if (/^[\d.]+$/.test(host) && !ipaddr.IPv4.isValidFourPartDecimal(host)) {
    invalid(option, `"${host}" is not an IPv4 address`)
  }
  if (!HOSTNAME.test(host)) invalid(option, `"${host}" is not a host name or IP address`)
  return `${host}:${port}`
}

/**
 * An IP address or CIDR range, strictly parsed (no "127.1" or hex forms)
 * and normalised to its network address
 */
export function parseRange(option: string, value: unknown): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  if (typeof value !== 'string') {
    invalid(option, `expected an IP address or CIDR range, received ${JSON.stringify(value)}`)
  }
  const [address, bits, ...rest] = value.trim().split('/')
  const isV4 = ipaddr.IPv4.isValidFourPartDecimal(address)
  const isV6 = !isV4 && ipaddr.IPv6.isValid(address) && !address.includes('%')
  const max = isV4 ? 32 : 128
  if (
    (!isV4 && !isV6) ||
    rest.length > 0 ||
    (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > max))
  ) {
    invalid(option, `"${value}" is not an IP address or CIDR range (203.0.113.0/24, 2001:db8::/32)`)
  }
  const length = bits === undefined ? max : Number(bits)
  const network = isV4
    ? ipaddr.IPv4.networkAddressFromCIDR(`${address}/${length}`)
    : ipaddr.IPv6.networkAddressFromCIDR(`${address}/${length}`)
  return [network, length]
}

/**
 * The text form of a range: a bare address for single hosts
 */
export function formatRange([address, length]: [ipaddr.IPv4 | ipaddr.IPv6, number]): string {
  const max = address.kind() === 'ipv4' ? 32 : 128
  return length === max ? address.toString() : `${address.toString()}/${length}`
}

function checkRanges(option: string, value: unknown): string[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) invalid(option, 'expected an array of IP addresses or CIDR ranges')
  return [...new Set(value.map((entry) => formatRange(parseRange(option, entry))))]
}

/**
 * Check every option and apply the defaults. Each error names the option.
 */
export function resolveOptions(options: WebServerOptions): ResolvedWebServerOptions {
  if (!options || typeof options !== 'object') {
    throw new errors.E_INVALID_OPTION(['Web-server options must be an object'])
  }

  const lockFile = checkPath('lockFile', options.lockFile)
  if (lockFile === '/') invalid('lockFile', 'expected a file path')
  const pageDir = checkPath('pageDir', options.pageDir)

  const assetsPrefix = options.assetsPrefix ?? '/maintenance/'
  if (typeof assetsPrefix !== 'string' || !assetsPrefix.endsWith('/')) {
    invalid(
      'assetsPrefix',
      `expected a path ending with "/", received ${JSON.stringify(assetsPrefix)}`
    )
  }
  checkUrlPath('assetsPrefix', assetsPrefix.slice(0, -1))

  const pageFile = `${pageDir === '/' ? '' : pageDir}${assetsPrefix}index.html`
  if (!existsSync(pageFile)) {
    invalid('pageDir', `"${pageDir}" has no ${assetsPrefix.slice(1)}index.html (${pageFile})`)
  }

  const upstream = checkAddress('upstream', options.upstream, false)
  const listen =
    options.listen === undefined || options.listen === null || options.listen === ''
      ? null
      : checkAddress('listen', options.listen, true)

  const retryAfter = options.retryAfter ?? defaults.retryAfter
  if (!Number.isInteger(retryAfter) || retryAfter < 0) {
    invalid(
      'retryAfter',
      `expected a whole number of seconds, received ${JSON.stringify(retryAfter)}`
    )
  }

  const rawPaths = options.allowedPaths ?? ['/health']
  if (!Array.isArray(rawPaths)) invalid('allowedPaths', 'expected an array of paths')
  const allowedPaths = [...new Set(rawPaths.map((path) => checkUrlPath('allowedPaths', path)))]
  for (const path of allowedPaths) {
    if (`${path}/`.startsWith(assetsPrefix)) {
      invalid(
        'allowedPaths',
        `"${path}" is under assetsPrefix "${assetsPrefix}", which is never proxied`
      )
    }
  }

  let bypass: ResolvedWebServerOptions['bypass'] = null
  if (options.bypass) {
    const { secret, cookie = WEB_SERVER_COOKIE } = options.bypass
    if (typeof secret !== 'string' || !/^[A-Za-z0-9_-]{32,128}$/.test(secret)) {
      invalid(
        'bypass',
        'the secret must be 32 to 128 random letters, digits, _ or - (leave it empty on the command line to generate one)'
      )
    }
    if (new Set(secret).size < 12) {
      invalid('bypass', 'the secret does not look random (too few distinct characters)')
    }
    if (typeof cookie !== 'string' || !/^[A-Za-z0-9_]+$/.test(cookie)) {
      invalid(
        'bypass',
        `the cookie name ${JSON.stringify(cookie)} may only contain letters, digits and _`
      )
    }
    if (cookie === defaults.bypassCookie) {
      invalid(
        'bypass',
        `the cookie name "${cookie}" is the app's own signed bypass cookie; use another one (default: ${WEB_SERVER_COOKIE})`
      )
    }
    const path = `/${secret}`
    if (allowedPaths.includes(path)) invalid('bypass', 'the secret is also an allowed path')
    const value = webServerBypassValue(secret)
    bypass = {
      path,
      cookie,
      value,
      setCookie: `${cookie}=${value}; Path=/; Max-Age=${WEB_SERVER_COOKIE_AGE}; HttpOnly; SameSite=Lax`,
    }
  }

  return {
    lockFile,
    pageDir,
    pageFile,
    upstream,
    listen,
    retryAfter,
    allowedPaths,
    assetsPrefix,
    allow: checkRanges('allow', options.allow),
    trustedProxies: checkRanges('trustedProxies', options.trustedProxies),
    bypass,
    luaFile: checkPath('luaFile', options.luaFile ?? '/etc/haproxy/site_maintenance.lua'),
  }
}
