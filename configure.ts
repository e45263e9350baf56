/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import string from '@adonisjs/core/helpers/string'
import type Configure from '@adonisjs/core/commands/configure'
import { stubsRoot } from './stubs/main.ts'
import {
  HAPROXY_LUA_FILE,
  WEB_SERVERS,
  renderHaproxyLua,
  renderSnippet,
} from './src/web_servers/main.ts'
import { defaultPage } from './src/maintenance_page.ts'
import { defaults } from './src/defaults.ts'

/**
 * The stores `config/maintenance.ts` can default to
 */
const KNOWN_STORES = ['file', 'database', 'redis'] as const
type KnownStore = (typeof KNOWN_STORES)[number]

/**
 * The store taken when the prompt is answered with Enter, or cannot be
 * shown at all (no terminal)
 */
const DEFAULT_STORE: KnownStore = defaults.store

const STORE_PROMPT = 'Select the store that keeps the maintenance state'

/**
 * The suffix that recognises the migration of the database store on a
 * second run (its timestamp prefix changes every time)
 */
const MIGRATION_SUFFIX = '_create_maintenance_tables.ts'

function isKnownStore(value: unknown): value is KnownStore {
  return typeof value === 'string' && (KNOWN_STORES as readonly string[]).includes(value)
}

/**
 * The store names config/maintenance.ts declares: each `<name>: stores.<kind>(`
 * entry at the start of a line, as the stub writes them. None when the
 * file is missing or shaped otherwise.
 */
