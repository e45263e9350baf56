/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { isAbsolute, join, sep } from 'node:path'
import { BaseCommand, args, flags } from '@adonisjs/core/ace'
import { configProvider } from '@adonisjs/core'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import {
  HAPROXY_LUA_FILE,
  WEB_SERVERS,
  WEB_SERVER_COOKIE,
  renderHaproxyLua,
  renderSnippet,
  type WebServer,
} from '../src/web_servers/main.ts'
import { MAX_AHEAD, defaults } from '../src/defaults.ts'
import { secretFromFlag } from '../src/secret_flag.ts'
import { isPrefixEntry } from '../src/request_path/allowed_paths.ts'
import type { ResolvedMaintenanceConfig } from '../src/types.ts'

/**
 * What the snippet takes from the app's config
 */
type SnippetConfig = Pick<
  ResolvedMaintenanceConfig,
  'lockFile' | 'staticPage' | 'retryAfter' | 'allowedPaths'
>

/**
 * The static page's place under the page directory the snippets serve
 */
const PAGE_IN_DIR = join('maintenance', 'index.html')

/**
 * Print the web-server snippet that answers 503 with the static page while
 * the lock file exists, so an OFFLINE site needs no Node process at all.
 * The lock file, the page and Retry-After default to config/maintenance.ts
 * (the app is booted for its config, not started).
 */
export default class OfflineSnippet extends BaseCommand {
  static commandName = 'offline:snippet'
  static description = `Print the ${WEB_SERVERS.join(', ')} config that serves the maintenance page while the lock file exists`
  static options: CommandOptions = {}

  @args.string({ description: `Web server: ${WEB_SERVERS.join(', ')}` })
  declare server: string

  @flags.string({ description: 'Lock file path (default: lockFile of config/maintenance.ts)' })
  declare lockFile?: string

  @flags.string({
    description:
      'Directory holding maintenance/index.html (default: from staticPage of the config)',
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

  @flags.array({
    description:
      'Exact path still proxied while offline (repeatable; default: the exact allowedPaths of the config, else /health)',
  })
  declare allowedPath?: string[]

  @flags.string({
    description:
      'Bypass secret shared with offline:on --secret (32+ random letters, digits, - and _); "-" reads it from stdin; empty takes $MAINTENANCE_SECRET or generates one',
    allowEmptyValue: true,
  })
  declare secret?: string

  @flags.string({
    description: `Name of the web server's plain bypass cookie, set by /<secret> (default: ${WEB_SERVER_COOKIE})`,
  })
  declare bypassCookie?: string

  @flags.string({ description: 'Retry-After, in seconds (default: retryAfter of the config)' })
  declare retry?: string

  @flags.string({
    description: `HAProxy: where the Lua file is installed (default: ${HAPROXY_LUA_FILE})`,
  })
  declare luaFile?: string

  @flags.boolean({ description: 'HAProxy: print the Lua file (for lua-load) instead' })
  declare lua?: boolean

  /**
   * Paths given relative to the app root, as the config does
   */
  #appPath(path: string) {
    return isAbsolute(path) ? path : this.app.makePath(path)
  }

  /**
   * The app's config, booting the app for it (not started: nothing is read
   * from the store). An app that cannot boot here (a Docker build without
   * its environment, say) gets the package defaults, and stderr says so.
   */
  async #config(): Promise<SnippetConfig> {
    try {
      await this.app.boot()
      const config = await configProvider.resolve<ResolvedMaintenanceConfig>(
        this.app,
        this.app.config.get('maintenance', {})
      )
      if (config) return config
      throw new Error('it does not export defineConfig()')
    } catch (error) {
      const reason = String((error as Error).message).split('\n')[0]
      process.stderr.write(
        `config/maintenance.ts could not be read (${reason}): the snippet uses the package defaults (${defaults.lockFile}, ${defaults.staticPage}); pass --lock-file and --page-dir if the app uses others\n`
      )
      return {
        lockFile: this.app.makePath(defaults.lockFile),
        staticPage: this.app.makePath(defaults.staticPage),
        retryAfter: defaults.retryAfter,
        allowedPaths: [],
      }
    }
  }

