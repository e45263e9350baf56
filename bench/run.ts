/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

/**
 * `npm run bench [-- --json] [--only=census|propagation|overhead|limits|live] [--stack=kit|minimal] [--db=pg,mysql,sqlite] [--quick]`
 *
 * Not part of `npm test`. Needs the local PostgreSQL, MariaDB and Redis
 * that bin/setup.ts brings up. Everything runs on loopback, with bounded
 * loops, sized for a 2-core machine. Progress goes to stderr; the results
 * go to stdout, with `--json` one JSON object printed last.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { loadavg as osLoadavg } from 'node:os'
import { benchCensus, type CensusResult } from './census.ts'
import { BENCH_DATABASES, type BenchDatabase } from './lib/databases.ts'
import { buildApp } from './lib/app.ts'
import { benchOverhead, type OverheadResult, type Stack } from './overhead.ts'
import { benchLivePages, type LivePagesResult } from './live_pages.ts'
import { benchPropagation, type PropagationResult } from './propagation.ts'
import { log } from './lib/stats.ts'
import { machine } from './lib/machine.ts'

/**
 * `limits` is the part of `overhead` that measures the OFFLINE answers
 * against a bare Node.js server and nginx; `overhead` includes it
 */
const SECTIONS = ['census', 'propagation', 'overhead', 'limits', 'live'] as const
const PAIRS = [
  'calibration',
  'online_anonymous',
  'online_logged_in',
  'pending_logged_in',
  'offline_html',
  'offline_json',
  'offline_html_middleware',
  'pending_anonymous',
  'offline_html_vs_bare_node',
  'offline_json_vs_bare_node',
  'offline_html_fresh_vs_bare_node',
  'offline_json_fresh_vs_bare_node',
  'offline_html_vs_nginx',
] as const
type Section = (typeof SECTIONS)[number]

const args = process.argv.slice(2)
const json = args.includes('--json')
const quick = args.includes('--quick')
const stackArg = args.find((arg) => arg.startsWith('--stack='))
const stacks = (
  stackArg ? stackArg.slice('--stack='.length).split(',') : ['kit', 'minimal']
) as Stack[]
for (const stack of stacks) {
  if (stack !== 'kit' && stack !== 'minimal') {
    process.stderr.write(`Unknown stack "${stack}". Use --stack=kit|minimal\n`)
    process.exit(2)
  }
}
/**
 * The databases the census and the database store's propagation run on
 */
const dbArg = args.find((arg) => arg.startsWith('--db='))
const databases = dbArg
  ? (dbArg.slice('--db='.length).split(',') as BenchDatabase[])
  : [...BENCH_DATABASES]
for (const database of databases) {
  if (!BENCH_DATABASES.includes(database)) {
    process.stderr.write(`Unknown database "${database}". Use --db=${BENCH_DATABASES.join('|')}\n`)
    process.exit(2)
  }
}
const onlyArg = args.find((arg) => arg.startsWith('--only='))
const only = onlyArg ? (onlyArg.slice('--only='.length).split(',') as Section[]) : [...SECTIONS]
for (const section of only) {
  if (!SECTIONS.includes(section)) {
    process.stderr.write(`Unknown section "${section}". Use --only=${SECTIONS.join('|')}\n`)
    process.exit(2)
  }
}

const loadBefore = loadavg()
const results: Record<string, any> = {
  date: new Date().toISOString(),
  quick,
  machine: await machine(),
}

