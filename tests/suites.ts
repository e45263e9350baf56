/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { globSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * The Japa suites, by what a spec needs to run. Every spec file is listed
 * in exactly one suite, by the heaviest thing it uses (a spec with one
 * fixture-app test among in-process ones is e2e). bin/test.ts refuses to
 * run when a spec is in no suite or in two; tests/suites.spec.ts says the
 * same in the unit suite. CONTRIBUTING.md describes them.
 *
 * Paths are relative to the repository root, where npm runs the scripts.
 */
export const SUITES = {
  /**
   * In this process only: no booted fixture app, no child process, no
   * database or Redis server (an IgnitorFactory app, the file and memory
   * stores and temporary files are fine)
   */
  unit: [
    'tests/banner_live.spec.ts',
    'tests/define_config.spec.ts',
    'tests/edge_plugin.spec.ts',
    'tests/health/maintenance_check.spec.ts',
    'tests/http/allowed_paths.spec.ts',
    'tests/http/ip_allow_list.spec.ts',
    'tests/http/maintenance_gate.spec.ts',
    'tests/http/presence.spec.ts',
    'tests/http/request_stats.spec.ts',
    'tests/i18n.spec.ts',
    'tests/import_graph.spec.ts',
    'tests/queue_gate.spec.ts',
    'tests/transitions.spec.ts',
    'tests/maintenance_fake.spec.ts',
    'tests/maintenance_provider.spec.ts',
    'tests/stores/file_store.spec.ts',
    'tests/stores/memory_store.spec.ts',
    'tests/suites.spec.ts',
    'tests/web_servers/lock_file.spec.ts',
  ],
  /**
   * In this process, against the real SQLite, PostgreSQL, MariaDB and Redis
   * servers
   */
  stores: [
    'tests/command_task.spec.ts',
    'tests/maintenance_manager.spec.ts',
    'tests/stores/database_notify.spec.ts',
    'tests/stores/database_store.spec.ts',
    'tests/stores/session_table.spec.ts',
    'tests/stores/store_contract.spec.ts',
  ],
  /**
   * The fixture app (tests/fixtures/app) booted as real processes: its
   * HTTP server, its Ace commands; `node ace configure` in a scratch app
   */
  e2e: [
    'tests/commands.spec.ts',
    'tests/commands_run.spec.ts',
    'tests/commands_status.spec.ts',
    'tests/demo.spec.ts',
    'tests/configure.spec.ts',
    'tests/http/admin.spec.ts',
    'tests/http/bypass.spec.ts',
    'tests/http/drain.spec.ts',
    'tests/http/health.spec.ts',
    'tests/http/hostile_cookies.spec.ts',
    'tests/http/hostile_inputs.spec.ts',
    'tests/http/htmx_inertia.spec.ts',
    'tests/http/languages.spec.ts',
    'tests/http/live_status.spec.ts',
    'tests/http/logout.spec.ts',
    'tests/http/maintenance_answer.spec.ts',
    'tests/http/redis_store.spec.ts',
    'tests/http/role_bypass.spec.ts',
    'tests/http/session_table.spec.ts',
    'tests/http/store_error.spec.ts',
    'tests/http/upgrade.spec.ts',
    'tests/i18n_app.spec.ts',
    'tests/maintenance_fake_in_app.spec.ts',
    'tests/queue.spec.ts',
    'tests/read_only.spec.ts',
    'tests/readme.spec.ts',
    'tests/schedule.spec.ts',
    'tests/scheduler.spec.ts',
  ],
  /**
   * Real nginx, Apache httpd, HAProxy and Caddy (their config checks and
   * running servers)
   */
  web_servers: [
    'tests/web_servers/offline_snippet.spec.ts',
    'tests/web_servers/render_snippet.spec.ts',
    'tests/web_servers/web_server_contract.spec.ts',
  ],
  /**
   * Headless Chromium (tests/chromium.ts)
   */
  browser: [
    'tests/http/admin_browser.spec.ts',
    'tests/live_banner.spec.ts',
    'tests/screenshots.spec.ts',
  ],
  /**
   * The packed tarball installed into tests/fixtures/packed_app
   */
  package: ['tests/package.spec.ts'],
  /**
   * The long one: SOAK_SECONDS of flips under polling
   */
  soak: ['tests/soak.spec.ts'],
} satisfies Record<string, string[]>

export type SuiteName = keyof typeof SUITES

/**
 * The repository's root
 */
export const ROOT = fileURLToPath(new URL('../', import.meta.url))

/**
 * Every spec file on disk, as the paths above spell them
 */
export function specFiles(): string[] {
  return globSync('tests/**/*.spec.ts', {
    cwd: ROOT,
    exclude: (path) => path === 'tests/fixtures' || path.startsWith('tests/fixtures/'),
  })
    .map((path) => path.replaceAll('\\', '/'))
    .sort()
}

/**
 * What is wrong with the suites: a spec in no suite, a spec in two, or a
 * listed file that does not exist. Empty when every spec is in exactly one.
 */
export function suiteProblems(): string[] {
  const problems: string[] = []
  const owner = new Map<string, string>()
  for (const [suite, files] of Object.entries(SUITES)) {
    for (const file of files) {
      const other = owner.get(file)
      if (other) problems.push(`${file} is in two suites: ${other} and ${suite}`)
      owner.set(file, suite)
    }
  }
  const onDisk = specFiles()
  for (const file of onDisk) {
    if (!owner.has(file)) problems.push(`${file} is in no suite: add it to one in tests/suites.ts`)
  }
  for (const file of owner.keys()) {
    if (!onDisk.includes(file)) problems.push(`${file} is listed in tests/suites.ts but missing`)
  }
  return problems
}
