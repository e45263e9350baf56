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
import { MAX_PNG_BYTES, launchChromium, screenshot } from '../chromium.ts'
import { OTHER_USER, bootSite, login, waitFor } from './helpers.ts'

const PAGE = '/admin/maintenance'
const MESSAGE = 'We are moving to a faster database.'

/**
 * The times on the page are the server's real ones. For the committed
 * screenshots they are shown on a fixed clock: the earliest at
 * FIXED_NOW, the others at their distance from it in whole minutes (the
 * clicks are seconds apart, the drain deadline hours), so that a run
 * without visual change writes the same bytes.
 */
const FIXED_NOW = Date.parse('2026-03-02T13:45:00Z')

async function pinTimes(page: Page) {
  await page.evaluate((fixed) => {
    const times = Array.from(document.querySelectorAll('time'))
    const base = Math.min(...times.map((element) => Date.parse(element.dateTime)))
    for (const element of times) {
      const shift = Math.round((Date.parse(element.dateTime) - base) / 60_000) * 60_000
      const iso = new Date(fixed + shift).toISOString()
      element.dateTime = iso
      element.textContent = `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`
    }
  }, FIXED_NOW)
}

test.group('Admin page | headless Chromium', (group) => {
  let browser: Browser

  group.setup(async () => {
    browser = await launchChromium()
    return () => browser?.close()
  })

  test('visitors and non-admins are refused; an admin drains, takes down and brings back the site with real clicks', async ({
    assert,
    cleanup,
  }) => {
    const { app, server } = await bootSite('file', { MAINTENANCE_BYPASS_ALLOW: 'admin' })
    const origin = `http://${server.host}:${server.port}`
    const { client: ada } = await login(server)
    await waitFor('ada in the census', async () => {
      const count = await app.store.countSessions(Date.now())
      return count === 1
    })

    const context = await browser.newContext({
      locale: 'en-GB',
      timezoneId: 'UTC',
      colorScheme: 'light',
      viewport: { width: 960, height: 1040 },
    })
    cleanup(() => context.close())
    await context.addCookies(
      [...ada.cookies].map(([name, value]) => ({ name, value, url: origin }))
    )
    const page = await context.newPage()
    const errors: string[] = []
    const requests: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('request', (request) => {
      const url = new URL(request.url())
      if (url.pathname !== '/favicon.ico') requests.push(`${request.method()} ${url.pathname}`)
    })

    const opened = await page.goto(`${origin}${PAGE}`)
    assert.equal(opened?.status(), 200)
    assert.isTrue(await page.getByRole('heading', { name: 'Site maintenance' }).isVisible())
    const status = page.locator('.facts .pill')
    assert.equal(await status.innerText(), 'ONLINE')
    assert.include(await page.locator('.facts').innerText(), '1 active session, 0 running tasks')
    assert.isTrue(await page.getByRole('button', { name: 'ONLINE' }).isDisabled())

    /**
     * Enter in the message field submits nothing: the form's first
     * button is a disabled one
     */
    const message = page.getByLabel('Message for the maintenance page and the banner')
    await message.fill(MESSAGE)
    await message.press('Enter')
    await page.waitForTimeout(300)
    assert.deepEqual(requests, [`GET ${PAGE}`])
    assert.isNull(await app.store.read())

    /**
     * PENDING: ada's own session holds the drain
     */
    await page.getByRole('button', { name: 'Drain (PENDING)' }).click()
    await page.waitForURL(`${origin}${PAGE}`)
    await waitFor('the PENDING page', async () => (await status.innerText()) === 'PENDING')
    assert.include(
      await page.getByRole('status').innerText(),
      'The site is PENDING (1 active session, 0 running tasks)'
    )
    assert.include(await page.locator('.facts').innerText(), MESSAGE)
    assert.include(await page.locator('.facts').innerText(), 'Drain deadline')
    assert.isTrue(await page.getByRole('button', { name: 'Drain (PENDING)' }).isDisabled())
    assert.equal((await app.store.read())!.status, 'pending')
    await pinTimes(page)
    assert.isBelow(await screenshot(page, 'admin_pending.png'), MAX_PNG_BYTES)

    /**
     * OFFLINE: the admin passes by role and keeps the page; then ONLINE
     */
    await page.getByRole('button', { name: 'OFFLINE now' }).click()
    await waitFor('the OFFLINE page', async () => (await status.innerText()) === 'OFFLINE')
    assert.equal((await app.store.read())!.status, 'offline')
    await page.getByRole('button', { name: 'ONLINE' }).click()
    await waitFor('the ONLINE page', async () => (await status.innerText()) === 'ONLINE')
    assert.equal((await app.store.read())!.status, 'online')
    const transitions = await page.locator('.history tbody tr').allInnerTexts()
    assert.lengthOf(transitions, 3)
    assert.match(transitions[0], /OFFLINE → ONLINE\s+ada@example\.com via admin page/)
    assert.match(transitions[2], /ONLINE → PENDING\s+ada@example\.com via admin page/)
    await pinTimes(page)
    assert.isBelow(await screenshot(page, 'admin_online.png'), MAX_PNG_BYTES)

    /**
     * A visitor and bob (logged in, not an admin) get the guard's 403:
     * no form, no button
     */
    const { client: bob } = await login(server, undefined, OTHER_USER)
    for (const [who, cookies] of [
      ['a visitor', new Map<string, string>()],
      ['bob', bob.cookies],
    ] as const) {
      const refusedContext = await browser.newContext()
      cleanup(() => refusedContext.close())
      await refusedContext.addCookies(
        [...cookies].map(([name, value]) => ({ name, value, url: origin }))
      )
      const refusedPage = await refusedContext.newPage()
      const refused = await refusedPage.goto(`${origin}${PAGE}`)
      assert.equal(refused?.status(), 403, who)
      assert.equal(refused?.headers()['x-frame-options'], 'DENY', who)
      assert.isTrue(
        await refusedPage.getByRole('heading', { name: '403 Forbidden' }).isVisible(),
        who
      )
      assert.equal(await refusedPage.getByRole('button').count(), 0, who)
    }
    assert.equal((await app.store.read())!.status, 'online', 'unchanged')

    /**
     * Only the page and its buttons were requested (self-contained), and
     * nothing went wrong in the browser
     */
    assert.deepEqual(requests, [
      `GET ${PAGE}`,
      `POST ${PAGE}/pending`,
      `GET ${PAGE}`,
      `POST ${PAGE}/offline`,
      `GET ${PAGE}`,
      `POST ${PAGE}/online`,
      `GET ${PAGE}`,
    ])
    assert.deepEqual(errors, [])
  }).timeout(60_000)
})
