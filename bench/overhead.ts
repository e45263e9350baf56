/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MaintenanceManager } from '../src/maintenance_manager.ts'
import { FileStore } from '../src/stores/file.ts'
import { type AppEnv, AppInstance } from './lib/app.ts'
import { benchConfig } from './lib/config.ts'
import { type LoadResult, load, loader } from './lib/load.ts'
import { log, median, round, sleep } from './lib/stats.ts'

const CONNECTIONS = 50

/**
 * The same app with (A) and without (B) the package's middleware, loaded
 * in turn, never together
 */
interface Pair {
  name: string
  a: { instance: AppInstance; headers: Record<string, string>; expect: number }
  b: { instance: AppInstance; headers: Record<string, string>; expect: number }
}

export interface PairResult {
  /**
   * A's req/s ÷ B's req/s, medians of the rounds
   */
  ratio: number
  /**
   * A's p99 latency ÷ B's, medians of the rounds
   */
  p99_ratio: number
  a_rps: number
  b_rps: number
  a_p99_ms: number
  b_p99_ms: number
  /**
   * Median of the per-round ratios (A and B of a round run back to back,
   * so they share the machine's background load)
   */
  paired_ratio: number
  rounds: { a: number[]; b: number[] }
  /**
   * Answers with another status than expected, over all rounds
   */
  unexpected: number
}

function unexpected(result: LoadResult, expect: number) {
  const wrong = expect < 300 ? result.non2xx : result.total - result.non2xx
  return result.errors + wrong
}

/**
 * Interleaved rounds, A first in even rounds and B first in odd ones
 * (A B B A A B…), after a short warm-up of each
 */
async function compare(pair: Pair, rounds: number, seconds: number): Promise<PairResult> {
  const run = (side: Pair['a'], time: number) =>
    load({
      url: side.instance.url('/ping'),
      connections: CONNECTIONS,
      seconds: time,
      headers: side.headers,
    })
  await run(pair.a, 1)
  await run(pair.b, 1)
  const a: LoadResult[] = []
  const b: LoadResult[] = []
  for (let index = 0; index < rounds; index++) {
    if (index % 2 === 0) {
      a.push(await run(pair.a, seconds))
      b.push(await run(pair.b, seconds))
    } else {
      b.push(await run(pair.b, seconds))
      a.push(await run(pair.a, seconds))
    }
  }
  const aRps = median(a.map((r) => r.rps))
  const bRps = median(b.map((r) => r.rps))
  const aP99 = median(a.map((r) => r.p99))
  const bP99 = median(b.map((r) => r.p99))
  const result: PairResult = {
    ratio: round(aRps / bRps, 3),
    p99_ratio: round(aP99 / bP99, 3),
    paired_ratio: round(median(a.map((r, index) => r.rps / b[index].rps)), 3),
    a_rps: Math.round(aRps),
    b_rps: Math.round(bRps),
    a_p99_ms: aP99,
    b_p99_ms: bP99,
    rounds: { a: a.map((r) => Math.round(r.rps)), b: b.map((r) => Math.round(r.rps)) },
    unexpected:
      a.reduce((sum, r) => sum + unexpected(r, pair.a.expect), 0) +
      b.reduce((sum, r) => sum + unexpected(r, pair.b.expect), 0),
  }
  log(
    `overhead ${pair.name}: ${result.ratio}x (${result.a_rps} vs ${result.b_rps} req/s), p99 ${aP99} vs ${bP99} ms${result.unexpected ? `, ${result.unexpected} UNEXPECTED answers` : ''}`
  )
  return result
}

/**
 * Log in on an instance and collect its cookies (session id, the cookie
 * store's data, and the presence marker set for a logged-in session)
 */
async function login(instance: AppInstance) {
  const jar = new Map<string, string>()
  const take = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const index = pair.indexOf('=')
      jar.set(pair.slice(0, index), pair.slice(index + 1))
    }
  }
  const cookie = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
  const first = await fetch(instance.url('/login?id=1'))
  if ((await first.text()) !== 'logged in') throw new Error('login failed')
  take(first)
  const second = await fetch(instance.url('/ping'), { headers: { cookie: cookie() } })
  await second.text()
  take(second)
  return { cookie: cookie(), names: [...jar.keys()] }
}

