/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import * as errors from '../errors.ts'
import { renderApache } from './apache.ts'
import { renderCaddy } from './caddy.ts'
import { renderHaproxy } from './haproxy.ts'
import { renderNginx } from './nginx.ts'
import { resolveOptions } from './options.ts'
import type { ResolvedWebServerOptions, WebServerOptions } from './options.ts'

export { renderHaproxyLua } from './haproxy.ts'
export { APACHE_MODULES } from './apache.ts'
export {
  HAPROXY_LUA_FILE,
  WEB_SERVER_COOKIE,
  WEB_SERVER_COOKIE_AGE,
  webServerBypassValue,
} from './options.ts'
export type { WebServerOptions, ResolvedWebServerOptions } from './options.ts'

/**
 * The web servers a snippet can be rendered for
 */
export const WEB_SERVERS = ['nginx', 'apache', 'haproxy', 'caddy'] as const
export type WebServer = (typeof WEB_SERVERS)[number]

const renderers: Record<WebServer, (options: ResolvedWebServerOptions) => string> = {
  nginx: renderNginx,
  apache: renderApache,
  haproxy: renderHaproxy,
  caddy: renderCaddy,
}

/**
 * The config a web server needs to answer 503 with the maintenance page by
 * itself while the lock file exists, and proxy to the app otherwise. It is
 * meant to be included in a server block / VirtualHost / frontend / site.
 *
 * @example
 * renderSnippet('nginx', {
 *   lockFile: '/srv/app/tmp/maintenance/down',
 *   pageDir: '/srv/app/public',
 *   upstream: '127.0.0.1:3333',
 * })
 */
export function renderSnippet(server: WebServer, options: WebServerOptions): string {
  if (!WEB_SERVERS.includes(server)) {
    throw new errors.E_INVALID_OPTION([
      `Unknown web server "${server}". Use one of: ${WEB_SERVERS.join(', ')}`,
    ])
  }
  return renderers[server](resolveOptions(options))
}
