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
 * Modules the Apache snippet needs (`a2enmod ...`)
 */
export const APACHE_MODULES = ['rewrite', 'headers', 'proxy', 'proxy_http', 'remoteip', 'alias']

/**
 * The Apache httpd (2.4) snippet, to include in a `<VirtualHost>`.
 *
 * mod_rewrite tests the lock per request and answers `[R=503]`; the
 * `ErrorDocument` turns that into the page for every method. The
 * `REDIRECT_STATUS` condition and the exempt assets prefix keep the error
 * document itself from being refused again. The IP test is one
 * `expr "!(A || B)"` because mod_rewrite reads a leading `!` as negating
 * the whole condition.
 */
export function renderApache(options: ResolvedWebServerOptions): string {
  const prefix = options.assetsPrefix
  const headerCondition = `"expr=%{REQUEST_STATUS} == 503 && -f '${options.lockFile}'"`
  const lines: string[] = [
    '# site-maintenance: answer 503 with the maintenance page while the lock file exists.',
    `# Include inside a <VirtualHost>; needs: a2enmod ${APACHE_MODULES.join(' ')}`,
  ]
  if (options.listen) {
    lines.push(
      `# Serve it from <VirtualHost *:${options.listen.split(':').pop()}> (Listen is global)`
    )
  }

  if (options.trustedProxies.length) {
    lines.push(
      '',
      '# Client IP: the rightmost X-Forwarded-For entry, only from the load balancer',
      'RemoteIPHeader X-Forwarded-For',
      ...options.trustedProxies.map((range) => `RemoteIPInternalProxy ${range}`)
    )
  }

  lines.push(
    '',
    'RewriteEngine On',
    'RewriteCond %{ENV:REDIRECT_STATUS} ^$',
    `RewriteCond ${options.lockFile} -f`,
    `RewriteCond %{REQUEST_URI} !^${prefix.replaceAll('.', '\\.')}`,
    ...options.allowedPaths.map((path) => `RewriteCond %{REQUEST_URI} !=${path}`)
  )
  if (options.bypass) {
    const { path, cookie, value } = options.bypass
    lines.push(
      `RewriteCond %{REQUEST_URI} !=${path}`,
      `RewriteCond %{HTTP_COOKIE} !(^|[;,]\\s*)${cookie}=${value}([;,]|$)`
    )
  }
  if (options.allow.length) {
    const tests = options.allow.map((range) => `-R '${range}'`).join(' || ')
    lines.push(`RewriteCond expr "!(${tests})"`)
  }
  lines.push(
    'RewriteRule ^ - [R=503,L]',
    '',
    '# The page, with its headers only on the maintenance answer',
    `ErrorDocument 503 ${prefix}index.html`,
    `Header always set Retry-After "${options.retryAfter}" ${headerCondition}`,
    `Header always set Cache-Control "no-store" ${headerCondition}`,
    ...(options.bypass
      ? [
          '',
          '# The secret URL reaches the app (which sets its own cookie) and gets the web-server cookie',
          `Header always add Set-Cookie "${options.bypass.setCookie}" "expr=%{REQUEST_URI} == '${options.bypass.path}'"`,
        ]
      : []),
    '',
    '# Assets of the page, served from disk (never proxied)',
    `Alias ${prefix} ${options.pageDir}${prefix}`,
    `<Directory ${options.pageDir}${prefix}>`,
    '    Require all granted',
    '</Directory>',
    '',
    `ProxyPass ${prefix} !`,
    'ProxyPreserveHost On',
    'RequestHeader setifempty X-Forwarded-Proto expr=%{REQUEST_SCHEME}',
    `ProxyPass / http://${options.upstream}/`,
    `ProxyPassReverse / http://${options.upstream}/`
  )
  return lines.join('\n') + '\n'
}
