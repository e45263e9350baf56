/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from '@japa/runner'
import { createFixtureApp, type FixtureApp } from './fixture_app.ts'
import { createManager } from './helpers.ts'

/**
 * The fixture with adonisjs-scheduler, its commands recording each run in
 * a work log (tests/fixtures/app/commands, start/scheduler.ts)
 */
async function schedulerApp() {
  const app = await createFixtureApp('file')
  const workLog = join(app.directory, 'work.log')
  const env = { FIXTURE_SCHEDULER: 'true', FIXTURE_WORK_LOG: workLog }
  const runs = () => (existsSync(workLog) ? readFileSync(workLog, 'utf8').split('\n') : [])
  const count = (job: string) => runs().filter((line) => line === job).length
  return { app, env, runs, count, manager: await createManager(app.store) }
}

/**
 * Poll until `ready()` holds; bounded, with the last output in the error
 */
async function until(ready: () => boolean, what: string, output: () => string, timeout = 30_000) {
  const end = Date.now() + timeout
  while (!ready()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}; output:\n${output()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/**
 * The app logger's messages (pino writes JSON lines) equal to `message`
 */
function logged(output: string, message: string) {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .filter((line) => JSON.parse(line).msg === message).length
}

async function goPending(app: FixtureApp, manager: Awaited<ReturnType<typeof createManager>>) {
  await app.store.touchSession('someone', 1, Date.now() + 60_000)
  await manager.activate()
}

test.group('Background work | Ace commands marked to hold', () => {
  test('a held command exits 0 without doing its work while {$self}, and says so')
    .with(['PENDING', 'OFFLINE'] as const)
    .run(async ({ assert }, status) => {
      const { app, env, count, manager } = await schedulerApp()
      if (status === 'PENDING') await goPending(app, manager)
      else await manager.activate({ force: true })
      assert.equal((await app.store.read())!.status, status.toLowerCase())

      const result = await app.ace(['report:send'], env)
      assert.equal(result.code, 0, result.stdout + result.stderr)
      assert.include(
        result.stdout,
        `Skipped "report:send": the site is ${status} and this command holds during maintenance`
      )
      assert.notInclude(result.stdout, 'report sent')
      assert.equal(count('report'), 0)

      /**
       * Only marked commands hold when run by hand
       */
      const unmarked = await app.ace(['tokens:prune'], env)
      assert.equal(unmarked.code, 0, unmarked.stdout + unmarked.stderr)
      assert.equal(count('prune'), 1)
    })

  test('the held command runs while ONLINE', async ({ assert }) => {
    const { app, env, count } = await schedulerApp()
    const result = await app.ace(['report:send'], env)
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.include(result.stdout, 'report sent')
    assert.notInclude(result.stdout, 'Skipped')
    assert.equal(count('report'), 1)
  })
})

test.group('Background work | adonisjs-scheduler', () => {
  test('scheduler:run skips the schedules while OFFLINE, logs each skip once, and resumes ONLINE', async ({
    assert,
  }) => {
    const { app, env, count, manager } = await schedulerApp()
    await manager.activate({ force: true })

    const scheduler = app.spawnAce(['scheduler:run'], env)
    await scheduler.waitForOutput(/Schedule worker started/, 30_000)

    /**
     * Three ticks of the schedules marked to run anyway: the held ones
     * had as many chances to run
     */
    await until(
      () => count('backup') >= 3 && count('callback-anyway') >= 3,
      'three runs of the schedules marked to run anyway',
      scheduler.output
    )
    assert.equal(count('prune'), 0, 'an unmarked scheduled command is held')
    assert.equal(count('report'), 0, 'a command marked hold is held')
    assert.equal(count('callback'), 0, 'a scheduled callback is held')
    for (const job of ['tokens:prune', 'report:send', 'callback #4']) {
      assert.equal(
        logged(
          scheduler.output(),
          `site-maintenance: skipping "${job}" while the site is OFFLINE (logged once until the state changes)`
        ),
        1,
        `${job} logged once:\n${scheduler.output()}`
      )
    }
    assert.notInclude(scheduler.output(), 'backup:database" while')

    await manager.deactivate()
    await until(
      () => count('prune') >= 2 && count('report') >= 2 && count('callback') >= 2,
      'the held schedules to run again',
      scheduler.output
    )
    assert.equal(
      logged(scheduler.output(), 'site-maintenance: the site is ONLINE, held jobs run again'),
      1
    )

    scheduler.child.kill('SIGTERM')
    await scheduler.done
  }).timeout(90_000)
})
