/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { SHIPPED_TEXTS } from '../../src/i18n/messages.ts'
import { Client, bootSite, login, waitForStatus } from './helpers.ts'

/**
 * Issue 18: the page in the visitor's language
 */
test.group('HTTP | languages', () => {
  test('OFFLINE: the page and the JSON answer in the language the visitor accepts', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file')
    const on = await app.ace(['offline:on', '--force'])
    assert.equal(on.code, 0, on.stderr)
    await waitForStatus(server, 503)

    const visitor = new Client(server)
    const cases = [
      ['fr-FR,fr;q=0.9,en;q=0.8', 'fr'],
      ['de', 'de'],
      ['es-MX', 'es'],
      ['ja', 'en'],
      ['en-US', 'en'],
    ] as const
    for (const [acceptLanguage, locale] of cases) {
      const texts = SHIPPED_TEXTS[locale]
      const html = await visitor.get('/dashboard', {
        'accept': 'text/html',
        'accept-language': acceptLanguage,
      })
      assert.equal(html.status, 503, acceptLanguage)
      assert.include(html.body, `<html lang="${locale}">`, acceptLanguage)
      assert.include(html.body, texts.defaultMessage.replace(/'/g, '&#39;'), acceptLanguage)
      assert.equal(html.headers['content-language'], locale, acceptLanguage)
      assert.include(html.headers['vary'] ?? '', 'Accept-Language', acceptLanguage)

      const json = await visitor.get('/api/ping', {
        'accept': 'application/json',
        'accept-language': acceptLanguage,
      })
      assert.equal(json.status, 503, acceptLanguage)
      assert.equal(JSON.parse(json.body).message, texts.defaultMessage, acceptLanguage)
      assert.equal(json.headers['content-language'], locale, acceptLanguage)
    }

    const none = await visitor.get('/', { accept: 'text/html' })
    assert.include(none.body, '<html lang="en">')
  }).timeout(60_000)

  test('--message-in gives each language its message; --message the others', async ({ assert }) => {
    const { app, server } = await bootSite('file')
    const on = await app.ace([
      'offline:on',
      '--force',
      '--message=Back at noon',
      '--message-in=fr:De retour à midi',
      '--message-in=de:Zurück um 12 Uhr',
    ])
    assert.equal(on.code, 0, on.stderr)
    await waitForStatus(server, 503)

    const visitor = new Client(server)
    const french = await visitor.get('/', { 'accept-language': 'fr' })
    assert.include(french.body, 'De retour à midi')
    assert.include(french.body, SHIPPED_TEXTS.fr.heading)
    const german = await visitor.get('/', {
      'accept': 'application/json',
      'accept-language': 'de-CH',
    })
    assert.equal(JSON.parse(german.body).message, 'Zurück um 12 Uhr')
    const spanish = await visitor.get('/', { 'accept-language': 'es' })
    assert.include(spanish.body, 'Back at noon')
    assert.include(spanish.body, SHIPPED_TEXTS.es.heading)
    const english = await visitor.get('/', { 'accept-language': 'en' })
    assert.include(english.body, 'Back at noon')

    const bad = await app.ace(['offline:on', '--force', '--message-in=De retour'])
    assert.notEqual(bad.code, 0)
    assert.include(bad.stdout + bad.stderr, 'Invalid --message-in')
  }).timeout(60_000)

  test('PENDING: the banner speaks the logged-in user language', async ({ assert }) => {
    const { app, server } = await bootSite('file')
    const { client: user } = await login(server)
    const on = await app.ace([
      'offline:on',
      '--no-wait',
      '--timeout=10m',
      '--message-in=fr:Mise à jour de la base',
    ])
    assert.equal(on.code, 0, on.stderr)
    await waitForStatus(server, 503)

    const french = await user.get('/dashboard', { 'accept-language': 'fr-CA,fr;q=0.9' })
    assert.equal(french.status, 200)
    assert.include(french.body, 'class="sm-banner sm-banner--pending"')
    assert.include(french.body, 'lang="fr"')
    assert.include(french.body, SHIPPED_TEXTS.fr.bannerPendingTitle)
    assert.include(french.body, SHIPPED_TEXTS.fr.bannerGoesOfflineIn)
    assert.include(french.body, 'Mise à jour de la base')

    const english = await user.get('/dashboard')
    assert.include(english.body, SHIPPED_TEXTS.en.bannerPendingTitle)
    assert.notInclude(english.body, 'Mise à jour de la base')
  }).timeout(60_000)
})
