/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { USER } from '../../support/database.ts'
import { Client } from '../../support/http_client.ts'
import { type DemoSite, ace, demoDirectory, exit, shown, startSite } from './site.ts'

/**
 * `npm run demo -- --tour`: the whole job, unattended, on a fresh demo
 * site. Each step prints what a visitor got and the census; the first
 * step not as expected ends the tour with exit 1, naming it.
 */
class StepFailed extends Error {}

function expect(condition: boolean, message: string) {
  if (!condition) throw new StepFailed(message)
}

/**
 * Poll until `check` holds, at most `timeout` ms
 */
async function eventually(what: string, check: () => boolean | Promise<boolean>, timeout = 10_000) {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > timeout) throw new StepFailed(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

export async function tour() {
  const directory = demoDirectory(`tour-${process.pid}`)
  console.log('site-maintenance demo tour: tests/fixtures/app, file store and SQLite')
  console.log(`  state in ${shown(directory)}`)
  const site = await startSite(directory)
  console.log(`  app server pid ${site.server.child.pid} on ${site.url}/\n`)

  const census = async () => {
    const result = await ace(directory, ['offline:status'])
    expect(result.code === 0, `offline:status exited ${result.code}: ${result.stderr}`)
    return result.stdout.trim().split('\n').join(', ')
  }
  /**
   * Run a command; its line that names `state`
   */
  const command = async (args: string[], state: string) => {
    const result = await ace(directory, args)
    const said = result.stdout.replace(/^\[ \w+ \] /gm, '').trim()
    expect(result.code === 0, `${args.join(' ')} exited ${result.code}: ${said}${result.stderr}`)
    const line = said.split('\n').find((text) => text.includes(state))
    expect(line !== undefined, `expected ${state}: ${said}`)
    return line!
  }
  const anonymous = () => new Client(site.server).status('/')
  const anonymousGets = (status: number) =>
    eventually(`anonymous visitors to get ${status}`, async () => (await anonymous()) === status)

  const user = new Client(site.server)
  let number = 0
  const step = async (name: string, run: () => Promise<string>) => {
    number++
    try {
      const detail = await run()
      console.log(`${String(number).padStart(2)}. ${name} → ${detail}`)
    } catch (error) {
      console.log(`${String(number).padStart(2)}. ${name} ✗ ${(error as Error).message}`)
      console.log(
        `\nThe tour failed at step ${number} (${name}); state kept in ${shown(directory)}`
      )
      await exit(1)
    }
  }

  await step('ONLINE: an anonymous visitor opens /', async () => {
    const status = await anonymous()
    expect(status === 200, `expected 200, got ${status}`)
    const line = await census()
    expect(line.includes('ONLINE'), `census: ${line}`)
    return `${status} · census "${line}"`
  })

  await step(`${USER.email} logs in (POST /login)`, async () => {
    const response = await user.request('POST', '/login', { form: USER })
    expect(response.status === 302, `expected 302, got ${response.status}`)
    const dashboard = await user.status('/dashboard')
    expect(dashboard === 200, `GET /dashboard: expected 200, got ${dashboard}`)
    return `${response.status} to ${response.headers.location}, /dashboard ${dashboard}`
  })

  await step('node ace offline:on --no-wait', async () => {
    const said = await command(['offline:on', '--no-wait'], 'PENDING')
    const line = await census()
    expect(/PENDING - Active sessions: 1\b/.test(line), `expected 1 active session: ${line}`)
    await anonymousGets(503)
    return `"${said}" · census "${line}"`
  })

  await step('PENDING: an anonymous visitor opens /', async () => {
    const status = await anonymous()
    expect(status === 503, `expected 503, got ${status}`)
    return `${status} (the maintenance page)`
  })

  await step('PENDING: the logged-in user opens /dashboard', async () => {
    const response = await user.get('/dashboard')
    expect(response.status === 200, `expected 200, got ${response.status}`)
    expect(response.body.includes('class="sm-banner'), 'no banner on the page')
    return `${response.status} with the banner`
  })

  await step('PENDING: a newcomer tries to log in', async () => {
    const response = await new Client(site.server).request('POST', '/login', { form: USER })
    expect(response.status === 503, `expected 503, got ${response.status}`)
    return `${response.status} (refused)`
  })

  await step('the logged-in user logs out: the drain finishes', async () => {
    const response = await user.request('POST', '/logout')
    expect(response.status === 302, `POST /logout: expected 302, got ${response.status}`)
    await eventually('the lock file', () => existsSync(site.lockFile))
    const line = await census()
    expect(line.includes('OFFLINE'), `expected OFFLINE: ${line}`)
    return `${response.status} · OFFLINE, lock file ${shown(site.lockFile)} present · census "${line}"`
  })

  await step('OFFLINE: an anonymous visitor opens /', async () => {
    const status = await anonymous()
    expect(status === 503, `expected 503, got ${status}`)
    return `${status}`
  })

  await step('node ace offline:off', async () => {
    const said = await command(['offline:off'], 'ONLINE')
    await anonymousGets(200)
    expect(!existsSync(site.lockFile), 'the lock file is still there')
    const line = await census()
    expect(line.includes('ONLINE'), `census: ${line}`)
    return `"${said}" · anonymous 200, lock file gone · census "${line}"`
  })

  await finish(site)
}

async function finish(site: DemoSite) {
  console.log('\nThe tour went as expected: ONLINE → PENDING → drained → OFFLINE → ONLINE.')
  await site.server.stop()
  await rm(site.directory, { recursive: true, force: true })
  await exit(0)
}
