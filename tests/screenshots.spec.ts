/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { createServer, type Server } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from '@japa/runner'
import edge from 'edge.js'
import type { Browser, BrowserContextOptions, Page } from 'playwright-core'
import { stubsRoot } from '../index.ts'
import type { MaintenanceManager } from '../src/maintenance_manager.ts'
import { defaultPage, type PageData } from '../src/maintenance_page.ts'
import { edgeRenderer } from '../src/plugins/edge.ts'
import { MAX_PNG_BYTES, launchChromium, screenshot } from './chromium.ts'
import { bootEdgeApp } from './helpers.ts'
import { defaults } from '../src/defaults.ts'

/**
 * Screenshots land in docs/ and are committed: they are rendered at a
 * fixed browser time so that a run without visual change rewrites the
 * same bytes
 */
const FIXED_NOW = Date.parse('2026-03-02T13:45:00Z')
const DRAIN = 14 * 60_000 + 32_000
const MESSAGE = 'We are upgrading the database to make the site faster.'

const DESKTOP: BrowserContextOptions = { viewport: { width: 1200, height: 720 } }
const MOBILE: BrowserContextOptions = {
  viewport: { width: 390, height: 780 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
}

/**
 * A page of a made-up app, styled by its own stylesheet, with the banner
 * where an app layout would put it: first thing in the body
 */
const APP_PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Invoices · Acme</title>
<style>
body{margin:0;font:16px/1.5 Georgia,serif;background:#fafafa;color:#222}
header{display:flex;gap:1.5rem;align-items:center;padding:1rem 2rem;background:#fff;border-bottom:1px solid #e5e5e5}
header b{font:700 1.1rem/1 system-ui,sans-serif;margin-right:auto}header a{color:#555;text-decoration:none;font-family:system-ui,sans-serif}
main{max-width:52rem;margin:2rem auto;padding:0 2rem}
table{width:100%;border-collapse:collapse;background:#fff}td,th{padding:.6rem .8rem;border-bottom:1px solid #eee;text-align:left}
@media (prefers-color-scheme:dark){body{background:#121212;color:#ddd}header,table{background:#1b1b1b;border-color:#2a2a2a}td,th{border-color:#2a2a2a}header a{color:#aaa}}
@media (max-width:600px){header{padding:1rem;gap:1rem}header a:nth-of-type(n+2){display:none}main{padding:0 1rem}}
</style>
</head>
<body>
@!maintenance.banner()
<header><b>Acme</b><a href="#">Invoices</a><a href="#">Customers</a><a href="#">Settings</a></header>
<main>
<h1>Invoices</h1>
<p>Draft invoices are saved as you type.</p>
<table>
<tr><th>Number</th><th>Customer</th><th>Amount</th></tr>
<tr><td>2026-0142</td><td>Northwind</td><td>€1,280.00</td></tr>
<tr><td>2026-0141</td><td>Globex</td><td>€640.00</td></tr>
<tr><td>2026-0140</td><td>Initech</td><td>€2,115.50</td></tr>
</table>
</main>
</body>
</html>
`

interface Opened {
  page: Page
  url: string
  requests: string[]
  errors: string[]
}

test.group('Screenshots', (group) => {
  let browser: Browser
  let server: Server
  let origin: string
  let manager: MaintenanceManager
  const pages = new Map<string, string>()
  const hits: string[] = []
  const contexts: Array<{ close(): Promise<void> }> = []

  group.setup(async () => {
    const root = await mkdtemp(join(tmpdir(), 'site-maintenance-screens-'))

    const booted = await bootEdgeApp({ root, stateDirectory: join(root, 'state') })
    const { app } = booted
    manager = booted.manager

    /**
     * Publish the page template as `node ace add site-maintenance` does
     */
    const stubs = await app.stubs.create()
    const stub = await stubs.build('resources/views/maintenance.edge.stub', { source: stubsRoot })
    await stub.generate({ force: true, defaults })

    server = createServer((request, response) => {
      const path = new URL(request.url!, 'http://localhost').pathname
      /**
       * The browser's own favicon probe, not a request of the page
       */
      if (path === '/favicon.ico') return response.writeHead(204).end()
      hits.push(path)
      const html = pages.get(path)
      response.writeHead(html ? 200 : 404, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
      })
      response.end(html ?? 'not found')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

    browser = await launchChromium()

    return async () => {
      await browser?.close()
      await new Promise((resolve) => server.close(resolve))
      await app.terminate()
      await rm(root, { recursive: true, force: true })
    }
  })

  group.each.teardown(async () => {
    for (const context of contexts.splice(0)) await context.close()
    await manager.deactivate()
    hits.splice(0)
  })

  /**
   * Open a served page in a fresh context, recording every request and
   * every console error. `fixedTime` pins the browser clock.
   */
  async function open(
    path: string,
    options: BrowserContextOptions & { fixedTime?: number } = {}
  ): Promise<Opened> {
    const { fixedTime, ...contextOptions } = options
    const context = await browser.newContext({
      locale: 'en-GB',
      timezoneId: 'UTC',
      ...DESKTOP,
      ...contextOptions,
    })
    contexts.push(context)
    if (fixedTime !== undefined) await context.clock.setFixedTime(fixedTime)
    const page = await context.newPage()
    const requests: string[] = []
    const errors: string[] = []
    page.on('request', (request) => requests.push(request.url()))
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    page.on('pageerror', (error) => errors.push(error.message))
    const url = `${origin}${path}`
    const response = await page.goto(url, { waitUntil: 'load' })
    if (response?.status() !== 200) throw new Error(`${url} answered ${response?.status()}`)
    return { page, url, requests, errors }
  }

  async function goPending() {
    await manager.touchSession('screenshot-session', 1)
    const { state } = await manager.activate({ message: MESSAGE, timeout: DRAIN })
    if (state.status !== 'pending') throw new Error(`expected PENDING, got ${state.status}`)
  }

  function pageData(): PageData {
    return { status: 'offline', message: MESSAGE, retryAt: new Date(FIXED_NOW + 30 * 60_000) }
  }

  test('the built-in maintenance page', async ({ assert }) => {
    pages.set('/maintenance', defaultPage(pageData()))

    for (const [name, options] of [
      ['maintenance_page.png', {}],
      ['maintenance_page_dark.png', { colorScheme: 'dark' }],
      ['maintenance_page_mobile.png', MOBILE],
    ] as const) {
      const { page, url, requests, errors } = await open('/maintenance', options)
      await assert.isTrue(await page.getByRole('heading', { name: /back soon/ }).isVisible())
      assert.include(await page.locator('main').innerText(), MESSAGE)
      assert.include(await page.locator('main').innerText(), '14:15 UTC, Mon 2 Mar 2026')
      assert.isBelow(await screenshot(page, name), MAX_PNG_BYTES, name)
      assert.deepEqual(errors, [])
      assert.deepEqual(requests, [url])
    }
    assert.deepEqual(hits, ['/maintenance', '/maintenance', '/maintenance'])
  })

  test('the published page template, rendered by the app', async ({ assert }) => {
    const render = await edgeRenderer(manager.config.view)
    const html = await render(pageData())
    assert.isString(html, 'the published template is found')
    pages.set('/maintenance-template', html!)

    const { page, url, requests, errors } = await open('/maintenance-template')
    assert.isTrue(await page.getByRole('heading', { name: /back soon/ }).isVisible())
    assert.include(await page.locator('main').innerText(), MESSAGE)
    assert.isBelow(await screenshot(page, 'maintenance_page_template.png'), MAX_PNG_BYTES)
    assert.deepEqual(errors, [])
    assert.deepEqual(requests, [url])
    assert.deepEqual(hits, ['/maintenance-template'])
  })

  test('the banner on an app page while PENDING', async ({ assert }) => {
    await goPending()
    pages.set('/app', await edge.renderRaw(APP_PAGE))

    for (const [name, options] of [
      ['banner.png', {}],
      ['banner_dark.png', { colorScheme: 'dark' }],
      ['banner_mobile.png', MOBILE],
    ] as const) {
      const { page, url, requests, errors } = await open('/app', {
        ...options,
        fixedTime: FIXED_NOW,
      })
      const banner = page.getByRole('status')
      assert.isTrue(await banner.isVisible())
      assert.equal(await banner.getAttribute('class'), 'sm-banner sm-banner--pending')
      const text = await banner.innerText()
      assert.include(text, MESSAGE)
      assert.match(text, /offline in 14 min 3\d s \(at 14:00\)/, text)
      assert.isTrue(await banner.getByRole('button', { name: /dismiss/i }).isVisible())
      assert.isBelow(await screenshot(page, name), MAX_PNG_BYTES, name)
      assert.deepEqual(errors, [])
      assert.deepEqual(requests, [url])
    }
    assert.deepEqual(hits, ['/app', '/app', '/app'])
  })

  test('the countdown ticks, and honours reduced motion', async ({ assert }) => {
    await goPending()
    pages.set('/app', await edge.renderRaw(APP_PAGE))

    const { page, requests, url, errors } = await open('/app')
    const countdown = page.locator('.sm-banner__countdown')
    assert.equal(await countdown.getAttribute('aria-live'), 'off', 'not read out every second')
    const first = await countdown.innerText()
    assert.match(first, /^14 min \d\d s$/)
    await page.waitForTimeout(1_200)
    const second = await countdown.innerText()
    assert.match(second, /^14 min \d\d s$/)
    assert.notEqual(second, first)

    await page.getByRole('button', { name: /dismiss/i }).click()
    assert.isFalse(await page.locator('.sm-banner').isVisible())
    await page.reload()
    assert.isFalse(await page.locator('.sm-banner').isVisible(), 'stays dismissed in the tab')
    assert.deepEqual(errors, [])
    assert.deepEqual(requests, [url, url])

    const calm = await open('/app', { reducedMotion: 'reduce' })
    assert.equal(await calm.page.locator('.sm-banner__countdown').innerText(), '15 min')
    assert.deepEqual(calm.errors, [])
    assert.deepEqual(hits, ['/app', '/app', '/app'])
  })

  test('the banner for bypass holders while OFFLINE', async ({ assert }) => {
    await manager.activate({ force: true, message: MESSAGE })
    pages.set('/app', await edge.renderRaw(APP_PAGE))

    const { page, url, requests, errors } = await open('/app', { fixedTime: FIXED_NOW })
    const banner = page.getByRole('status')
    assert.equal(await banner.getAttribute('class'), 'sm-banner sm-banner--offline')
    assert.include(await banner.innerText(), 'seeing it through a bypass')
    assert.isBelow(await screenshot(page, 'banner_bypass.png'), MAX_PNG_BYTES)
    assert.deepEqual(errors, [])
    assert.deepEqual(requests, [url])
    assert.deepEqual(hits, ['/app'])
  })
})
