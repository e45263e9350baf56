/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { gzipSync } from 'node:zlib'
import { test } from '@japa/runner'
import edge from 'edge.js'
import { defineConfig, stores } from '../index.ts'
import { LiveStatus } from '../src/request_path/live_status.ts'
import { bootApp, makeTempDir } from './helpers.ts'

const FIFTEEN_MINUTES = 15 * 60_000

/**
 * A web app with Edge and this package's provider; `banner` as given
 */
async function setupApp(banner?: { live?: boolean; path?: string; interval?: string }) {
  const directory = await makeTempDir()
  const app = await bootApp({
    providers: [
      () => import('@adonisjs/core/providers/edge_provider'),
      () => import('../providers/maintenance_provider.ts'),
    ],
    config: {
      maintenance: defineConfig({
        default: 'file',
        stores: { file: stores.file({ directory }) },
        lockFile: false,
        staticPage: false,
        message: 'Back soon.',
        banner,
      }),
    },
    root: new URL(`file://${directory}/`),
  })
  const manager = await app.container.make('maintenance.manager')
  await manager.refresh()
  return { app, manager }
}

type Manager = Awaited<ReturnType<typeof setupApp>>['manager']

async function goPending(manager: Manager, message?: string) {
  await manager.touchSession(`session-${Math.random()}`, 1)
  const { state } = await manager.activate({ message, timeout: FIFTEEN_MINUTES })
  if (state.status !== 'pending') throw new Error(`expected PENDING, got ${state.status}`)
}

function render(template: string, locals: Record<string, unknown> = {}) {
  return edge.createRenderer().share(locals).renderRaw(template)
}

async function renderTrimmed(template: string) {
  const html = await render(template)
  return html.trim()
}

/**
 * The state the live container starts from (HTML-escaped JSON)
 */
function liveTag(html: string) {
  return /<div class="sm-live"[^>]*>/.exec(html)?.[0] ?? ''
}

/**
 * The markup without its scripts (the live script names every class)
 */
function markup(html: string) {
  return html.replace(/<script[\s\S]*?<\/script>/g, '')
}