async function declaredStores(command: Configure): Promise<string[]> {
  try {
    const source = await readFile(command.app.configPath('maintenance.ts'), 'utf-8')
    return [...source.matchAll(/^\s*['"]?(\w+)['"]?\s*:\s*stores\.\w+\(/gm)].map(
      (match) => match[1]
    )
  } catch {
    return []
  }
}

/**
 * The MAINTENANCE_STORE validation: an enum of the given store names
 */
function storeList(names: string[]) {
  return `[${names.map((name) => `'${name}'`).join(', ')}] as const`
}
function storeEnum(names: string[]) {
  return `Env.schema.enum(${storeList(names)})`
}

/**
 * Keep the MAINTENANCE_STORE enum of start/env.ts in step with the stores
 * the config declares. The codemod only adds a missing validation, so a
 * re-run that switches stores would leave the old enum, and the app would
 * fail env validation at boot: rewrite the list of the existing enum.
 */
async function syncEnvEnum(command: Configure, names: string[]) {
  const envFile = command.app.startPath('env.ts')
  let source: string
  try {
    source = await readFile(envFile, 'utf-8')
  } catch {
    return
  }

  const enumList =
    /(\bMAINTENANCE_STORE\s*:\s*Env\.schema\.enum(?:\.optional)?\(\s*)\[[^\]]*\](?:\s*as\s+const)?/
  if (!enumList.test(source)) {
    if (source.includes('MAINTENANCE_STORE')) {
      command.logger.warning(
        `Make sure MAINTENANCE_STORE in start/env.ts accepts ${string.sentence(names)}`
      )
    }
    return
  }

  const updated = source.replace(enumList, (_, head: string) => `${head}${storeList(names)}`)
  if (updated !== source) await writeFile(envFile, updated)
}

/**
 * The migration file published by an earlier run, if any
 */
async function findMigration(command: Configure): Promise<string | undefined> {
  try {
    const files = await readdir(command.app.migrationsPath())
    return files.filter((file) => file.endsWith(MIGRATION_SUFFIX)).sort()[0]
  } catch {
    return undefined
  }
}

/**
 * Whether a prompt can get an answer. Without a terminal (a Dockerfile,
 * CI, `node ace add` in a script) stdin is at EOF: the prompt returns
 * nothing and Ace exits 0 having done nothing. A prompt trapped by a
 * test (`command.prompt.trap()`) stands in for the terminal.
 */
function canPrompt(command: Configure, message: string) {
  return process.stdin.isTTY === true || command.prompt.traps.prompts.has(message)
}

/**
 * The store: the --store flag, else the prompt, else (no terminal) the
 * default, saying so
 */
async function chooseStore(command: Configure): Promise<unknown> {
  const flag: unknown = command.parsedFlags.store
  if (flag !== undefined) return flag

  if (!canPrompt(command, STORE_PROMPT)) {
    command.logger.info(
      `No terminal: using the default store "${DEFAULT_STORE}" (pass --store=${KNOWN_STORES.join('|')} to choose)`
    )
    return DEFAULT_STORE
  }

  return command.prompt.choice(
    STORE_PROMPT,
    [
      { name: 'file', hint: 'a JSON file, for one app server' },
      { name: 'database', hint: 'Lucid, for several app servers' },
      { name: 'redis', hint: 'for several app servers, changes seen at once' },
    ],
    { default: DEFAULT_STORE }
  )
}

/**
 * The hook run by `node ace add site-maintenance` (and `node ace configure`).
 * Every file it writes is left alone when it already exists, unless `--force`.
 */
const SNIPPET_FILES = {
  nginx: 'nginx.conf',
  apache: 'apache.conf',
  haproxy: 'haproxy.cfg',
  caddy: 'Caddyfile',
} as const

/**
 * deploy/maintenance/<server snippet>, for the default lock file, page
 * directory and port of this app. Existing files are kept unless --force.
 */
async function writeWebServerSnippets(command: Configure, force: boolean) {
  const app = command.app

  /**
   * The static page the servers answer with is rewritten on every
   * transition to OFFLINE; a first copy lets them work from day one
   */
  const staticPage = app.makePath(defaults.staticPage)
  if (!existsSync(staticPage)) {
    await mkdir(dirname(staticPage), { recursive: true })
    await writeFile(
      staticPage,
      defaultPage({ status: 'offline', message: defaults.message, retryAt: null })
    )
    command.logger.action(`create ${defaults.staticPage}`).succeeded()
  }

  const lockFile = app.makePath(defaults.lockFile)
  const luaFile = app.makePath(HAPROXY_LUA_FILE)
  const options = {
    lockFile,
    pageDir: app.makePath(defaults.pageDir),
    upstream: `127.0.0.1:${process.env.PORT || 3333}`,
    luaFile,
  }
  const files: [string, string][] = WEB_SERVERS.map((server) => [
    `deploy/maintenance/${SNIPPET_FILES[server]}`,
    renderSnippet(server, options),
  ])
  files.push([HAPROXY_LUA_FILE, renderHaproxyLua()])

  for (const [relativePath, contents] of files) {
    const path = app.makePath(relativePath)
    const action = command.logger.action(`create ${relativePath}`)
    if (existsSync(path) && !force) {
      action.skipped('File already exists')
      continue
    }
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, contents)
    action.succeeded()
  }
}

export async function configure(command: Configure) {
  const force = command.parsedFlags.force === true

  const store = await chooseStore(command)
  if (!isKnownStore(store)) {
    command.logger.error(
      `Invalid maintenance store "${String(store)}". Supported stores are: ${string.sentence([...KNOWN_STORES])}`
    )
    command.exitCode = 1
    return
  }

  /**
   * A kept config/maintenance.ts (no --force) must declare the store that
   * .env is about to name, or the app would not boot
   */
  if (!force) {
    const declared = await declaredStores(command)
    if (declared.length && !declared.includes(store)) {
      command.logger.error(
        `config/maintenance.ts declares no "${store}" store (only ${string.sentence(declared)}). Re-run with --force to rewrite it, or add the store to it first`
      )
      command.exitCode = 1
      return
    }
  }

  const codemods = await command.createCodemods()

  /**
   * Publish the config file
   */
  await codemods.makeUsingStub(stubsRoot, 'config/maintenance.stub', { store, force, defaults })

  /**
   * MAINTENANCE_STORE accepts every store the config declares, the chosen
   * one first. The stub always lists the file store, so
   * MAINTENANCE_STORE=file works everywhere (tests, a single machine).
   */
  const declared = await declaredStores(command)
  const storeNames = [...new Set([store, ...(declared.length ? declared : ['file'])])]

  /**
   * Publish the migration of the database store, once: a second run finds
   * the earlier file and skips it (or overwrites that same file with --force)
   */
  if (store === 'database') {
    const existing = await findMigration(command)
    if (existing && !force) {
      const relativePath = command.app.relativePath(command.app.migrationsPath(existing))
      command.logger.action(`create ${relativePath}`).skipped('File already exists')
    } else {
      await codemods.makeUsingStub(stubsRoot, 'make/migration/maintenance_state.stub', {
        force,
        migration: { fileName: existing ?? `${Date.now()}${MIGRATION_SUFFIX}` },
      })
    }
  }

  /**
   * Publish the maintenance page
   */
  await codemods.makeUsingStub(stubsRoot, 'resources/views/maintenance.edge.stub', {
    force,
    defaults,
  })

  /**
   * Write the web-server snippets, filled with this app's paths, so ops
   * can include them (`node ace offline:snippet` prints them again)
   */
  try {
    await writeWebServerSnippets(command, force)
  } catch (error) {
    command.logger.warning(
      `Skipped the web-server snippets (${(error as Error).message}). Print them later with "node ace offline:snippet <server>"`
    )
  }

  /**
   * Define the env variable and its validation
   */
  await codemods.defineEnvVariables({ MAINTENANCE_STORE: store })
  await codemods.defineEnvValidations({
    leadingComment: 'Variables for configuring the site-maintenance package',
    variables: { MAINTENANCE_STORE: storeEnum(storeNames) },
  })
  await syncEnvEnum(command, storeNames)

  /**
   * Register the provider and the commands
   */
  await codemods.updateRcFile((rcFile) => {
    rcFile
      .addProvider('site-maintenance/maintenance_provider')
      .addCommand('site-maintenance/commands')
  })

  /**
   * The middleware runs first in the server stack: OFFLINE must answer
   * every request, unmatched routes included. It records presence once the
   * session and auth middleware of the router stack have run.
   */
  await codemods.registerMiddleware('server', [
    { path: 'site-maintenance/maintenance_middleware', position: 'before' },
  ])

  /**
   * The role bypass's router middleware (`bypass.allow`, `bypass.ability`)
   * is not registered here: every routed request of every app would pay
   * AdonisJS's per-middleware cost for a feature most apps do not use.
   * docs/visitors.md ("Who else gets through") says where to add it; without it a role lets nobody in.
   */
}
