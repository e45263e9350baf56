/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { RequestStats } from '../../src/request_path/request_stats.ts'

function recorder() {
  const lines: string[] = []
  return { lines, logger: { info: (line: string) => lines.push(line) } }
}

test.group('RequestStats', () => {
  test('one summary line per interval, whatever the crowd', ({ assert }) => {
    const { lines, logger } = recorder()
    const stats = new RequestStats(logger, 60_000)
    const start = 1_000_000
    for (let index = 0; index < 50_000; index++) {
      stats.recordAnswered('offline', start + index)
    }
    assert.deepEqual(lines, [])
    stats.recordBypassed('offline', start + 60_000)
    assert.deepEqual(lines, [
      'site-maintenance: OFFLINE: 50,000 requests answered, 1 passed by bypass',
    ])
    for (let index = 0; index < 10; index++) stats.recordAnswered('offline', start + 61_000)
    assert.lengthOf(lines, 1)
    assert.equal(stats.answered, 50_010)
    assert.equal(stats.bypassed, 1)
  })

  test('a new status flushes the previous window and starts new totals', ({ assert }) => {
    const { lines, logger } = recorder()
    const stats = new RequestStats(logger, 60_000)
    stats.recordAnswered('pending', 0)
    stats.recordBypassed('pending', 1)
    stats.recordAnswered('offline', 2)
    assert.deepEqual(lines, ['site-maintenance: PENDING: 1 request answered, 1 passed by bypass'])
    assert.equal(stats.answered, 1)
    assert.equal(stats.bypassed, 0)
  })

  test('going ONLINE logs what the last window counted', ({ assert }) => {
    const { lines, logger } = recorder()
    const stats = new RequestStats(logger)
    assert.isFalse(stats.active)
    stats.recordAnswered('offline', 0)
    assert.isTrue(stats.active)
    stats.close()
    assert.isFalse(stats.active)
    assert.deepEqual(lines, ['site-maintenance: OFFLINE: 1 request answered, 0 passed by bypass'])
  })

  test('an empty window logs nothing', ({ assert }) => {
    const { lines, logger } = recorder()
    const stats = new RequestStats(logger)
    stats.flush()
    assert.deepEqual(lines, [])
  })
})