/**
 * Wait until the instance answers anonymous /ping with `status`, then one
 * refresh interval more so every process agrees
 */
async function waitFor(instance: AppInstance, status: number) {
  for (let attempt = 0; attempt < 500; attempt++) {
    const response = await fetch(instance.url('/ping'))
    await response.arrayBuffer()
    if (response.status === status) {
      await sleep(1200)
      return
    }
    await sleep(20)
  }
  throw new Error(`:${instance.port} never answered ${status}`)
}

/**
 * The bench app's middleware stacks (bench/app/start/kernel.ts)
 */
export type Stack = 'kit' | 'minimal'

export interface OverheadResult {
  stack: Stack
  loader: string
  connections: number
  rounds: number
  seconds: number
  /**
   * The bare app against a second instance of itself: how far from 1 a
   * ratio strays with no difference at all
   */
  calibration: PairResult
  online_anonymous: PairResult
  online_logged_in: PairResult
  pending_logged_in: PairResult
  pending_anonymous: PairResult
  offline_html: PairResult
  offline_json: PairResult
  /**
   * OFFLINE HTML with `earlyAnswer: false`: the middleware's own answer
   */
  offline_html_middleware: PairResult
  log_lines_per_10k_offline: number
  offline_10k_rps: number
  /**
   * Only run on the kit stack
   */
  offline_soak?: {
    seconds: number
    connections: number
    warmup_seconds: number
    requests: number
    /**
     * Idle, after the -c 50 rounds, before the warm-up at -c 200
     */
    rss_idle_mb: number
    /**
     * After the warm-up: the start of the soak
     */
    rss_start_mb: number
    /**
     * After the first and the second run of `seconds`
     */
    rss_end_mb: number
    rss_second_end_mb: number
    /**
     * RSS after the first run ÷ at the start, minus 1 (target: within ±0.10)
     */
    rss_change: number
    /**
     * After the second run ÷ after the first, minus 1: growth that goes on
     * once warm would be a leak
     */
    rss_second_change: number
    /**
     * Over both runs
     */
    log_lines: number
    /**
     * The same soak on a bare Node.js server writing a 503 of the same size
     */
    bare_node: Omit<NonNullable<OverheadResult['offline_soak']>, 'bare_node'>
  }
}

const SOAK_CONNECTIONS = 200

/**
 * Resident memory of an app process, from /proc (Linux)
 */
function rssMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kilobytes = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN)
  return round(kilobytes / 1024, 1)
}

