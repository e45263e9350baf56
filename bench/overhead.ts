/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { readFileSync } from 'node:fs'
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MaintenanceManager } from '../src/maintenance_manager.ts'
import { FileStore } from '../src/stores/file.ts'
import { freePort } from '../support/free_port.ts'
import { resolveConfig } from '../support/resolve_config.ts'
import { answerDifference, BareNode, rawAnswer } from './lib/answers.ts'
import { type AppEnv, AppInstance } from './lib/app.ts'
import { type Pinning, pinning } from './lib/cpu.ts'
import { type LoadResult, load, loader } from './lib/load.ts'
import { NGINX, Nginx } from './lib/nginx.ts'
import { interval95, log, median, round, sleep } from './lib/stats.ts'

const CONNECTIONS = 50

/**
 * What is loaded on each side, and the answer expected
 */
interface Side {
  headers: Record<string, string>
  expect: number
}

/**
 * What a side of a comparison loads: an app process, a bare Node.js
 * server, nginx
 */
interface Target {
  url(path: string): string
  /**
   * CPU time so far of every process that serves it
   */
  cpuMicroseconds(): number
}

/**
 * The same app with (A) and without (B) the package, loaded in turn,
 * never together (or A against another server, for the limits). `instances` gives the processes of one measurement
 * and what to do with them after it; it is called `processes` times.
 */
