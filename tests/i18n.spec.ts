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
import { parseMessageFlags } from '../src/i18n/message_flags.ts'
import { LocaleNegotiator } from '../src/i18n/negotiate.ts'
import { MaintenancePage, type PageData } from '../src/maintenance_page.ts'
import { validateActivateOptions } from '../src/options.ts'
import { maintenanceAnswer } from '../src/request_path/maintenance_answer.ts'
import { initialState, parseState } from '../src/state.ts'
import type { MaintenanceState } from '../src/types.ts'
import { defaults } from '../src/defaults.ts'

const SHIPPED = ['en', 'fr', 'de', 'es']

function offlineState(revision: number, extra: Partial<MaintenanceState> = {}): MaintenanceState {
  return { ...initialState(), status: 'offline', revision, since: Date.now(), ...extra }
}

test.group('i18n | Accept-Language negotiation', () => {
  test('q-values, region fallback, wildcard and unknown languages', ({ assert }) => {
    const negotiator = new LocaleNegotiator(SHIPPED, 'en')
    assert.equal(negotiator.negotiate(undefined), 'en')
    assert.equal(negotiator.negotiate(''), 'en')
    assert.equal(negotiator.negotiate('fr'), 'fr')
    assert.equal(negotiator.negotiate('fr-CA'), 'fr')
    assert.equal(negotiator.negotiate('DE-at,de;q=0.9'), 'de')
    assert.equal(negotiator.negotiate('en;q=0.5, es;q=0.8, fr;q=0.7'), 'es')
    assert.equal(negotiator.negotiate('ja, fr;q=0.3'), 'fr', 'the first language we have')
    assert.equal(negotiator.negotiate('ja, zh-CN;q=0.9'), 'en', 'none we have: the default')
    assert.equal(negotiator.negotiate('ja, *;q=0.1'), 'en')
    assert.equal(negotiator.negotiate('fr;q=0, de;q=0.1'), 'de', 'q=0 refuses')
    assert.equal(negotiator.negotiate('fr;q=abc'), 'en', 'a broken q-value refuses')
    assert.equal(negotiator.negotiate(['fr']), 'en', 'a repeated header is ignored')
  })

  test('the app locales and default decide', ({ assert }) => {
    const negotiator = new LocaleNegotiator(['fr', 'pt-BR', 'en'], 'fr')
    assert.equal(negotiator.negotiate('ja'), 'fr')
    assert.equal(negotiator.negotiate('pt-br'), 'pt-BR')
    assert.equal(negotiator.negotiate('de'), 'fr')
  })

  test('a hostile 10 KB header is handled in bounded time and not remembered', ({ assert }) => {
    const negotiator = new LocaleNegotiator(SHIPPED, 'en')
    const hostile = `${'xx-'.repeat(1000)}a;q=0.5,`.repeat(1) + 'zz;q=0.1,'.repeat(1100) + 'fr'
    assert.isAbove(hostile.length, 10_000)
    const started = performance.now()
    for (let index = 0; index < 1000; index++) negotiator.negotiate(hostile + index)
    const elapsed = performance.now() - started
    assert.isBelow(elapsed, 500, `1000 hostile headers took ${elapsed.toFixed(1)} ms`)
    assert.equal(negotiator.negotiate(hostile), 'en', 'ranges past the bound are ignored')
  })
})

