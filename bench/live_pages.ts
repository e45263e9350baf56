/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { Agent, request, type ClientRequest } from 'node:http'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ace, type AppEnv, AppInstance } from './lib/app.ts'
import { pinning } from './lib/cpu.ts'
import { log, round, sleep } from './lib/stats.ts'

/**
 * Open pages, and the live script's interval (the fixture's default, the
 * package's `bannerInterval`)
 */
const PAGES = 10_000
const INTERVAL_S = 5
const STATUS = '/__maintenance/status'
const CHANNEL = 'site-maintenance/status'

/**
 * autocannon ships no types; the part used here
 */
const autocannon = createRequire(import.meta.url)('autocannon') as (options: object) => Promise<{
  errors: number
  timeouts: number
  non2xx: number
  statusCodeStats: Record<string, { count: number }>
}>

export interface LivePagesResult {
  pages: number
  interval_s: number
  stack: 'kit'
  pinned: boolean
  polling: {
    idle_cpu_percent: number
    idle_rss_mb: number
    target_rps: number
    achieved_rps: number
    seconds: number
    errors: number
    cpu_percent: number
    cpu_us_per_poll: number
    /**
     * CPU µs per poll × the target rate: what the pages ask of the app,
     * in % of one core (above 100 % one process cannot keep up)
     */
    cpu_percent_at_target: number
    rss_mb: number
  }
  transmit: {
    idle_cpu_percent: number
    idle_rss_mb: number
    ping_interval_s: number
    steps: Array<{ connections: number; rss_mb: number; kb_per_connection: number }>
    connections: number
    open_seconds: number
    idle_seconds: number
    idle_cpu_percent_with_connections: number
    broadcast: { delivered: number; last_ms: number; cpu_ms: number }
  }
}

/**
 * What 10,000 idle pages with the live banner cost the app: polling the
 * status endpoint every 5 s (2,000 req/s, sent at that rate by a bounded
 * loop over keep-alive connections), and, with @adonisjs/transmit,
 * 10,000 open event streams subscribed to the channel (RSS per stream,
 * CPU while idle, one broadcast to all). The fixture app on the starter
 * kit's stack, compiled (bench/lib/app.ts), on loopback.
 */
export async function benchLivePages(quick: boolean): Promise<LivePagesResult> {
  const directory = await mkdtemp(join(tmpdir(), 'site-maintenance-live-'))
  const pins = pinning()
  const env = (transmit: boolean): AppEnv => ({
    FIXTURE_STACK: 'kit',
    FIXTURE_TRANSMIT: String(transmit),
    MAINTENANCE_STORE: 'file',
    MAINTENANCE_DIR: join(directory, 'state'),
    MAINTENANCE_LOCK_FILE: join(directory, 'down'),
    MAINTENANCE_STATIC_PAGE: join(directory, 'public/maintenance/index.html'),
    MAINTENANCE_BANNER_LIVE: 'true',
    MAINTENANCE_BANNER_INTERVAL: `${INTERVAL_S}s`,
  })
  try {
    const polling = await benchPolling(env(false), pins?.app, quick)
    const transmit = await benchStreams(env(true), pins?.app, quick)
    return { pages: PAGES, interval_s: INTERVAL_S, stack: 'kit', pinned: !!pins, polling, transmit }
  } finally {
    await rm(directory, { recursive: true, force: true })
  }
}

/**
 * The app's CPU use over `seconds`, in % of one core
 */
async function cpuPercent(app: AppInstance, seconds: number, during?: Promise<unknown>) {
  const cpu = app.cpuMicroseconds()
  const start = performance.now()
  await (during ?? sleep(seconds * 1000))
  const elapsed = performance.now() - start
  return round(((app.cpuMicroseconds() - cpu) / 1000 / elapsed) * 100, 1)
}