if (only.includes('census')) {
  const census = await benchCensus(databases, quick)
  results.census_ms = Object.fromEntries(
    Object.entries(census).map(([name, r]) => [
      name,
      {
        first_call: pick(r.first_call),
        first_call_with_sweep: pick(r.first_call_with_sweep),
        count_sessions: pick(r.count_sessions),
        running_tasks: pick(r.running_tasks_ms),
        census: pick(r.census),
        ...(r.under_load
          ? {
              census_under_load: pick(r.under_load.census),
              count_sessions_under_load: pick(r.under_load.count_sessions),
              census_under_load_failed: r.under_load.census_failed,
            }
          : {}),
        ...(r.under_load_wal
          ? {
              census_under_load_wal: pick(r.under_load_wal.census),
              census_under_load_wal_failed: r.under_load_wal.census_failed,
            }
          : {}),
      },
    ])
  )
  results.machine.databases = Object.fromEntries(
    Object.entries(census).map(([name, r]) => [name, r.server_version])
  )
  results.census_plans = Object.fromEntries(
    Object.entries(census).map(([name, r]) => [name, r.plans])
  )
  printCensus(census)
}

const requestPath = only.includes('overhead') ? 'all' : only.includes('limits') ? 'limits' : null

if (only.includes('propagation') || requestPath || only.includes('live')) await buildApp()

if (only.includes('propagation')) {
  const propagation = await benchPropagation(quick, databases)
  results.propagation_ms = Object.fromEntries(
    Object.entries(propagation).map(([name, r]) => [
      name,
      {
        on: { median: r!.on.median, max: r!.on.max },
        off: { median: r!.off.median, max: r!.off.max },
        api_on: { median: r!.api_on.median, max: r!.api_on.max },
        api_off: { median: r!.api_off.median, max: r!.api_off.max },
      },
    ])
  )
  results.propagation = propagation
  results.idle_cluster_queries_per_second = Object.fromEntries(
    Object.entries(propagation)
      .filter(([, r]) => r!.idle)
      .map(([name, r]) => [
        name,
        {
          app: r!.idle!.app_queries_per_second,
          server: r!.idle!.server_per_second,
          server_baseline: r!.idle!.server_baseline_per_second,
        },
      ])
  )
  printPropagation(propagation)
}

if (requestPath) {
  /**
   * The targets are read on the kit stack (the starter kit's middleware,
   * what the sites that use the package run); the minimal stack is the
   * stricter reading, where the package's cost weighs most
   */
  for (const stack of stacks) {
    const overhead = await benchOverhead(quick, stack, requestPath)
    const prefix = stack === 'kit' ? '' : `${stack}_`
    for (const name of PAIRS) {
      const pair = overhead[name]
      if (!pair) continue
      results[`ratio_${prefix}${name}`] = pair.ratio
      results[`paired_ratio_${prefix}${name}`] = pair.paired_ratio
      results[`cpu_ratio_${prefix}${name}`] = pair.cpu_ratio
      results[`interval95_${prefix}${name}`] = pair.interval95
      results[`p99_ratio_${prefix}${name}`] = pair.p99_ratio
    }
    results[`nginx_offline_rps${prefix ? `_${stack}` : ''}`] = overhead.limits.nginx_rps
    results[`ratio_${prefix}nginx_offline_vs_normal_route`] = overhead.limits.nginx_vs_normal_route
    if (overhead.log_lines_per_10k_offline !== undefined) {
      results[`log_lines_per_10k_offline${prefix ? `_${stack}` : ''}`] =
        overhead.log_lines_per_10k_offline
    }
    if (overhead.offline_soak) {
      results.rss_change_offline_soak = overhead.offline_soak.rss_change
      results.rss_second_change_offline_soak = overhead.offline_soak.rss_second_change
      results.log_lines_offline_soak = overhead.offline_soak.log_lines
      results.rss_change_bare_node_soak = overhead.offline_soak.bare_node.rss_change
    }
    results[stack === 'kit' ? 'overhead' : `overhead_${stack}`] = overhead
    printOverhead(overhead)
  }
}

if (only.includes('live')) {
  results.live_pages = await benchLivePages(quick)
  printLivePages(results.live_pages)
}

/**
 * Other work on the machine skews the numbers: record how busy it was
 */
results.machine.loadavg = { before: loadBefore, after: loadavg() }

await mkdir(new URL('../tmp/bench/', import.meta.url), { recursive: true })
await writeFile(
  new URL('../tmp/bench/results.json', import.meta.url),
  JSON.stringify(results, null, 2) + '\n'
)
log('results saved to tmp/bench/results.json')