interface Comparison {
  name: string
  a: Side
  b: Side
  processes: number
  /**
   * Seconds of load each process takes before the rounds
   */
  warmup: number
  instances: () => Promise<{ a: Target; b: Target; done(): Promise<void> }>
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
  /**
   * CPU time of the app process per request (all its threads), medians
   * of the rounds, in µs
   */
  a_cpu_us: number
  b_cpu_us: number
  /**
   * Median of the per-round B ÷ A CPU time per request: like the req/s
   * ratios, below 1 when A costs more
   */
  cpu_ratio: number
  rounds: { a: number[]; b: number[] }
  /**
   * The paired ratio of each pair of processes measured
   */
  process_ratios: number[]
  /**
   * 95 % confidence interval of the mean of process_ratios (null with
   * fewer than 3 pairs): two processes of one build differ by a few
   * percent, so this, not the rounds, says how sure a ratio is
   */
  interval95: [number, number] | null
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
 * For each pair of processes, interleaved rounds, A first in even rounds
 * and B first in odd ones (A B B A A B…), after a short warm-up of each
 */
async function compare(
  comparison: Comparison,
  rounds: number,
  seconds: number,
  pins: Pinning | null
): Promise<PairResult> {
  const run = async (instance: Target, side: Side, time: number) => {
    const before = instance.cpuMicroseconds()
    const result = await load({
      url: instance.url('/ping'),
      connections: CONNECTIONS,
      seconds: time,
      headers: side.headers,
      cpu: pins?.load,
    })
    return { ...result, cpuUs: (instance.cpuMicroseconds() - before) / result.total }
  }
  const a: (LoadResult & { cpuUs: number })[] = []
  const b: (LoadResult & { cpuUs: number })[] = []
  for (let process = 0; process < comparison.processes; process++) {
    const instances = await comparison.instances()
    try {
      /**
       * A fresh process of the kit stack needs 10–15 s under load before
       * V8 has optimised its hot paths (its throughput doubles meanwhile)
       */
      await run(instances.a, comparison.a, comparison.warmup)
      await run(instances.b, comparison.b, comparison.warmup)
      for (let index = 0; index < rounds; index++) {
        if (index % 2 === 0) {
          a.push(await run(instances.a, comparison.a, seconds))
          b.push(await run(instances.b, comparison.b, seconds))
        } else {
          b.push(await run(instances.b, comparison.b, seconds))
          a.push(await run(instances.a, comparison.a, seconds))
        }
      }
    } finally {
      await instances.done()
    }
  }
  /**
   * A ÷ B of each round, in order: `rounds` of them per pair of processes
   */
  const roundRatios = a.map((r, index) => r.rps / b[index].rps)
  const processRatios = Array.from({ length: comparison.processes }, (_, process) =>
    round(median(roundRatios.slice(process * rounds, (process + 1) * rounds)), 3)
  )
  const aRps = median(a.map((r) => r.rps))
  const bRps = median(b.map((r) => r.rps))
  const aP99 = median(a.map((r) => r.p99))
  const bP99 = median(b.map((r) => r.p99))
  const result: PairResult = {
    ratio: round(aRps / bRps, 3),
    p99_ratio: round(aP99 / bP99, 3),
    paired_ratio: round(median(roundRatios), 3),
    a_cpu_us: round(median(a.map((r) => r.cpuUs)), 1),
    b_cpu_us: round(median(b.map((r) => r.cpuUs)), 1),
    cpu_ratio: round(median(a.map((r, index) => b[index].cpuUs / r.cpuUs)), 3),
    a_rps: Math.round(aRps),
    b_rps: Math.round(bRps),
    a_p99_ms: round(aP99, 2),
    b_p99_ms: round(bP99, 2),
    rounds: { a: a.map((r) => Math.round(r.rps)), b: b.map((r) => Math.round(r.rps)) },
    process_ratios: processRatios,
    interval95: interval95(processRatios),
    unexpected:
      a.reduce((sum, r) => sum + unexpected(r, comparison.a.expect), 0) +
      b.reduce((sum, r) => sum + unexpected(r, comparison.b.expect), 0),
  }
  log(
    `overhead ${comparison.name}: ${result.ratio}x (${result.a_rps} vs ${result.b_rps} req/s), paired ${result.paired_ratio}x, CPU ${result.cpu_ratio}x (${result.a_cpu_us} vs ${result.b_cpu_us} µs/request), p99 ${result.a_p99_ms} vs ${result.b_p99_ms} ms${processRatios.length > 1 ? `, per pair of processes ${processRatios.join(', ')}` : ''}${result.interval95 ? ` (95% CI ${result.interval95.join('–')})` : ''}${result.unexpected ? `, ${result.unexpected} UNEXPECTED answers` : ''}`
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
 * The fixture app's middleware stacks for the benchmark
 * (tests/fixtures/app/start/kernel.ts)
 */
export type Stack = 'kit' | 'minimal'

/**
 * `all`: everything; `limits`: only the OFFLINE answers and their limits
 * (a bare Node.js server, nginx), on a site gone straight to OFFLINE
 */
export type OverheadPart = 'all' | 'limits'

export interface OverheadResult {
  stack: Stack
  part: OverheadPart
  loader: string
  /**
   * The cores the app and the load generator ran on, null when not pinned
   */
  pinning: Pinning | null
  connections: number
  /**
   * Pairs of fresh processes per pass-through comparison, rounds per pair
   */
  processes: number
  /**
   * Seconds of load each fresh process takes before its rounds
   */
  warmup_seconds: number
  rounds: number
  /**
   * Rounds of the maintenance answers (one pair of processes)
   */
  answer_rounds: number
  seconds: number
  /**
   * The bare app against a second instance of itself: how far from 1 a
   * ratio strays with no difference at all
   */
  calibration?: PairResult
  online_anonymous?: PairResult
  online_logged_in?: PairResult
  pending_logged_in?: PairResult
  pending_anonymous?: PairResult
  offline_html: PairResult
  offline_json: PairResult
  /**
   * OFFLINE HTML with `earlyAnswer: false`: the middleware's own answer
   */
  offline_html_middleware?: PairResult
  /**
   * The app's early OFFLINE answer ÷ a bare Node.js server replaying it
   * (status, headers, body; Date aside), on the same core, interleaved
   */
  offline_html_vs_bare_node: PairResult
  offline_json_vs_bare_node: PairResult
  /**
   * The same, with A a fresh OFFLINE app process started for the pair
   * (warmed up like B) instead of the long-running one: it tells the
   * answer's own cost from what a process that has served the earlier
   * sections carries
   */
  offline_html_fresh_vs_bare_node?: PairResult
  offline_json_fresh_vs_bare_node?: PairResult
  /**
   * The app's early OFFLINE answer, HTML, ÷ nginx serving the static page
   * while the lock file exists (`offline:snippet nginx`); absent without nginx
   */
  offline_html_vs_nginx?: PairResult
  limits: {
    html_answer_bytes: number
    json_answer_bytes: number
    /**
     * The static page nginx serves (the app's HTML answer has the same body)
     */
    nginx_page_bytes: number | null
    /**
     * Whether nginx's body is the app's HTML answer, byte for byte
     */
    nginx_body_is_app_answer: boolean | null
    /**
     * nginx's answer as sent: status line and header lines
     */
    nginx_head: string[] | null
    nginx_rps: number | null
    nginx_cpu_us: number | null
    /**
     * nginx's OFFLINE answers per second ÷ the app's normal route (B of
     * offline_html, measured in the same run)
     */
    nginx_vs_normal_route: number | null
  }
  log_lines_per_10k_offline?: number
  offline_10k_rps?: number
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
     * The same soak on a bare Node.js server replaying the app's 503
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

export async function benchOverhead(
  quick: boolean,
  stack: Stack,
  part: OverheadPart = 'all'
): Promise<OverheadResult> {
  /**
   * Short rounds: the machine's background load drifts over seconds, and
   * A and B of one round share it. Two processes of the same build differ
   * by up to ±5 % (JIT decisions, memory layout; fixed V8 hash and random
   * seeds did not narrow it), more than rounds of one pair differ, so the
   * pass-through comparisons run on 8 fresh pairs of processes, a few
   * rounds each; the maintenance answers, many times faster, on one.
   */
  const processes = quick ? 1 : 8
  const warmup = quick ? 1 : 8
  const rounds = quick ? 2 : 4
  const answerRounds = quick ? 2 : 8
  const seconds = 2
  const pins = pinning()
  const directory = await mkdtemp(join(tmpdir(), 'site-maintenance-bench-'))
  /**
   * nginx runs as nobody when the bench runs as root: it must reach the
   * lock file and the static page the app writes in here
   */
  await chmod(directory, 0o755)
  const stateDir = join(directory, 'state')
  const store = new FileStore(stateDir)
  const manager = new MaintenanceManager(
    await resolveConfig(store, { lockFile: join(directory, 'down-bench') })
  )
  const app = (port: number, withMaintenance: boolean, tag: string, extra: AppEnv = {}) =>
    new AppInstance(
      port,
      {
        ...extra,
        FIXTURE_STACK: stack,
        FIXTURE_MAINTENANCE: String(withMaintenance),
        MAINTENANCE_STORE: 'file',
        MAINTENANCE_DIR: stateDir,
        MAINTENANCE_LOCK_FILE: join(directory, `down-${tag}`),
        MAINTENANCE_STATIC_PAGE: join(directory, `public-${tag}/maintenance/index.html`),
      },
      pins?.app
    )
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
    const loggedInA = { ...html, cookie: userA.cookie }
    const loggedInB = { ...html, cookie: userB.cookie }

    /**
     * Fresh processes for each measurement: A (with the package unless
     * `withPackage` is false, the calibration) and B, once A answers an
     * anonymous request with `status`. Logged-in cookies stay valid: the
     * cookie session store and the marker are signed with the same key.
     */
    const fresh = (
      status: number,
      withPackage = true,
      extra: AppEnv = {}
    ): Comparison['instances'] => {
      return async () => {
        /**
         * Ports from the OS: a fixed one may be held by a client socket
         * of the previous rounds (loopback's ephemeral range covers it);
         * a start that still loses the race is tried again
         */
        for (let attempt = 1; ; attempt++) {
          const [portA, portB] = [await freePort(), await freePort()]
          const a = app(portA, withPackage, `a${portA}`, extra)
          const b = app(portB, false, `b${portB}`)
          const done = async () => {
            await Promise.all([a.stop(), b.stop()])
          }
          try {
            await Promise.all([a.ready(), b.ready()])
            await waitFor(a, status)
            return { a, b, done }
          } catch (error) {
            await done()
            if (attempt === 3) throw error
            log(
              `overhead: a fresh pair did not start, again (${(error as Error).message.split('\n')[0]})`
            )
          }
        }
      }
    }
    /**
     * Both sides answer 200: `headers` of A and of B; `status` is what A
     * answers an anonymous request with (503 while PENDING)
     */
    const passThrough = (
      name: string,
      headers: [Record<string, string>, Record<string, string>],
      status: number,
      withPackage = true
    ) =>
      compare(
        {
          name,
          a: { headers: headers[0], expect: 200 },
          b: { headers: headers[1], expect: 200 },
          processes,
          warmup,
          instances: fresh(status, withPackage),
        },
        rounds,
        seconds,
        pins
      )

    /**
     * A's maintenance answer against B's normal route, on the long-running
     * pair (already warm), or on a pair of `freshPair` warmed up like the
     * others
     */
    const answer = (
      name: string,
      headers: Record<string, string>,
      freshPair?: Comparison['instances']
    ) =>
      compare(
        {
          name,
          a: { headers, expect: 503 },
          b: { headers, expect: 200 },
          processes: 1,
          warmup: freshPair ? warmup : 2,
          instances: freshPair ?? (async () => ({ a: withIt, b: without, done: async () => {} })),
        },
        answerRounds,
        seconds,
        pins
      )

    /**
     * The early answer against another server `start` gives, on the
     * long-running A (already warm) and a fresh server, both answering 503
     */
    const limit = (
      name: string,
      headers: Record<string, string>,
      start: () => Promise<Target & { stop(): Promise<void> }>,
      freshApp = false
    ) =>
      compare(
        {
          name,
          a: { headers, expect: 503 },
          b: { headers, expect: 503 },
          processes: 1,
          warmup: 2,
          instances: async () => {
            const a = freshApp ? await freshOffline() : withIt
            const server = await start()
            return {
              a,
              b: server,
              done: async () => {
                await server.stop()
                if (a !== withIt) await a.stop()
              },
            }
          },
        },
        answerRounds,
        seconds,
        pins
      )

    /**
     * A new app process on the site gone OFFLINE, answering 503
     */
    const freshOffline = async () => {
      const port = await freePort()
      const instance = app(port, true, `f${port}`)
      try {
        await instance.ready()
        await waitFor(instance, 503)
      } catch (error) {
        await instance.stop()
        throw error
      }
      return instance
    }

    log(`overhead (${stack} stack): ONLINE`)
    await waitFor(withIt, 200)

    let passing: Pick<
      OverheadResult,
      'calibration' | 'online_anonymous' | 'online_logged_in' | 'pending_logged_in'
    > & { pending_anonymous?: PairResult } = {}
    if (part === 'all') {
      /**
       * The noise floor: the bare app against a second instance of itself,
       * the package in neither, measured the same way
       */
      const calibration = await passThrough(
        'calibration, the bare app against itself',
        [html, html],
        200,
        false
      )
      const onlineAnonymous = await passThrough('ONLINE anonymous', [html, html], 200)
      const onlineLoggedIn = await passThrough('ONLINE logged in', [loggedInA, loggedInB], 200)

      /**
       * PENDING: a live session in the census keeps the drain going; the
       * bench user logged in before it began and passes
       */
      log(`overhead (${stack} stack): PENDING`)
      await store.touchSession('bench-someone-else', 99, Date.now() + 3_600_000)
      const pending = await manager.activate({ timeout: 3_600_000 })
      if (pending.state.status !== 'pending') throw new Error('the site did not go PENDING')
      await waitFor(withIt, 503)
      const pendingLoggedIn = await passThrough('PENDING logged in', [loggedInA, loggedInB], 503)
      const pendingAnonymous = await answer('PENDING anonymous answer vs normal route', html)
      passing = {
        calibration,
        online_anonymous: onlineAnonymous,
        online_logged_in: onlineLoggedIn,
        pending_logged_in: pendingLoggedIn,
        pending_anonymous: pendingAnonymous,
      }
    }

    log(`overhead (${stack} stack): OFFLINE`)
    await manager.activate({ force: true })
    await waitFor(withIt, 503)
    const offlineHtml = await answer('OFFLINE HTML answer vs normal route', html)
    const offlineJson = await answer('OFFLINE JSON answer vs normal route', json)

    /**
     * The limits: a bare Node.js server replaying the app's early answer
     * byte for byte (Date aside) is what Node.js allows on this core
     */
    const replay = async (headers: Record<string, string>) => {
      const original = await rawAnswer(withIt.port, '/ping', headers)
      return {
        original,
        start: async () => {
          const bare = await BareNode.start(original, pins?.app)
          const difference = answerDifference(
            original,
            await rawAnswer(bare.port, '/ping', headers)
          )
          if (difference) {
            await bare.stop()
            throw new Error(`the bare server's answer differs from the app's: ${difference}`)
          }
          return bare
        },
      }
    }
    const htmlReplay = await replay(html)
    const jsonReplay = await replay(json)
    const htmlVsBare = await limit(
      'OFFLINE HTML early answer vs a bare Node.js server',
      html,
      htmlReplay.start
    )
    const jsonVsBare = await limit(
      'OFFLINE JSON early answer vs a bare Node.js server',
      json,
      jsonReplay.start
    )
    const htmlFreshVsBare = await limit(
      'OFFLINE HTML early answer of a fresh app process vs a bare Node.js server',
      html,
      htmlReplay.start,
      true
    )
    const jsonFreshVsBare = await limit(
      'OFFLINE JSON early answer of a fresh app process vs a bare Node.js server',
      json,
      jsonReplay.start,
      true
    )

    /**
     * The web-server level: nginx answering from the lock file and the
     * static page the app wrote, with the package's own snippet
     */
    let htmlVsNginx: PairResult | undefined
    let nginxPageBytes: number | null = null
    let nginxHead: string[] | null = null
    let nginxBodyIsApp: boolean | null = null
    if (NGINX) {
      const pageDir = join(directory, 'public-a')
      const page = await readFile(join(pageDir, 'maintenance/index.html'))
      nginxPageBytes = page.length
      htmlVsNginx = await limit('OFFLINE HTML early answer vs nginx', html, async () => {
        const nginx = await Nginx.start({
          lockFile: join(directory, 'down-a'),
          pageDir,
          upstream: `127.0.0.1:${withIt.port}`,
          cpu: pins?.app,
        })
        const served = await rawAnswer(nginx.port, '/ping', html)
        if (served.status !== 503 || !served.body.equals(page)) {
          await nginx.stop()
          throw new Error(`nginx answered ${served.status} without the static page`)
        }
        nginxHead = [
          `${served.status} ${served.reason}`,
          ...served.headers.map(([name, value]) => `${name}: ${value}`),
        ]
        nginxBodyIsApp = served.body.equals(htmlReplay.original.body)
        return nginx
      })
    } else {
      log('overhead: nginx is not installed, no web-server limit')
    }
    const limits: OverheadResult['limits'] = {
      html_answer_bytes: htmlReplay.original.body.length,
      json_answer_bytes: jsonReplay.original.body.length,
      nginx_page_bytes: nginxPageBytes,
      nginx_body_is_app_answer: nginxBodyIsApp,
      nginx_head: nginxHead,
      nginx_rps: htmlVsNginx ? htmlVsNginx.b_rps : null,
      nginx_cpu_us: htmlVsNginx ? htmlVsNginx.b_cpu_us : null,
      nginx_vs_normal_route: htmlVsNginx ? round(htmlVsNginx.b_rps / offlineHtml.b_rps, 2) : null,
    }
    const limitResults = {
      offline_html_vs_bare_node: htmlVsBare,
      offline_json_vs_bare_node: jsonVsBare,
      offline_html_fresh_vs_bare_node: htmlFreshVsBare,
      offline_json_fresh_vs_bare_node: jsonFreshVsBare,
      ...(htmlVsNginx ? { offline_html_vs_nginx: htmlVsNginx } : {}),
      limits,
    }

    if (part === 'limits') {
      await manager.deactivate()
      return {
        stack,
        part,
        loader: loader(),
        pinning: pins,
        connections: CONNECTIONS,
        processes,
        warmup_seconds: warmup,
        rounds,
        answer_rounds: answerRounds,
        seconds,
        offline_html: offlineHtml,
        offline_json: offlineJson,
        ...limitResults,
      }
    }

    /**
     * The same HTML answer written by the middleware (earlyAnswer: false)
     */
    const offlineHtmlMiddleware = await answer(
      'OFFLINE HTML answer by the middleware vs normal route',
      html,
      fresh(503, true, { MAINTENANCE_EARLY_ANSWER: 'false' })
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
    const offlineSoak = stack === 'kit' ? await soak(withIt, quick, html, pins) : undefined

    await manager.deactivate()
    return {
      stack,
      part,
      loader: loader(),
      pinning: pins,
      connections: CONNECTIONS,
      processes,
      warmup_seconds: warmup,
      rounds,
      answer_rounds: answerRounds,
      seconds,
      ...passing,
      offline_html: offlineHtml,
      offline_json: offlineJson,
      offline_html_middleware: offlineHtmlMiddleware,
      ...limitResults,
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
async function soakRun(
  target: SoakTarget,
  quick: boolean,
  headers: Record<string, string>,
  pins: Pinning | null
) {
  const seconds = quick ? 10 : 60
  const warmupSeconds = quick ? 3 : 15
  const crowd = (time: number) =>
    load({
      url: target.url,
      connections: SOAK_CONNECTIONS,
      seconds: time,
      headers,
      cpu: pins?.load,
    })
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
 * server replaying the app's 503: how much of the memory growth is Node's
 * own
 */
async function soak(
  instance: AppInstance,
  quick: boolean,
  headers: Record<string, string>,
  pins: Pinning | null
) {
  log(`overhead: OFFLINE soak at -c ${SOAK_CONNECTIONS}, the app, then a bare Node.js server`)
  const answer = await rawAnswer(instance.port, '/ping', headers)
  const app = await soakRun(
    { pid: instance.child.pid!, url: instance.url('/ping'), lines: () => instance.lines },
    quick,
    headers,
    pins
  )
  const bare = await BareNode.start(answer, pins?.app)
  try {
    const controlRun = await soakRun(
      { pid: bare.pid, url: bare.url('/ping'), lines: () => 0 },
      quick,
      headers,
      pins
    )
    const result = { ...app, bare_node: controlRun }
    log(
      `overhead: soak answered ${app.requests} requests; RSS idle ${app.rss_idle_mb}, warm ${app.rss_start_mb} → ${app.rss_end_mb} → ${app.rss_second_end_mb} MB, ${app.log_lines} log lines; bare Node.js ${controlRun.rss_idle_mb}, ${controlRun.rss_start_mb} → ${controlRun.rss_end_mb} → ${controlRun.rss_second_end_mb} MB`
    )
    return result
  } finally {
    await bare.stop()
  }
}
