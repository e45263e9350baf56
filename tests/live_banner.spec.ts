/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import type { Browser, Page } from 'playwright-core'
import { MAX_PNG_BYTES, launchChromium, screenshot } from './chromium.ts'
import { bootSite, login, waitFor } from './http/helpers.ts'
import { freePort } from '../support/free_port.ts'
import { createSite, startWebServer } from './web_servers/helpers.ts'

/**
 * The countdown is real time here, so the bytes of the screenshots change
 * from run to run: they go to tmp/screenshots/, and replace the committed
 * ones in docs/screenshots/ with SCREENSHOTS=update (tests/chromium.ts)
 */
const STATUS = '/__maintenance/status'
const TYPED = 'Half a page of notes typed before the site went down.'

/**
 * What goes wrong on a page: script errors, and failed requests but the
 * browser's favicon probe (reported once, by their response)
 */
function pageErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      errors.push(message.text())
    }
  })
  page.on('pageerror', (error) => errors.push(error.message))
  page.on('response', (answer) => {
    const url = new URL(answer.url())
    if (answer.status() >= 400 && url.pathname !== '/favicon.ico') {
      errors.push(`${answer.status()} ${url.pathname}`)
    }
  })
  return errors
}

test.group('Live banner | headless Chromium', (group) => {
  let browser: Browser

  group.setup(async () => {
    browser = await launchChromium()
    return () => browser?.close()
  })

  test('a page opened while ONLINE shows the banner within 5 s of offline:on, and keeps a form while OFFLINE', async ({
    assert,
    cleanup,
  }) => {
    const { app, server } = await bootSite('file', {
      MAINTENANCE_BANNER_LIVE: 'true',
      MAINTENANCE_BANNER_INTERVAL: '1s',
    })
    const origin = `http://${server.host}:${server.port}`

    /**
     * A logged-in user, writing a note in the browser: the drain waits
     * for them (PENDING)
     */
    const { client: user } = await login(server)
    const context = await browser.newContext({
      locale: 'en-GB',
      timezoneId: 'UTC',
      viewport: { width: 1000, height: 520 },
    })
    cleanup(() => context.close())
    await context.addCookies(
      [...user.cookies].map(([name, value]) => ({ name, value, url: origin }))
    )
    const page = await context.newPage()
    const errors = pageErrors(page)
    const polls: Array<{ cookie?: string }> = []
    const posts: string[] = []
    const navigations: string[] = []
    page.on('request', (request) => {
      const url = new URL(request.url())
      if (url.pathname === STATUS) polls.push({ cookie: request.headers().cookie })
      if (request.method() === 'POST') posts.push(url.pathname)
    })
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations.push(frame.url())
    })

    const response = await page.goto(`${origin}/notes`)
    assert.equal(response?.status(), 200)
    assert.equal(await page.locator('.sm-banner').count(), 0, 'no banner while ONLINE')
    await page.evaluate(() => ((window as any).loadedOnce = true))

    /**
     * PENDING: the banner appears without a reload, with the countdown
     */
    const pending = await app.ace([
      'offline:on',
      '--no-wait',
      '--timeout=15m',
      '--message=We are moving to a faster database.',
    ])
    assert.equal(pending.code, 0, pending.stderr)
    const pendingAt = Date.now()
    const banner = page.locator('.sm-banner--pending')
    await banner.waitFor({ state: 'visible', timeout: 5_000 })
    assert.isBelow(Date.now() - pendingAt, 5_000)
    assert.equal(await banner.getAttribute('role'), 'status')
    const text = await banner.innerText()
    assert.include(text, 'We are moving to a faster database.')
    assert.match(text, /offline in 1[45] min \d\d s \(at \d\d:\d\d\)/)
    const first = await banner.locator('.sm-banner__countdown').innerText()
    await page.waitForTimeout(1_100)
    assert.notEqual(await banner.locator('.sm-banner__countdown').innerText(), first, 'it ticks')
    assert.isTrue(await page.evaluate(() => (window as any).loadedOnce === true), 'no reload')
    assert.isBelow(
      await screenshot(page, 'live_banner_pending.png', { timed: true }),
      MAX_PNG_BYTES
    )

    /**
     * OFFLINE: the banner says so; submitting the form warns instead of
     * leaving for the maintenance page, and the typed text stays
     */
    await page.locator('#note').fill(TYPED)
    const forced = await app.ace(['offline:on', '--force', '--message=Back in half an hour.'])
    assert.equal(forced.code, 0, forced.stderr)
    const offlineAt = Date.now()
    const offline = page.locator('.sm-banner--offline')
    await offline.waitFor({ state: 'visible', timeout: 5_000 })
    assert.isBelow(Date.now() - offlineAt, 5_000)
    assert.include(await offline.innerText(), 'The site is offline.')
    assert.equal(await page.locator('.sm-banner').count(), 1, 'one banner: the live one')

    await page.getByRole('button', { name: 'Save' }).click()
    const warning = offline.locator('.sm-banner__warn')
    await waitFor('the warning', async () => {
      const shown = await warning.innerText()
      return shown.includes('not sent')
    })
    assert.include(await warning.innerText(), 'What you typed is still here')
    assert.equal(page.url(), `${origin}/notes`)
    assert.equal(await page.locator('#note').inputValue(), TYPED)
    assert.deepEqual(posts, [], 'the form never left the page')
    assert.isTrue(await page.evaluate(() => (window as any).loadedOnce === true), 'no reload')
    assert.isBelow(
      await screenshot(page, 'live_banner_offline.png', { timed: true }),
      MAX_PNG_BYTES
    )

    /**
     * Back ONLINE: the banner goes, and the form is sent
     */
    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0, off.stderr)
    await page.locator('.sm-banner').waitFor({ state: 'detached', timeout: 5_000 })
    await Promise.all([
      page.waitForURL(`${origin}/notes`, { waitUntil: 'load' }),
      page.getByRole('button', { name: 'Save' }).click(),
    ])
    assert.deepEqual(posts, ['/notes'])
    assert.include(await page.locator('body').innerText(), TYPED)

    assert.isAbove(polls.length, 5)
    assert.isTrue(
      polls.every((poll) => poll.cookie === undefined),
      'polls carry no cookie: they never keep a session alive'
    )
    assert.deepEqual(errors, [], errors.join('\n'))
    assert.deepEqual(navigations, [`${origin}/notes`, `${origin}/notes`])
  }).timeout(90_000)

  test('a hidden tab polls less often', async ({ assert, cleanup }) => {
    const { server } = await bootSite('file', {
      MAINTENANCE_BANNER_LIVE: 'true',
      MAINTENANCE_BANNER_INTERVAL: '1s',
    })
    const context = await browser.newContext()
    cleanup(() => context.close())
    const page = await context.newPage()
    let polls = 0
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === STATUS) polls++
    })
    await page.goto(`http://${server.host}:${server.port}/notes`)
    await page.waitForTimeout(3_500)
    const visible = polls
    assert.isAtLeast(visible, 2)

    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true })
      document.dispatchEvent(new Event('visibilitychange'))
    })
    await page.waitForTimeout(1_200)
    const hiddenFrom = polls
    await page.waitForTimeout(3_500)
    assert.isAtMost(polls - hiddenFrom, 1, 'at most one poll in 3.5 s while hidden')
  }).timeout(60_000)

  test('with @adonisjs/transmit: the banner arrives on the channel, without polling', async ({
    assert,
    cleanup,
  }) => {
    /**
     * The starter kit's stack: shield's CSRF stays on for transmit's
     * routes, with the XSRF cookie README recommends (issue 25 item 9)
     */
    const { app, server } = await bootSite('file', {
      MAINTENANCE_BANNER_LIVE: 'true',
      MAINTENANCE_BANNER_INTERVAL: '1s',
      FIXTURE_TRANSMIT: 'true',
      FIXTURE_STACK: 'kit',
    })
    const origin = `http://${server.host}:${server.port}`
    const context = await browser.newContext({ locale: 'en-GB', timezoneId: 'UTC' })
    cleanup(() => context.close())
    const page = await context.newPage()
    const errors = pageErrors(page)
    const requests: string[] = []
    page.on('request', (request) => {
      const url = new URL(request.url())
      if (url.pathname !== '/favicon.ico') requests.push(`${request.method()} ${url.pathname}`)
    })

    await page.goto(`${origin}/notes`)
    await page.evaluate(() => ((window as any).loadedOnce = true))
    await waitFor('the subscription', async () => requests.includes('POST /__transmit/subscribe'))
    /**
     * Three intervals with nothing to poll
     */
    await page.waitForTimeout(3_000)

    const forced = await app.ace(['offline:on', '--force', '--message=Back at noon.'])
    assert.equal(forced.code, 0, forced.stderr)
    const offlineAt = Date.now()
    const offline = page.locator('.sm-banner--offline')
    await offline.waitFor({ state: 'visible', timeout: 5_000 })
    assert.isBelow(Date.now() - offlineAt, 5_000)
    assert.include(await offline.innerText(), 'Back at noon.')
    assert.isTrue(await page.evaluate(() => (window as any).loadedOnce === true), 'no reload')

    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0, off.stderr)
    await page.locator('.sm-banner').waitFor({ state: 'detached', timeout: 5_000 })

    assert.deepEqual(
      requests,
      ['GET /notes', 'GET /__transmit/events', 'POST /__transmit/subscribe'],
      'one stream, one subscription, no poll of the status endpoint'
    )
    assert.notInclude(requests, `GET ${STATUS}`)
    assert.deepEqual(errors, [], errors.join('\n'))
  }).timeout(90_000)

  test('behind nginx answering from the lock file, a page open when the site goes OFFLINE says so and keeps its form', async ({
    assert,
    cleanup,
  }) => {
    /**
     * The app writes its lock file where nginx (as nobody when the tests
     * run as root) can see it; nginx runs the package's own snippet
     */
    const site = await createSite()
    cleanup(() => site.remove())
    const { app, server } = await bootSite('file', {
      MAINTENANCE_BANNER_LIVE: 'true',
      MAINTENANCE_BANNER_INTERVAL: '1s',
      MAINTENANCE_LOCK_FILE: site.lockFile,
    })
    app.env.MAINTENANCE_LOCK_FILE = site.lockFile
    const port = await freePort()
    const nginx = await startWebServer(
      'nginx',
      site,
      [
        {
          port,
          options: {
            lockFile: site.lockFile,
            pageDir: site.pageDir,
            upstream: `127.0.0.1:${server.port}`,
          },
        },
      ],
      server.port
    )
    cleanup(() => nginx.stop())
    const origin = `http://127.0.0.1:${port}`

    const context = await browser.newContext({ locale: 'en-GB', timezoneId: 'UTC' })
    cleanup(() => context.close())
    const page = await context.newPage()
    const polls: number[] = []
    const posts: string[] = []
    page.on('response', (answer) => {
      if (new URL(answer.url()).pathname === STATUS) polls.push(answer.status())
    })
    page.on('request', (request) => {
      if (request.method() === 'POST') posts.push(new URL(request.url()).pathname)
    })
    const response = await page.goto(`${origin}/notes`)
    assert.equal(response?.status(), 200)
    await page.evaluate(() => ((window as any).loadedOnce = true))
    await waitFor('a poll through nginx', async () => polls.includes(200))
    await page.locator('#note').fill(TYPED)

    const forced = await app.ace(['offline:on', '--force', '--message=Back in half an hour.'])
    assert.equal(forced.code, 0, forced.stderr)
    const offline = page.locator('.sm-banner--offline')
    await offline.waitFor({ state: 'visible', timeout: 5_000 })
    assert.include(await offline.innerText(), 'The site is offline.')
    assert.include(polls, 503, 'nginx answered a poll from the lock file')

    await page.getByRole('button', { name: 'Save' }).click()
    await waitFor('the warning', async () => {
      const shown = await offline.locator('.sm-banner__warn').innerText()
      return shown.includes('not sent')
    })
    assert.equal(page.url(), `${origin}/notes`)
    assert.equal(await page.locator('#note').inputValue(), TYPED)
    assert.deepEqual(posts, [], 'the form never left the page')
    assert.isTrue(await page.evaluate(() => (window as any).loadedOnce === true), 'no reload')

    /**
     * Back ONLINE: nginx forwards the polls again and the banner goes
     */
    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0, off.stderr)
    await page.locator('.sm-banner').waitFor({ state: 'detached', timeout: 5_000 })
  }).timeout(90_000)
})