if (json) process.stdout.write(JSON.stringify(results) + '\n')

function printPropagation(propagation: Partial<Record<string, PropagationResult>>) {
  const first = Object.values(propagation)[0]
  const lines = [
    '',
    `## Propagation (${first?.instances} app instances, refresh interval ${first?.refresh_interval_ms} ms; ms, median / max)`,
    '',
    'Probe: the last instance answering 503 (200 for off) on /ping.',
    '',
    '| store | offline:on --force exits → last 503 | offline:off exits → last 200 | activate() called → last 503 | deactivate() called → last 200 |',
    '|---|---|---|---|---|',
  ]
  const cell = (t: { median: number; max: number }) => `${t.median} / ${t.max}`
  for (const [name, r] of Object.entries(propagation)) {
    lines.push(
      `| ${name} | ${cell(r!.on)} | ${cell(r!.off)} | ${cell(r!.api_on)} | ${cell(r!.api_off)} |`
    )
  }
  const idle = Object.entries(propagation).filter(([, r]) => r!.idle)
  if (idle.length) {
    lines.push(
      '',
      `## What the idle cluster costs the database (${first?.instances} processes ONLINE, no requests)`,
      '',
      "Counted in the apps: every statement their Lucid connection sends. On the server: its own counter over the same window, and over a window as long before the cluster started (other clients' share).",
      '',
      '| store | seconds | queries/s, all processes (each) | server counter | server /s with the cluster | before it | PostgreSQL listening connections |',
      '|---|---|---|---|---|---|---|'
    )
    for (const [name, r] of idle) {
      const cost = r!.idle!
      lines.push(
        `| ${name} | ${cost.seconds} | ${cost.app_queries_per_second} (${cost.app_queries_per_second_each.join(', ')}) | ${cost.server_counter ?? '—'} | ${cost.server_per_second ?? '—'} | ${cost.server_baseline_per_second ?? '—'} | ${cost.listening_connections ?? '—'} |`
      )
    }
  }
  process.stdout.write(lines.join('\n') + '\n')
}

