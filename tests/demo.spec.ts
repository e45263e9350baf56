/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from '@japa/runner'
import { ROOT } from '../support/fixture_processes.ts'
import { graph } from './import_graph.ts'
import { Client } from '../support/http_client.ts'

/**
 * `npm run demo` as the npm script runs it: its own node flags and
 * script, on this Node (process.execPath)
 */
async function demoArgv() {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'))
  const [node, ...argv] = (pkg.scripts.demo as string).split(/\s+/)
  if (node !== 'node') throw new Error(`scripts.demo does not run node: ${pkg.scripts.demo}`)
  return argv
}

/**
 * The demo as a real process, without a terminal (stdin is not a TTY)
 */
async function runDemo(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [...(await demoArgv()), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal }))
  )
  const waitFor = (pattern: RegExp, timeout = 60_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setInterval(() => {
        const match = output.match(pattern)
        if (match) {
          clearInterval(timer)
          resolve(match)
        } else if (child.exitCode !== null || Date.now() - started > timeout) {
          clearInterval(timer)
          reject(new Error(`No ${pattern} in the demo's output:\n${output}`))
        }
      }, 50)
      const started = Date.now()
    })
  return { child, done, output: () => output, waitFor }
}

function alive(pid: number) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

test.group('npm run demo', () => {
  test('loads no test-runner module', ({ assert }) => {
    const offenders = [...graph(['bin/demo.ts'])]
      .filter(([module]) => module.startsWith('@japa/'))
      .map(([module, chain]) => `${module} via ${chain.join(' → ')}`)
    assert.deepEqual(offenders, [])
    assert.isTrue(
      graph(['bin/demo.ts']).has('@adonisjs/lucid/database'),
      'the walk follows imports'
    )
  })

  test('--tour takes the fixture app through the whole job, step by step, and exits 0', async ({
    assert,
    cleanup,
  }) => {
    const demo = await runDemo(['--tour'])
    cleanup(() => void demo.child.kill('SIGKILL'))
    const { code } = await demo.done
    const output = demo.output()
    assert.equal(code, 0, output)

    const steps = [
      /^ 1\. ONLINE: an anonymous visitor opens \/ → 200 · census "Status: ONLINE - Active sessions: 0/m,
      /^ 2\. ada@example\.com logs in \(POST \/login\) → 302 to \/dashboard/m,
      /^ 3\. node ace offline:on --no-wait → "The site is PENDING: 1 active session, .*census "Status: PENDING - Active sessions: 1,/m,
      /^ 4\. PENDING: an anonymous visitor opens \/ → 503/m,
      /^ 5\. PENDING: the logged-in user opens \/dashboard → 200 with the banner/m,
      /^ 6\. PENDING: a newcomer tries to log in → 503 \(refused\)/m,
      /^ 7\. the logged-in user logs out: the drain finishes → 302 · OFFLINE, lock file \S+\/down present · census "Status: OFFLINE/m,
      /^ 8\. OFFLINE: an anonymous visitor opens \/ → 503/m,
      /^ 9\. node ace offline:off → "The site is ONLINE" · anonymous 200, lock file gone · census "Status: ONLINE/m,
    ]
    let from = 0
    for (const step of steps) {
      const match = output.slice(from).match(step)
      assert.isNotNull(match, `${step} (in order) in:\n${output}`)
      from += match!.index! + match![0].length
    }
    assert.include(output, 'The tour went as expected')

    /**
     * Nothing left behind: the app server is gone, and so is the state
     */
    const pid = Number(output.match(/app server pid (\d+)/)![1])
    const directory = output.match(/state in (\S+)/)![1]
    assert.isFalse(alive(pid), 'the app server is gone')
    assert.isTrue(directory.startsWith('tmp/demo/'), directory)
    assert.isFalse(existsSync(join(ROOT, directory)), 'the tour removed its state')
  }).timeout(120_000)

  test('the interactive demo serves a login page, runs Ace on its state, and stops on SIGTERM', async ({
    assert,
    cleanup,
  }) => {
    const directory = join(ROOT, 'tmp', 'demo', `test-${process.pid}`)
    cleanup(() => rm(directory, { recursive: true, force: true }))
    const env = { DEMO_DIR: directory }
    const demo = await runDemo([], env)
    cleanup(() => void demo.child.kill('SIGKILL'))
    const [, url, port, pid] = await demo.waitFor(
      /runs at (http:\/\/127\.0\.0\.1:(\d+))\/ {2}\(app server pid (\d+)\)/
    )
    await demo.waitFor(/Ctrl-C \(or SIGTERM\) stops the demo/)
    assert.include(demo.output(), 'ada@example.com')

    /**
     * A login form a browser can use
     */
    const page = await new Client({ host: '127.0.0.1', port: Number(port) }).get('/login')
    assert.equal(page.status, 200)
    assert.match(page.body, /<form method="POST" action="\/login">/)

    /**
     * `npm run demo -- offline:status`: Ace on the running demo's state
     */
    const status = await runDemo(['offline:status'], env)
    const result = await status.done
    assert.equal(result.code, 0, status.output())
    assert.include(status.output(), `the demo at ${url}/`)
    assert.include(status.output(), 'Status: ONLINE - Active sessions: 0')

    const started = Date.now()
    demo.child.kill('SIGTERM')
    const { code } = await demo.done
    assert.equal(code, 0, demo.output())
    assert.isBelow(Date.now() - started, 5_000, 'stopped promptly')
    assert.isFalse(alive(Number(pid)), 'the app server is gone')
    assert.isFalse(existsSync(join(directory, 'demo.json')), 'the record is removed')
  }).timeout(120_000)
})