function rssMb(app: AppInstance) {
  const status = readFileSync(`/proc/${app.child.pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1])
  return round(kb / 1024, 1)
}

async function benchPolling(env: AppEnv, cpu: string | undefined, quick: boolean) {
  const app = new AppInstance(39410, env, cpu)
  try {
    await app.ready()
    const idleSeconds = quick ? 3 : 10
    log(`live pages: polling, idle ${idleSeconds} s`)
    await sleep(2000)
    const idleCpu = await cpuPercent(app, idleSeconds)
    const idleRss = rssMb(app)

    const rate = PAGES / INTERVAL_S
    const warmup = quick ? 3 : 15
    const seconds = quick ? 5 : 20
    log(`live pages: ${PAGES} pages polling every ${INTERVAL_S} s = ${rate} req/s`)
    await pollAt(app, rate, warmup)
    const cpuBefore = app.cpuMicroseconds()
    const started = performance.now()
    const { sent, errors } = await pollAt(app, rate, seconds)
    const elapsed = (performance.now() - started) / 1000
    const cpuUs = app.cpuMicroseconds() - cpuBefore
    return {
      idle_cpu_percent: idleCpu,
      idle_rss_mb: idleRss,
      target_rps: rate,
      achieved_rps: round(sent / elapsed, 0),
      seconds,
      errors,
      cpu_percent: round((cpuUs / 1e6 / elapsed) * 100, 1),
      cpu_us_per_poll: round(cpuUs / sent, 0),
      cpu_percent_at_target: round(((cpuUs / sent) * rate) / 1e4, 0),
      rss_mb: rssMb(app),
    }
  } finally {
    await app.stop()
  }
}

/**
 * GET the status endpoint at `rate` per second for `seconds` (autocannon's
 * overall rate over 64 keep-alive connections), as the pages' polls
 * arrive: no cookie. Counts every answer, errors apart.
 */
async function pollAt(app: AppInstance, rate: number, seconds: number) {
  const result = await autocannon({
    url: app.url(STATUS),
    connections: 64,
    overallRate: rate,
    duration: seconds,
    timeout: 10,
  })
  const answers = Object.values(result.statusCodeStats).reduce((sum, stat) => sum + stat.count, 0)
  return { sent: answers, errors: result.non2xx + result.errors + result.timeouts }
}

async function benchStreams(env: AppEnv, cpu: string | undefined, quick: boolean) {
  const app = new AppInstance(39411, env, cpu)
  const streams: ClientRequest[] = []
  let delivered = 0
  let lastDelivery = 0
  try {
    await app.ready()
    const idleSeconds = quick ? 3 : 10
    await sleep(2000)
    log(`live pages: transmit, idle ${idleSeconds} s`)
    const idleCpu = await cpuPercent(app, idleSeconds)
    const idleRss = rssMb(app)

    const agent = new Agent({ keepAlive: true, maxSockets: 32 })
    const open = (uid: string) =>
      new Promise<void>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: app.port,
            path: `/__transmit/events?uid=${uid}`,
            agent: false,
            headers: { accept: 'text/event-stream' },
          },
          (res) => {
            if (res.statusCode !== 200) return reject(new Error(`stream: ${res.statusCode}`))
            res.setEncoding('utf8')
            res.on('data', (chunk: string) => {
              if (chunk.includes(CHANNEL)) {
                delivered++
                lastDelivery = performance.now()
              }
            })
            res.on('error', () => {})
            resolve()
          }
        )
        req.on('error', reject)
        req.end()
        streams.push(req)
      })
    const subscribe = (uid: string) =>
      new Promise<void>((resolve, reject) => {
        const body = new URLSearchParams({ uid, channel: CHANNEL, revision: '0' }).toString()
        const req = request(
          {
            host: '127.0.0.1',
            port: app.port,
            path: '/__transmit/subscribe',
            method: 'POST',
            agent,
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              'content-length': String(body.length),
            },
          },
          (res) => {
            res.resume()
            if (res.statusCode !== 204) reject(new Error(`subscribe: ${res.statusCode}`))
            else res.on('end', () => resolve())
          }
        )
        req.on('error', reject)
        req.end(body)
      })

    /**
     * Opened as pages would be, 200 at a time; RSS at each step
     */
    const targets = quick ? [1000, 2000] : [1000, 5000, PAGES]
    const steps: LivePagesResult['transmit']['steps'] = []
    const openedAt = performance.now()
    for (const target of targets) {
      while (streams.length < target) {
        const batch = Array.from(
          { length: Math.min(200, target - streams.length) },
          (_, index) => `page-${streams.length + index}`
        )
        await Promise.all(batch.map((uid) => open(uid).then(() => subscribe(uid))))
      }
      await sleep(3000)
      const rss = rssMb(app)
      steps.push({
        connections: target,
        rss_mb: rss,
        kb_per_connection: round(((rss - idleRss) * 1024) / target, 1),
      })
      log(`live pages: ${target} streams, RSS ${rss} MB`)
    }
    const openSeconds = round((performance.now() - openedAt) / 1000, 1)
    agent.destroy()
    /**
     * The catch-up each subscription got (revision 0 is older than the
     * state's) is not the broadcast
     */
    await sleep(1000)
    delivered = 0

    /**
     * Idle over one ping interval (config/transmit.ts: 30 s)
     */
    const idleWith = quick ? 10 : 30
    log(`live pages: ${streams.length} idle streams, ${idleWith} s`)
    const idleWithStreams = await cpuPercent(app, idleWith)

    /**
     * One state change, pushed to every stream
     */
    const cpuBefore = app.cpuMicroseconds()
    const forced = await ace(['offline:on', '--force'], env)
    if (forced.code !== 0) throw new Error(`offline:on failed:\n${forced.output}`)
    const waitStart = performance.now()
    while (delivered < streams.length && performance.now() - waitStart < 30_000) await sleep(20)
    const broadcast = {
      delivered,
      last_ms: round(lastDelivery - forced.exitedAt, 0),
      cpu_ms: round((app.cpuMicroseconds() - cpuBefore) / 1000, 0),
    }
    await ace(['offline:off'], env)

    return {
      idle_cpu_percent: idleCpu,
      idle_rss_mb: idleRss,
      ping_interval_s: 30,
      steps,
      connections: streams.length,
      open_seconds: openSeconds,
      idle_seconds: idleWith,
      idle_cpu_percent_with_connections: idleWithStreams,
      broadcast,
    }
  } finally {
    for (const stream of streams) stream.destroy()
    await app.stop()
  }
}
