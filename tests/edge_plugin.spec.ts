/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import edge from 'edge.js'
import { formatTimeLeft, MaintenanceGlobal } from '../src/plugins/edge.ts'
import { bootEdgeApp, makeTempDir } from './helpers.ts'

const FIFTEEN_MINUTES = 15 * 60_000

/**
 * A web app with Edge and this package's provider, on a file store in a
 * temporary directory
 */
async function setupApp() {
  const directory = await makeTempDir()
  return bootEdgeApp({
    root: directory,
    stateDirectory: directory,
    message: 'Back soon.',
    retryAfter: 900,
  })
}

type Manager = Awaited<ReturnType<typeof setupApp>>['manager']

/**
 * PENDING needs something to wait for: a logged-in session
 */
async function goPending(manager: Manager, message?: string) {
  await manager.touchSession(`session-${Math.random()}`, 1)
  const { state } = await manager.activate({ message, timeout: FIFTEEN_MINUTES })
  if (state.status !== 'pending') throw new Error(`expected PENDING, got ${state.status}`)
}

function render(template: string, locals: Record<string, unknown> = {}) {
  return edge.createRenderer().share(locals).renderRaw(template)
}

const squash = (html: string) => html.replace(/\s+/g, ' ').trim()

test.group('Edge plugin | maintenance global', (group) => {
  let manager: Manager
  group.each.setup(async () => {
    const setup = await setupApp()
    manager = setup.manager
    return () => setup.app.terminate()
  })

  test('registers the global when the app uses Edge', async ({ assert }) => {
    await render('')
    assert.instanceOf(edge.globals.maintenance, MaintenanceGlobal)
  })

  test('reads the live state on every render', async ({ assert }) => {
    const template = [
      '@if(maintenance.pending)',
      'PENDING',
      '@elseif(maintenance.offline)',
      'OFFLINE',
      '@else',
      'ONLINE',
      '@end',
      '{{ maintenance.status }}|{{ maintenance.online }}|{{ maintenance.message }}',
    ].join('\n')

    assert.equal(squash(await render(template)), 'ONLINE online|true|null')

    await goPending(manager, 'Upgrading the database')
    assert.equal(squash(await render(template)), 'PENDING pending|false|Upgrading the database')

    await manager.activate({ force: true })
    assert.equal(squash(await render(template)), 'OFFLINE offline|false|Upgrading the database')

    await manager.deactivate()
    assert.equal(squash(await render(template)), 'ONLINE online|true|null')
  })

  test('exposes deadline, retryAfter and the time left', async ({ assert }) => {
    await render('')
    const maintenance = edge.globals.maintenance as MaintenanceGlobal
    assert.isNull(maintenance.deadline)
    assert.isNull(maintenance.retryAfter)
    assert.isNull(maintenance.timeLeft)
    assert.isNull(maintenance.countdown)

    const before = Date.now()
    await goPending(manager)
    assert.instanceOf(maintenance.deadline, Date)
    assert.approximately(maintenance.deadline!.getTime(), before + FIFTEEN_MINUTES, 5_000)
    assert.equal(maintenance.message, 'Back soon.')
    assert.equal(maintenance.retryAfter, 900)
    assert.instanceOf(maintenance.retryAt, Date)
    assert.isAbove(maintenance.timeLeft!, FIFTEEN_MINUTES - 5_000)
    assert.match(maintenance.countdown!, /^1[45] min \d\d s$/)
    assert.equal(
      squash(await render('{{ maintenance.deadline.toISOString() }}')),
      maintenance.deadline!.toISOString()
    )

    await manager.activate({ force: true, retryAfter: 60 })
    assert.isNull(maintenance.deadline, 'the deadline only means something while PENDING')
    assert.equal(maintenance.retryAfter, 60)
    assert.deepEqual(JSON.parse(JSON.stringify(maintenance)), {
      status: 'offline',
      message: 'Back soon.',
      deadline: null,
      retryAfter: 60,
    })
  })
})