  /**
   * The lock file, page directory and Retry-After the app itself uses,
   * from config/maintenance.ts; the flags override each. A snippet that
   * watched another file than the one the app writes would never switch,
   * so a config without a lock file or a static page fails unless the
   * flag says where.
   */
  async #paths() {
    const config = await this.#config()
    let lockFile: string
    if (this.lockFile !== undefined) {
      lockFile = this.#appPath(this.lockFile)
    } else if (config.lockFile === false) {
      throw new Error(
        'config/maintenance.ts sets lockFile: false, so the app writes no lock file and the web server would never switch: set lockFile there, or pass --lock-file'
      )
    } else {
      lockFile = config.lockFile
    }
    let pageDir: string
    if (this.pageDir !== undefined) {
      pageDir = this.#appPath(this.pageDir)
    } else if (config.staticPage === false) {
      throw new Error(
        'config/maintenance.ts sets staticPage: false, so the app writes no page for the web server: set staticPage there, or pass --page-dir'
      )
    } else if (!config.staticPage.endsWith(sep + PAGE_IN_DIR)) {
      throw new Error(
        `The web servers serve the page as /maintenance/index.html of a directory, and staticPage is ${config.staticPage}: end it with ${PAGE_IN_DIR}, or pass --page-dir`
      )
    } else {
      pageDir = config.staticPage.slice(0, -(sep + PAGE_IN_DIR).length)
    }
    return {
      lockFile,
      pageDir,
      retryAfter: config.retryAfter,
      allowedPaths: this.#allowedPaths(config),
    }
  }

  /**
   * What the app exempts, the web server forwards: the config's exact
   * allowedPaths. The snippets match exact paths only, so a prefix entry
   * ("/webhooks/*") is named on stderr: the web server answers 503 there.
   */
  #allowedPaths(config: SnippetConfig): string[] | undefined {
    if (this.allowedPath !== undefined) return this.allowedPath
    const exact = config.allowedPaths.filter((path) => !isPrefixEntry(path))
    const prefixes = config.allowedPaths.filter(isPrefixEntry)
    if (prefixes.length) {
      process.stderr.write(
        `The web servers forward exact paths only: ${prefixes.join(', ')} of allowedPaths get the 503 page while the lock file exists. Pass each path below them with --allowed-path to forward it.\n`
      )
    }
    return exact.length ? exact : undefined
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
      if (this.retry !== undefined && Number(this.retry) * 1000 > MAX_AHEAD.ms) {
        throw new Error(`Invalid --retry value "${this.retry}": at most ${MAX_AHEAD.label}`)
      }
      if (this.bypassCookie !== undefined && this.bypassCookie.includes('=')) {
        throw new Error(
          `--bypass-cookie takes only the cookie name now: its value is derived from --secret`
        )
      }
      if (this.bypassCookie !== undefined && this.secret === undefined) {
        throw new Error('--bypass-cookie needs --secret (give it empty to generate one)')
      }
      const paths = await this.#paths()
      const { secret, generated } = await secretFromFlag(this.secret)
      if (generated) {
        process.stderr.write(
          `Bypass secret (shown once): ${secret}\nVisit /<secret> to pass; use the same secret for the app: node ace offline:on --secret=${secret}\n`
        )
      }
      const snippet = renderSnippet(this.server as WebServer, {
        lockFile: paths.lockFile,
        pageDir: paths.pageDir,
        upstream: this.upstream ?? `127.0.0.1:${process.env.PORT || 3333}`,
        listen: this.listen,
        allow: this.allow,
        trustedProxies: this.trustedProxy,
        allowedPaths: paths.allowedPaths,
        bypass: secret === undefined ? null : { secret, cookie: this.bypassCookie },
        retryAfter: this.retry === undefined ? paths.retryAfter : Number(this.retry),
        luaFile: this.#appPath(this.luaFile ?? HAPROXY_LUA_FILE),
      })
      process.stdout.write(snippet)
    } catch (error) {
      this.logger.error((error as Error).message)
      this.exitCode = 1
    }
  }
}