test.group('i18n | the page in the visitor language', () => {
  test('every shipped locale has every text', ({ assert }) => {
    const keys = Object.keys(SHIPPED_TEXTS.en).sort()
    assert.deepEqual(Object.keys(SHIPPED_TEXTS).sort(), ['de', 'en', 'es', 'fr'])
    for (const [locale, texts] of Object.entries(SHIPPED_TEXTS)) {
      assert.deepEqual(Object.keys(texts).sort(), keys, locale)
      for (const value of Object.values(texts)) assert.isAbove(value.length, 0, locale)
    }
  })

  test('built-in page and JSON per locale, with lang and Content-Language', ({ assert }) => {
    const page = new MaintenancePage({ message: defaults.message, retryAfter: 600 })
    const state = offlineState(3)
    const prepared = {
      retryAfter: '600',
      html: () => page.html(state),
      json: '{}',
      localized: (language: string | string[] | undefined) => page.answerFor(state, language),
    }
    const french = maintenanceAnswer(prepared, { headers: { 'accept-language': 'fr-CA' } })
    assert.include(french.body, '<html lang="fr">')
    assert.include(french.body, SHIPPED_TEXTS.fr.heading)
    assert.include(french.body, SHIPPED_TEXTS.fr.defaultMessage)
    assert.include(french.body, 'Retour prévu à')
    assert.equal(french.headers['Content-Language'], 'fr')
    assert.equal(french.headers['Vary'], 'Accept, Accept-Language')

    const json = maintenanceAnswer(prepared, {
      headers: { 'accept': 'application/json', 'accept-language': 'de' },
    })
    assert.equal(JSON.parse(json.body).message, SHIPPED_TEXTS.de.defaultMessage)
    assert.equal(JSON.parse(json.body).status, 'offline')
    assert.equal(json.headers['Content-Language'], 'de')

    const english = maintenanceAnswer(prepared, { headers: { 'accept-language': 'ja' } })
    assert.include(english.body, '<html lang="en">')
    assert.equal(english.body, page.html(state), 'the default locale is the prepared page')
  })

  test('rendered once per state and locale, dropped on state change, bounded', async ({
    assert,
  }) => {
    const renders: string[] = []
    const page = new MaintenancePage(
      { message: 'Custom message', retryAfter: 600 },
      async (data: PageData) => {
        renders.push(`${data.locale}:${data.message}`)
        return `<html lang="${data.locale}">${data.message}</html>`
      }
    )
    const first = offlineState(1, { messages: { fr: 'Bientôt' } })
    await page.prepare(first)
    assert.deepEqual(renders, ['en:Custom message'])

    for (let index = 0; index < 50; index++) {
      page.answerFor(first, 'en').html()
      page.answerFor(first, index % 2 ? 'fr' : 'fr-FR,fr;q=0.9').html()
      page.answerFor(first, `x${index}-zz, de;q=0.5`).html()
      page.answerFor(first, `q${index}`).html()
    }
    await new Promise((resolve) => setImmediate(resolve))
    assert.sameMembers(renders, ['en:Custom message', 'fr:Bientôt', 'de:Custom message'])
    assert.equal(page.answerFor(first, 'fr').html(), '<html lang="fr">Bientôt</html>')
    assert.equal(
      JSON.parse(page.answerFor(first, 'es').json).message,
      'Custom message',
      'a configured message is shown as written'
    )

    /**
     * A new revision renders again, once per locale
     */
    const second = offlineState(2, { message: 'Second' })
    await page.prepare(second)
    for (let index = 0; index < 20; index++) page.answerFor(second, 'fr').html()
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(renders.slice(3), ['en:Second', 'fr:Second'])
  })

  test('read-only texts are translated', ({ assert }) => {
    const page = new MaintenancePage({ message: defaults.message, retryAfter: 600 })
    const state = offlineState(1, { readOnly: true })
    const answer = page.answerFor(state, 'es')
    assert.include(answer.html(), SHIPPED_TEXTS.es.readOnlyHeading)
    assert.equal(JSON.parse(answer.json).message, SHIPPED_TEXTS.es.readOnlyMessage)
    assert.isTrue(JSON.parse(answer.json).readOnly)
  })
})

test.group('i18n | messages per locale', () => {
  test('--message-in entries become messages per locale', ({ assert }) => {
    assert.isUndefined(parseMessageFlags(undefined))
    assert.deepEqual(parseMessageFlags(['fr:De retour: bientôt', 'de: Gleich zurück']), {
      fr: 'De retour: bientôt',
      de: 'Gleich zurück',
    })
    assert.throws(() => parseMessageFlags(['De retour bientôt']), /Invalid --message-in/)
  })

  test('locales and lengths are validated', ({ assert }) => {
    const config = { drainTimeout: null, sessionIdleAge: 60_000 }
    const ok = validateActivateOptions(
      { messages: { 'fr': 'Bientôt', 'pt-BR': 'Já volto' } },
      config
    )
    assert.deepEqual(ok.messages, { 'fr': 'Bientôt', 'pt-BR': 'Já volto' })
    assert.throws(
      () => validateActivateOptions({ messages: { '../x': 'a' } }, config),
      /Invalid --message-in locale/
    )
    assert.throws(
      () => validateActivateOptions({ messages: { fr: '' } }, config),
      /Invalid --message-in for "fr"/
    )
    assert.throws(
      () => validateActivateOptions({ messages: { fr: 'x'.repeat(2001) } }, config),
      /Invalid --message-in for "fr"/
    )
  })

  test('records without messages stay valid; malformed ones are corrupt', ({ assert }) => {
    const record = { ...initialState(), status: 'offline', revision: 2, since: 1 }
    delete (record as any).messages
    assert.isUndefined(parseState(JSON.stringify(record), 'test').messages)
    assert.deepEqual(
      parseState(JSON.stringify({ ...record, messages: { fr: 'Bientôt' } }), 'test').messages,
      { fr: 'Bientôt' }
    )
    assert.throws(
      () => parseState(JSON.stringify({ ...record, messages: { fr: 3 } }), 'test'),
      /invalid messages/
    )
  })
})