test.group('Edge plugin | banner', (group) => {
  let manager: Manager
  group.each.setup(async () => {
    const setup = await setupApp()
    manager = setup.manager
    return () => setup.app.terminate()
  })

  test("registers no disk or template with the app's Edge", async ({ assert }) => {
    /**
     * Edge lists every disk's components and every registered template
     * each time a renderer is created (once per request): the banner
     * must not add to that
     */
    await render('@!maintenance.banner()')
    await goPending(manager)
    assert.include(await render('@!maintenance.banner()'), 'sm-banner')
    assert.notProperty(edge.loader.mounted, 'maintenance')
    assert.deepEqual(Object.keys(edge.loader.templates), [])
  })

  test('renders nothing while online', async ({ assert }) => {
    assert.equal(squash(await render('@!maintenance.banner()')), '')
    assert.equal(
      squash(await render('{{{ maintenance.banner() }}}|{{ maintenance.banner() }}')),
      '|'
    )
  })

  test('announces the shutdown with an escaped message and a countdown', async ({ assert }) => {
    await goPending(manager, '<script>alert(1)</script> & "more"')
    const html = await render('<body>\n@!maintenance.banner()\n</body>')

    assert.include(html, 'role="status"')
    assert.include(html, 'class="sm-banner sm-banner--pending"')
    assert.include(html, '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;more&quot;')
    assert.notInclude(html, '<script>alert(1)')
    assert.match(html, /data-left="(\d+)" aria-live="off">1[45] min \d\d s<\/span>/)
    const left = Number(/data-left="(\d+)"/.exec(html)![1])
    assert.approximately(left, FIFTEEN_MINUTES, 5_000)
    assert.include(html, 'Please save your work.')
    assert.include(html, 'aria-label="Dismiss the maintenance notice" hidden')
    assert.match(html, /<script >\n\(function \(\) \{/)
    assert.notInclude(html, '<link', 'no external assets')
    assert.notMatch(html, /\bsrc=/, 'no external assets')
  })

  test('the tag and the helper render the same banner', async ({ assert }) => {
    await goPending(manager, 'Same')
    const strip = (html: string) =>
      squash(html)
        .replace(/data-left="\d+"/, '')
        .replace(/\d+ s/, '')
    const tag = await render('@!maintenance.banner()')
    const helper = await render('{{{ maintenance.banner() }}}')
    const escapedHelper = await render('{{ maintenance.banner() }}')
    assert.include(tag, 'class="sm-banner sm-banner--pending"')
    assert.equal(strip(helper), strip(tag))
    assert.equal(strip(escapedHelper), strip(tag))
  })

  test('takes props: dismissible and a CSP nonce', async ({ assert }) => {
    await goPending(manager)
    const plain = await render('@!maintenance.banner({ dismissible: false })')
    assert.notInclude(plain, '<button')

    const shared = await render('@!maintenance.banner()', { cspNonce: 'shield-nonce' })
    assert.include(shared, '<style nonce="shield-nonce">')
    assert.include(shared, '<script nonce="shield-nonce">')

    const given = await render("{{{ maintenance.banner({ nonce: 'given' }) }}}")
    assert.include(given, '<script nonce="given">')
    const overridden = await render("@!maintenance.banner({ nonce: 'mine' })", {
      cspNonce: 'shield-nonce',
    })
    assert.include(overridden, '<script nonce="mine">')
  })

  test('tells bypass holders that the site is offline', async ({ assert }) => {
    await manager.activate({ force: true, message: 'Migrating' })
    const html = squash(await render('@!maintenance.banner()'))
    assert.include(html, 'class="sm-banner sm-banner--offline" role="status"')
    assert.include(html, 'Maintenance mode.')
    assert.include(html, 'Migrating')
    assert.include(html, 'you are seeing it through a bypass')
    assert.notInclude(html, 'data-left="1')

    await manager.deactivate()
    assert.equal(squash(await render('@!maintenance.banner()')), '')
  })

  test('says "a moment" once the deadline has passed', async ({ assert }) => {
    await manager.touchSession('late-session', 1)
    await manager.activate({ timeout: 0 })
    assert.equal(manager.status, 'pending')
    const html = squash(await render('@!maintenance.banner()'))
    assert.include(html, 'data-left="0" aria-live="off">a moment</span>')
  })
})

test.group('Edge plugin | formatTimeLeft', () => {
  test('formats {0} ms as "{1}"')
    .with([
      [0, null],
      [-5, null],
      [1, '1 s'],
      [42_000, '42 s'],
      [60_000, '1 min 00 s'],
      [754_200, '12 min 35 s'],
      [3_600_000, '1 h 00 min'],
      [3_725_000, '1 h 02 min'],
    ] as const)
    .run(({ assert }, [milliseconds, expected]) => {
      assert.equal(formatTimeLeft(milliseconds), expected)
    })

  test('whole minutes when seconds are off', ({ assert }) => {
    assert.equal(formatTimeLeft(754_200, false), '13 min')
    assert.equal(formatTimeLeft(20_000, false), '1 min')
    assert.equal(formatTimeLeft(3_725_000, false), '1 h 02 min')
  })
})