export async function benchOverhead(quick: boolean, stack: Stack): Promise<OverheadResult> {
  const rounds = quick ? 2 : 10
  const seconds = quick ? 2 : 4
  const directory = await mkdtemp(join(tmpdir(), 'site-maintenance-bench-'))
  const stateDir = join(directory, 'state')
  const store = new FileStore(stateDir)
  const manager = new MaintenanceManager(
    benchConfig(store, { lockFile: join(directory, 'down-bench') })
  )
  const app = (port: number, withMaintenance: boolean, tag: string, extra: AppEnv = {}) =>
    new AppInstance(port, {
      ...extra,
      BENCH_STACK: stack,
      BENCH_MAINTENANCE: String(withMaintenance),
      MAINTENANCE_STORE: 'file',
      MAINTENANCE_DIR: stateDir,
      MAINTENANCE_LOCK_FILE: join(directory, `down-${tag}`),
      MAINTENANCE_STATIC_PAGE: join(directory, `page-${tag}.html`),
    })
  const withIt = app(39300, true, 'a')
  const without = app(39301, false, 'b')
  try {
    await Promise.all([withIt.ready(), without.ready()])
    const userA = await login(withIt)
    const userB = await login(without)
    if (!userA.names.includes('site_maintenance_seen')) {
      throw new Error(`no presence marker after login: ${userA.names.join(', ')}`)
    }
    const html = { accept: 'text/html,application/xhtml+xml' }
    const json = { accept: 'application/json' }
    const pair = (
      name: string,
      a: [Record<string, string>, number],
      b: [Record<string, string>, number]
    ): Pair => ({
      name,
      a: { instance: withIt, headers: a[0], expect: a[1] },
      b: { instance: without, headers: b[0], expect: b[1] },
    })

    /**
     * A third instance, started for one comparison against B (once it
     * answers `expect`) and stopped after it
     */
    const againstB = async (instance: AppInstance, name: string, expect: number) => {
      try {
        await instance.ready()
        await waitFor(instance, expect)
        return await compare(
          {
            name,
            a: { instance, headers: html, expect },
            b: { instance: without, headers: html, expect: 200 },
          },
          rounds,
          seconds
        )
      } finally {
        await instance.stop()
      }
    }

    log(`overhead (${stack} stack): ONLINE`)
    await waitFor(withIt, 200)

    /**
     * The noise floor: B against a second instance of B, the package in
     * neither, measured the same way
     */
    const calibration = await againstB(
      app(39303, false, 'd'),
      'calibration, the bare app against itself',
      200
    )

    const onlineAnonymous = await compare(
      pair('ONLINE anonymous', [html, 200], [html, 200]),
      rounds,
      seconds
    )
    const onlineLoggedIn = await compare(
      pair(
        'ONLINE logged in',
        [{ ...html, cookie: userA.cookie }, 200],
        [{ ...html, cookie: userB.cookie }, 200]
      ),
      rounds,
      seconds
    )

    /**
     * PENDING: a live session in the census keeps the drain going; the
     * bench user logged in before it began and passes
     */
    log(`overhead (${stack} stack): PENDING`)
    await store.touchSession('bench-someone-else', 99, Date.now() + 3_600_000)
    const pending = await manager.activate({ timeout: 3_600_000 })
    if (pending.state.status !== 'pending') throw new Error('the site did not go PENDING')
    await waitFor(withIt, 503)
    const pendingLoggedIn = await compare(
      pair(
        'PENDING logged in',
        [{ ...html, cookie: userA.cookie }, 200],
        [{ ...html, cookie: userB.cookie }, 200]
      ),
      rounds,
      seconds
    )
    const pendingAnonymous = await compare(
      pair('PENDING anonymous answer vs normal route', [html, 503], [html, 200]),
      rounds,
      seconds
    )

    log(`overhead (${stack} stack): OFFLINE`)
    await manager.activate({ force: true })
    await sleep(1200)
    const offlineHtml = await compare(
      pair('OFFLINE HTML answer vs normal route', [html, 503], [html, 200]),
      rounds,
      seconds
    )
    const offlineJson = await compare(
      pair('OFFLINE JSON answer vs normal route', [json, 503], [json, 200]),
      rounds,
      seconds
    )

    /**
     * The same HTML answer written by the middleware (earlyAnswer: false),
     * from a third instance of A
     */
    const offlineHtmlMiddleware = await againstB(
      app(39302, true, 'c', { MAINTENANCE_EARLY_ANSWER: 'false' }),
      'OFFLINE HTML answer by the middleware vs normal route',
      503
    )

    /**
     * Log lines written while answering exactly 10,000 OFFLINE requests
     */
    await sleep(300)
    const before = withIt.lines
    const tenK = await load({
      url: withIt.url('/ping'),
      connections: CONNECTIONS,
      amount: 10_000,
      headers: html,
    })
    await sleep(500)
    const logLines = withIt.lines - before
    log(`overhead: ${logLines} log lines while answering 10,000 OFFLINE requests`)

    /**
     * A crowd pressing reload: memory and the log stay flat. The process
     * first grows to what 200 connections need (V8's heap, socket
     * buffers) during a warm-up; the soak is read from there, and a second
     * run of the same length tells growth that goes on (a leak) from
     * growth that has settled.
     */
    const offlineSoak = stack === 'kit' ? await soak(withIt, quick, html) : undefined

    await manager.deactivate()
    return {
      stack,
      loader: loader(),
      connections: CONNECTIONS,
      rounds,
      seconds,
      calibration,
      online_anonymous: onlineAnonymous,
      online_logged_in: onlineLoggedIn,
      pending_logged_in: pendingLoggedIn,
      pending_anonymous: pendingAnonymous,
      offline_html: offlineHtml,
      offline_json: offlineJson,
      offline_html_middleware: offlineHtmlMiddleware,
      log_lines_per_10k_offline: logLines,
      offline_10k_rps: Math.round(tenK.rps),
      ...(offlineSoak ? { offline_soak: offlineSoak } : {}),
    }
  } finally {
    await Promise.all([withIt.stop(), without.stop()])
    await manager.stop().catch(() => {})
    await rm(directory, { recursive: true, force: true })
  }
}

