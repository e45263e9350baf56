/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { SUITES, specFiles, suiteProblems } from './suites.ts'

test.group('Suites', () => {
  test('every spec file is in exactly one suite', ({ assert }) => {
    assert.deepEqual(suiteProblems(), [])
    assert.sameMembers(Object.values(SUITES).flat(), specFiles())
  })

  test('the glob finds the specs of subfolders and skips the fixtures', ({ assert }) => {
    const files = specFiles()
    assert.include(files, 'tests/suites.spec.ts')
    assert.include(files, 'tests/stores/store_contract.spec.ts')
    assert.isFalse(files.some((file) => file.startsWith('tests/fixtures/')))
  })
})