function printOverhead(overhead: OverheadResult) {
  const lines = [
    '',
    `## Request path, ${overhead.stack} stack (${overhead.loader} -c ${overhead.connections}; ${overhead.part === 'limits' ? 'OFFLINE answers and their limits only' : `pass-through: ${overhead.processes} pairs of fresh processes, each warmed up ${overhead.warmup_seconds} s, × ${overhead.rounds} interleaved rounds of ${overhead.seconds} s`}, answers: one pair × ${overhead.answer_rounds} interleaved rounds of ${overhead.seconds} s; medians${overhead.pinning ? `; the app on CPU ${overhead.pinning.app}, ${overhead.loader} on CPU ${overhead.pinning.load}` : ''})`,
    '',
    '| scenario | with the package | without | ratio (req/s) | paired ratio | per pair of processes | 95 % CI (pairs) | CPU µs/request with / without | CPU ratio | p99 with / without (ms) | p99 ratio |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ]
  const labels: Record<(typeof PAIRS)[number], string> = {
    calibration: 'calibration: the bare app ÷ a second instance of it',
    online_anonymous: 'ONLINE anonymous',
    online_logged_in: 'ONLINE logged in (presence tracking)',
    pending_logged_in: 'PENDING logged-in user passing',
    offline_html: 'OFFLINE answer, HTML ÷ normal route',
    offline_json: 'OFFLINE answer, JSON ÷ normal route',
    offline_html_middleware:
      'OFFLINE answer by the middleware (earlyAnswer: false), HTML ÷ normal route',
    pending_anonymous: 'PENDING anonymous answer ÷ normal route',
    offline_html_vs_bare_node:
      'limit: OFFLINE early answer, HTML ÷ a bare Node.js server replaying it (same core)',
    offline_json_vs_bare_node:
      'limit: OFFLINE early answer, JSON ÷ a bare Node.js server replaying it (same core)',
    offline_html_fresh_vs_bare_node:
      'limit: the same, HTML, a fresh app process (warmed up like the bare server)',
    offline_json_fresh_vs_bare_node:
      'limit: the same, JSON, a fresh app process (warmed up like the bare server)',
    offline_html_vs_nginx:
      'limit: OFFLINE early answer, HTML ÷ nginx serving the static page (offline:snippet nginx)',
  }
  for (const name of PAIRS) {
    const r = overhead[name]
    if (!r) continue
    lines.push(
      `| ${labels[name]} | ${r.a_rps} req/s | ${r.b_rps} req/s | ${r.ratio} | ${r.paired_ratio} | ${r.process_ratios.join(', ')} | ${r.interval95 ? r.interval95.join('–') : ''} | ${r.a_cpu_us} / ${r.b_cpu_us} | ${r.cpu_ratio} | ${r.a_p99_ms} / ${r.b_p99_ms} | ${r.p99_ratio} |`
    )
  }
  const limits = overhead.limits
  const bareHtml = overhead.offline_html_vs_bare_node
  const bareJson = overhead.offline_json_vs_bare_node
  const nginx = overhead.offline_html_vs_nginx
  lines.push(
    '',
    `Limits (goal ≥ 0.9 of the bare server): the early OFFLINE answer runs at ${bareHtml.paired_ratio} (HTML, ${limits.html_answer_bytes} bytes; ${bareHtml.a_rps} against ${bareHtml.b_rps} answers/s, ${bareHtml.a_cpu_us} against ${bareHtml.b_cpu_us} µs of CPU) and ${bareJson.paired_ratio} (JSON, ${limits.json_answer_bytes} bytes; ${bareJson.a_rps} against ${bareJson.b_rps}/s, ${bareJson.a_cpu_us} against ${bareJson.b_cpu_us} µs) of a bare Node.js server writing the same bytes on the same core` +
      (nginx
        ? `; nginx (1 worker, same core) answers ${limits.nginx_rps}/s from the lock file (${limits.nginx_page_bytes}-byte page${limits.nginx_body_is_app_answer ? ", the same bytes as the app's body" : ", another body than the app's"}, ${limits.nginx_cpu_us} µs of CPU each), the app's early answer ${nginx.a_rps}/s in the same rounds (${nginx.paired_ratio} of nginx), the normal route ${overhead.offline_html.b_rps}/s (nginx ÷ normal route ${limits.nginx_vs_normal_route}x)`
        : '; nginx not installed')
  )
  if (overhead.log_lines_per_10k_offline !== undefined) {
    lines.push(
      '',
      `Log lines while answering 10,000 OFFLINE requests: ${overhead.log_lines_per_10k_offline}`
    )
  }
  const soak = overhead.offline_soak
  if (soak) {
    const percent = (change: number) => `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)} %`
    lines.push(
      '',
      `OFFLINE soak (${soak.warmup_seconds} s warm-up, then 2 × ${soak.seconds} s at -c ${soak.connections}, ${soak.requests} requests): RSS idle ${soak.rss_idle_mb} MB, warm ${soak.rss_start_mb} → ${soak.rss_end_mb} MB (${percent(soak.rss_change)}) → ${soak.rss_second_end_mb} MB (${percent(soak.rss_second_change)}), ${soak.log_lines} log lines`,
      '',
      `The same soak on a bare Node.js server replaying the app's 503: RSS idle ${soak.bare_node.rss_idle_mb} MB, warm ${soak.bare_node.rss_start_mb} → ${soak.bare_node.rss_end_mb} MB (${percent(soak.bare_node.rss_change)}) → ${soak.bare_node.rss_second_end_mb} MB (${percent(soak.bare_node.rss_second_change)})`
    )
  }
  process.stdout.write(lines.join('\n') + '\n')
}

function loadavg() {
  return osLoadavg().map((value) => Math.round(value * 100) / 100)
}

function pick(summary: { median: number; p95: number }) {
  return { median: summary.median, p95: summary.p95 }
}

function printCensus(census: Partial<Record<string, CensusResult>>) {
  const lines = [
    '',
    '## Census at scale (100k session rows, 1k task rows; ms, median / p95)',
    '',
    '| database | first call | first call + its sweep of 10k expired rows | countSessions | runningTasks | manager.census() |',
    '|---|---|---|---|---|---|',
  ]
  for (const [name, r] of Object.entries(census)) {
    const cell = (s: { median: number; p95: number }) => `${s.median} / ${s.p95}`
    lines.push(
      `| ${name} | ${cell(r!.first_call)} | ${cell(r!.first_call_with_sweep)} | ${cell(r!.count_sessions)} | ${cell(r!.running_tasks_ms)} | ${cell(r!.census)} |`
    )
  }
  const loaded = Object.entries(census).filter(([, r]) => r!.under_load)
  if (loaded.length) {
    lines.push(
      '',
      '## Census under load (another process writes presence rows as fast as it can; ms, median / p95; target: census p95 ≤ 20 ms)',
      '',
      '| database | writers | writes/s reached | manager.census() | countSessions (uncapped) | load average (1 min) |',
      '|---|---|---|---|---|---|'
    )
    for (const [name, r] of loaded) {
      for (const load of [r!.under_load!, r!.under_load_wal].filter((x) => x !== undefined)) {
        const cell = (s: { median: number; p95: number }, failed: number) =>
          `${s.median} / ${s.p95}${failed ? ` (${failed} calls failed)` : ''}`
        lines.push(
          `| ${name}${load.journal_mode ? ` (journal ${load.journal_mode})` : ''} | ${load.workers} | ${load.writes_per_second}${load.write_errors ? ` (${load.write_errors} failed)` : ''} | ${cell(load.census, load.census_failed)} | ${cell(load.count_sessions, load.count_sessions_failed)} | ${load.loadavg} |`
        )
      }
    }
  }
  for (const [name, r] of Object.entries(census)) {
    lines.push('', `### Query plans, ${name}`, '', '```')
    for (const [query, plan] of Object.entries(r!.plans)) lines.push(`-- ${query}`, ...plan, '')
    lines.push('```')
  }
  process.stdout.write(lines.join('\n') + '\n')
}

function printLivePages(r: LivePagesResult) {
  const p = r.polling
  const t = r.transmit
  const lines = [
    '',
    `## Open pages (${r.pages} idle pages with the live banner, ${r.stack} stack${r.pinned ? ', the app pinned to one core' : ''})`,
    '',
    `Polling every ${r.interval_s} s = ${p.target_rps} req/s (sent ${p.achieved_rps}/s, ${p.errors} errors, ${p.seconds} s): app CPU ${p.cpu_percent} % of a core (${p.cpu_us_per_poll} µs per poll, so ${p.cpu_percent_at_target} % of a core at ${p.target_rps} req/s; idle ${p.idle_cpu_percent} %), RSS ${p.rss_mb} MB (idle ${p.idle_rss_mb} MB)`,
    '',
    `@adonisjs/transmit, ${t.connections} open streams (opened and subscribed in ${t.open_seconds} s): RSS idle ${t.idle_rss_mb} MB, ${t.steps.map((s) => `${s.connections} streams ${s.rss_mb} MB (${s.kb_per_connection} KB each)`).join(', ')}; app CPU idle ${t.idle_cpu_percent} % without streams, ${t.idle_cpu_percent_with_connections} % with them over ${t.idle_seconds} s (pings every ${t.ping_interval_s} s); one change pushed to ${t.broadcast.delivered} streams, the last ${t.broadcast.last_ms} ms after offline:on exited (negative: before) (${t.broadcast.cpu_ms} ms of app CPU from its start)`,
  ]
  process.stdout.write(lines.join('\n') + '\n')
}
