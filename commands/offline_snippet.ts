/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { isAbsolute } from 'node:path'
import { BaseCommand, args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import {
  WEB_SERVERS,
  renderHaproxyLua,
  renderSnippet,
  type WebServer,
} from '../src/web_servers/main.ts'
import { defaults } from '../src/defaults.ts'

/**
 * Print the web-server snippet that answers 503 with the static page while
 * the lock file exists, so an OFFLINE site needs no Node process at all.
 * It only renders text: the app is not started.
 */
export default class OfflineSnippet extends BaseCommand {
  static commandName = 'offline:snippet'
  static description = `Print the ${WEB_SERVERS.join(', ')} config that serves the maintenance page while the lock file exists`
  static options: CommandOptions = {}

  @args.string({ description: `Web server: ${WEB_SERVERS.join(', ')}` })
  declare server: string

  @flags.string({ description: `Lock file path (default: ${defaults.lockFile} in the app)` })
  declare lockFile?: string

  @flags.string({
    description: `Directory holding maintenance/index.html (default: ${defaults.pageDir})`,
  })
  declare pageDir?: string

  @flags.string({ description: 'The app, as host:port (default: 127.0.0.1:$PORT or 3333)' })
  declare upstream?: string

  @flags.string({ description: 'nginx listen / HAProxy bind address: a port or host:port' })
  declare listen?: string

  @flags.array({ description: 'IP address or CIDR range allowed through (repeatable)' })
  declare allow?: string[]

  @flags.array({ description: 'CIDR range of the load balancer in front (repeatable)' })
  declare trustedProxy?: string[]

  @flags.array({ description: 'Exact path still proxied while offline (default: /health)' })
  declare allowedPath?: string[]

  @flags.string({
    description: 'Plain bypass cookie as name=value (the server compares the value as is)',
  })
  declare bypassCookie?: string

  @flags.string({ description: `Retry-After, in seconds (default: ${defaults.retryAfter})` })
  declare retry?: string

  @flags.string({ description: 'HAProxy: where the Lua file is installed' })
  declare luaFile?: string

  @flags.boolean({ description: 'HAProxy: print the Lua file (for lua-load) instead' })
  declare lua?: boolean

  /**
   * Paths given relative to the app root, as the config does
   */
  #appPath(path: string) {
    return isAbsolute(path) ? path : this.app.makePath(path)
  }

  async run() {
    if (!WEB_SERVERS.includes(this.server as WebServer)) {
      this.logger.error(
        `Unknown web server "${this.server}". Use one of: ${WEB_SERVERS.join(', ')}`
      )
      this.exitCode = 1
      return
    }

    if (this.lua) {
      if (this.server !== 'haproxy') {
        this.logger.error('--lua only applies to haproxy')
        this.exitCode = 1
        return
      }
      process.stdout.write(renderHaproxyLua())
      return
    }

    try {
      if (this.retry !== undefined && !/^\d+$/.test(this.retry)) {
        throw new Error(`Invalid --retry value "${this.retry}". Use a number of seconds`)
      }
      let bypassCookie: { name: string; value: string } | null = null
      if (this.bypassCookie !== undefined) {
        const separator = this.bypassCookie.indexOf('=')
        if (separator < 1) {
          throw new Error(`Invalid --bypass-cookie value "${this.bypassCookie}". Use name=value`)
        }
        bypassCookie = {
          name: this.bypassCookie.slice(0, separator),
          value: this.bypassCookie.slice(separator + 1),
        }
      }
      const snippet = renderSnippet(this.server as WebServer, {
        lockFile: this.#appPath(this.lockFile ?? defaults.lockFile),
        pageDir: this.#appPath(this.pageDir ?? defaults.pageDir),
        upstream: this.upstream ?? `127.0.0.1:${process.env.PORT || 3333}`,
        listen: this.listen,
        allow: this.allow,
        trustedProxies: this.trustedProxy,
        allowedPaths: this.allowedPath,
        bypassCookie,
        retryAfter: this.retry === undefined ? undefined : Number(this.retry),
        luaFile: this.luaFile,
      })
      process.stdout.write(snippet)
    } catch (error) {
      this.logger.error((error as Error).message)
      this.exitCode = 1
    }
  }
}
