/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { SHIPPED_TEXTS } from '../src/i18n/messages.ts'
import { VisitorCatalog } from '../src/i18n/catalog.ts'
import { Client, bootSite, waitForStatus } from './http/helpers.ts'

function title(html: string) {
  return /<title>(.*)<\/title>/.exec(html)?.[1]
}

function heading(html: string) {
  return /<h1>(.*)<\/h1>/.exec(html)?.[1]
}

/**
 * Issue 18: the fixture app with @adonisjs/i18n (config/i18n.ts and
 * resources/lang/{it,fr,ca}/maintenance.json)
 */
test.group('i18n | the app’s @adonisjs/i18n', () => {
  test('the app’s locales, fallback and maintenance.* translations word the page', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', { FIXTURE_I18N: 'true' })
    const on = await app.ace(['offline:on', '--force'], { FIXTURE_I18N: 'true' })
    assert.equal(on.code, 0, on.stdout + on.stderr)
    await waitForStatus(server, 503)
    const visitor = new Client(server)
    const page = async (acceptLanguage: string) => {
      const response = await visitor.get('/', {
        'accept': 'text/html',
        'accept-language': acceptLanguage,
      })
      assert.equal(response.status, 503, acceptLanguage)
      return response
    }

    /**
     * Italian, which the package does not ship: all from the app
     */
    const italian = await page('it-IT,it;q=0.9')
    assert.include(italian.body, '<html lang="it">')
    assert.equal(italian.headers['content-language'], 'it')
    assert.equal(title(italian.body), 'In manutenzione')
    assert.equal(heading(italian.body), 'Torniamo presto')
    assert.include(italian.body, 'Stiamo eseguendo una manutenzione programmata.')
    assert.include(italian.body, 'Ritorno previsto alle <time')
    assert.include(italian.body, '>Riprova</a>')

    /**
     * French: the app rewords the title, the shipped texts do the rest
     */
    const french = await page('fr')
    assert.equal(title(french.body), 'Site en travaux')
    assert.equal(heading(french.body), SHIPPED_TEXTS.fr.heading)

    /**
     * Catalan: the app's title, then its fallback locale (Spanish)
     */
    const catalan = await page('ca')
    assert.include(catalan.body, '<html lang="ca">')
    assert.equal(title(catalan.body), 'En manteniment')
    assert.equal(heading(catalan.body), SHIPPED_TEXTS.es.heading)

    /**
     * German is shipped but not one of the app's locales: its default
     */
    const german = await page('de')
    assert.include(german.body, '<html lang="en">')
    assert.equal(title(german.body), SHIPPED_TEXTS.en.pageTitle)

    const json = await visitor.get('/api/ping', {
      'accept': 'application/json',
      'accept-language': 'it',
    })
    assert.equal(
      JSON.parse(json.body).message,
      'Stiamo eseguendo una manutenzione programmata. Torneremo a breve.'
    )
  }).timeout(90_000)

  test('a new app’s i18n config keeps the shipped languages; supportedLocales narrows them (issue 30)', async ({
    assert,
  }) => {
    const french = { 'accept': 'text/html', 'accept-language': 'fr' }
    const frenchJson = { 'accept': 'application/json', 'accept-language': 'fr' }
    for (const [shape, expected] of [
      ['new', 'fr'],
      ['english', 'en'],
    ] as const) {
      const env = { FIXTURE_I18N: 'true', FIXTURE_I18N_CONFIG: shape }
      const { app, server } = await bootSite('file', env)
      const on = await app.ace(['offline:on', '--force'], env)
      assert.equal(on.code, 0, on.stdout + on.stderr)
      await waitForStatus(server, 503)
      const visitor = new Client(server)
      const page = await visitor.get('/', french)
      assert.include(page.body, `<html lang="${expected}">`, shape)
      assert.equal(title(page.body), SHIPPED_TEXTS[expected].pageTitle, shape)
      const json = await visitor.get('/api/ping', frenchJson)
      assert.include(JSON.parse(json.body).message, SHIPPED_TEXTS[expected].defaultMessage, shape)
    }
  }).timeout(120_000)

  test('without @adonisjs/i18n the shipped languages answer', async ({ assert }) => {
    const { app, server } = await bootSite('file')
    const on = await app.ace(['offline:on', '--force'])
    assert.equal(on.code, 0, on.stdout + on.stderr)
    await waitForStatus(server, 503)
    const response = await new Client(server).get('/', {
      'accept': 'text/html',
      'accept-language': 'it, de;q=0.5',
    })
    assert.include(response.body, '<html lang="de">')
    assert.equal(title(response.body), SHIPPED_TEXTS.de.pageTitle)
  }).timeout(90_000)
})

test.group('i18n | VisitorCatalog', () => {
  test('texts are merged once per locale; unknown locales share the default ones', ({ assert }) => {
    const catalog = new VisitorCatalog(['en', 'it', 'ca'], 'it', {
      overrides: { it: { pageTitle: 'In manutenzione' }, ca: { pageTitle: 'En manteniment' } },
      fallbacks: { ca: 'es' },
    })
    assert.strictEqual(catalog.texts('it'), catalog.texts('it'))
    assert.equal(catalog.texts('it').pageTitle, 'In manutenzione')
    assert.equal(catalog.texts('it').heading, SHIPPED_TEXTS.en.heading, 'English last')
    assert.equal(catalog.texts('ca').heading, SHIPPED_TEXTS.es.heading, 'then the fallback')
    assert.strictEqual(catalog.texts('xx-hostile'), catalog.texts('it'), 'the default locale')
  })
})