function startState(html: string) {
  const raw = /data-sm-state="([^"]*)"/.exec(html)?.[1]
  if (raw === undefined) throw new Error('no live container')
  const entities: Record<string, string> = {
    'quot': '"',
    'lt': '<',
    'gt': '>',
    '#39': "'",
    'amp': '&',
  }
  return JSON.parse(raw.replace(/&(quot|lt|gt|#39|amp);/g, (_, name) => entities[name]))
}

test.group('Live banner | rendering', () => {
  test('not live: nothing while ONLINE, as before', async ({ assert, cleanup }) => {
    const { app } = await setupApp()
    cleanup(() => app.terminate())
    assert.equal(await renderTrimmed('@!maintenance.banner()'), '')
    assert.equal(await renderTrimmed('{{{ maintenance.banner() }}}'), '')
  })

  test('live while ONLINE: only the empty container and the script', async ({
    assert,
    cleanup,
  }) => {
    const { app } = await setupApp({ live: true, interval: '3s' })
    cleanup(() => app.terminate())
    const html = await render('@!maintenance.banner()', { cspNonce: 'shield-nonce' })

    assert.notInclude(markup(html), 'class="sm-banner', 'no banner while ONLINE')
    assert.equal(markup(html).trim(), `${liveTag(html)}</div>`, 'an empty container')
    assert.match(html, /^<div class="sm-live" hidden data-sm-live="\/__maintenance\/status"/)
    assert.include(liveTag(html), 'data-sm-every="3000"')
    assert.include(liveTag(html), 'data-sm-dismissible')
    assert.notInclude(liveTag(html), 'data-sm-bypass')
    assert.include(html, '<script nonce="shield-nonce">')
    assert.notInclude(html, '<style', 'styles are inserted only when a banner is drawn')
    assert.deepInclude(startState(html), { status: 'online', deadline: null, message: null })
    assert.notMatch(html, /\bsrc=|<link/, 'no external assets')
    assert.isBelow(Buffer.byteLength(html), 10 * 1024, 'a few KB, the banner styles included')
    assert.isBelow(gzipSync(html).length, 4 * 1024, 'compressed')
  })

  test('live, with the banner: styles for the script, and the start state', async ({
    assert,
    cleanup,
  }) => {
    const { app, manager } = await setupApp({ live: true })
    cleanup(() => app.terminate())
    await goPending(manager, 'Upgrading </script><b>')
    const html = await render("@!maintenance.banner({ nonce: 'n1', dismissible: false })")

    assert.include(html, 'class="sm-banner sm-banner--pending"')
    assert.include(html, '<div class="sm-live" hidden')
    assert.notInclude(liveTag(html), 'data-sm-dismissible')
    const state = startState(html)
    assert.equal(state.status, 'pending')
    assert.equal(state.message, 'Upgrading </script><b>')
    assert.approximately(Date.parse(state.deadline), Date.now() + FIFTEEN_MINUTES, 5_000)
    /**
     * The banner's CSS travels in the script as a string, never with a
     * raw "<" that could close the script
     */
    const script = html.slice(html.lastIndexOf('<script'))
    assert.include(script, '.sm-banner{all:revert')
    assert.notInclude(script.slice(8, -'</script>\n'.length).toLowerCase(), '</script')
    assert.notInclude(script, '<b>')
  })

  test('bypass holders while OFFLINE, not READ-ONLY readers', async ({ assert, cleanup }) => {
    const { app, manager } = await setupApp({ live: true })
    cleanup(() => app.terminate())
    await manager.activate({ force: true })
    assert.include(liveTag(await render('@!maintenance.banner()')), 'data-sm-bypass')
    await manager.deactivate()
    await manager.activate({ readOnly: true })
    assert.isTrue(manager.state.readOnly)
    assert.notInclude(liveTag(await render('@!maintenance.banner()')), 'data-sm-bypass')
  })

  test('`live: false` leaves one banner static', async ({ assert, cleanup }) => {
    const { app } = await setupApp({ live: true })
    cleanup(() => app.terminate())
    assert.equal(await renderTrimmed('@!maintenance.banner({ live: false })'), '')
  })
})

test.group('Live banner | status answer', () => {
  test('one JSON body per state, with nothing secret in it', async ({ assert, cleanup }) => {
    const { app, manager } = await setupApp({ live: true, interval: '6s' })
    cleanup(() => app.terminate())
    const live = new LiveStatus(manager.config)

    const online = live.answer(manager.state)
    assert.strictEqual(live.answer(manager.state), online, 'built once per state')
    assert.equal(online.headers['Cache-Control'], 'public, max-age=3')
    assert.deepInclude(JSON.parse(online.body), { status: 'online', readOnly: false })

    await manager.activate({
      force: true,
      secret: 'a'.repeat(20),
      message: 'Gone',
      requestedBy: 'ops@host (pid 1)',
    })
    const offline = live.answer(manager.state)
    assert.notStrictEqual(offline, online)
    const body = JSON.parse(offline.body)
    assert.deepEqual(Object.keys(body).sort(), [
      'deadline',
      'message',
      'readOnly',
      'revision',
      'since',
      'status',
    ])
    assert.include(body, { status: 'offline', message: 'Gone', revision: manager.state.revision })
    assert.notInclude(offline.body, 'aaaa')
    assert.notInclude(offline.body, 'ops@host')
    assert.notInclude(offline.body, manager.state.secretHash!)
  })

  test('defineConfig checks the banner options', ({ assert }) => {
    const base = { default: 'file', stores: { file: stores.file() } } as const
    assert.throws(
      () => defineConfig({ ...base, banner: { live: true, path: 'status' } }),
      /banner.path must be a plain absolute path/
    )
    assert.throws(
      () => defineConfig({ ...base, banner: { live: true, interval: '200ms' } }),
      /banner.interval must be at least 1s/
    )
  })
})