/**
 * What the soak loads: a process and the URL it answers on
 */
interface SoakTarget {
  pid: number
  url: string
  lines(): number
}

/**
 * Warm-up, then two runs of the same length at -c 200, reading RSS from
 * /proc before and after each
 */
async function soakRun(target: SoakTarget, quick: boolean, headers: Record<string, string>) {
  const seconds = quick ? 10 : 60
  const warmupSeconds = quick ? 3 : 15
  const crowd = (time: number) =>
    load({ url: target.url, connections: SOAK_CONNECTIONS, seconds: time, headers })
  await sleep(500)
  const rssIdle = rssMegabytes(target.pid)
  const linesStart = target.lines()
  await crowd(warmupSeconds)
  await sleep(500)
  const rssStart = rssMegabytes(target.pid)
  const first = await crowd(seconds)
  await sleep(500)
  const rssEnd = rssMegabytes(target.pid)
  const second = await crowd(seconds)
  await sleep(500)
  const rssSecondEnd = rssMegabytes(target.pid)
  return {
    seconds,
    connections: SOAK_CONNECTIONS,
    warmup_seconds: warmupSeconds,
    requests: first.total + second.total,
    rss_idle_mb: rssIdle,
    rss_start_mb: rssStart,
    rss_end_mb: rssEnd,
    rss_second_end_mb: rssSecondEnd,
    rss_change: round(rssEnd / rssStart - 1, 3),
    rss_second_change: round(rssSecondEnd / rssEnd - 1, 3),
    log_lines: target.lines() - linesStart,
  }
}

/**
 * The OFFLINE app under a crowd, then the same soak on a bare Node.js
 * server writing a 503 of the same size: how much of the memory growth is
 * Node's own
 */
async function soak(instance: AppInstance, quick: boolean, headers: Record<string, string>) {
  log(`overhead: OFFLINE soak at -c ${SOAK_CONNECTIONS}, the app, then a bare Node.js server`)
  const answer = await fetch(instance.url('/ping'), { headers })
  const page = await answer.arrayBuffer()
  const app = await soakRun(
    { pid: instance.child.pid!, url: instance.url('/ping'), lines: () => instance.lines },
    quick,
    headers
  )
  const bare = spawn(
    process.execPath,
    [
      fileURLToPath(new URL('lib/bare_server.ts', import.meta.url)),
      '39304',
      String(page.byteLength),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] }
  )
  try {
    await new Promise<void>((resolve, reject) => {
      bare.stdout!.once('data', () => resolve())
      bare.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)))
    })
    const control = await soakRun(
      { pid: bare.pid!, url: 'http://127.0.0.1:39304/ping', lines: () => 0 },
      quick,
      headers
    )
    const result = { ...app, bare_node: control }
    log(
      `overhead: soak answered ${app.requests} requests; RSS idle ${app.rss_idle_mb}, warm ${app.rss_start_mb} → ${app.rss_end_mb} → ${app.rss_second_end_mb} MB, ${app.log_lines} log lines; bare Node.js ${control.rss_idle_mb}, ${control.rss_start_mb} → ${control.rss_end_mb} → ${control.rss_second_end_mb} MB`
    )
    return result
  } finally {
    bare.kill('SIGKILL')
  }
}
