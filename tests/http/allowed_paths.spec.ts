/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { AllowedPaths, isCanonical, rawPath } from '../../src/request_path/allowed_paths.ts'

test.group('AllowedPaths', () => {
  test('matches exact paths, case-sensitively', ({ assert }) => {
    const paths = new AllowedPaths(['/health', '/up'])
    assert.isTrue(paths.matches('/health'))
    assert.isTrue(paths.matches('/up'))
    assert.isFalse(paths.matches('/HEALTH'))
    assert.isFalse(paths.matches('/healthz'))
    assert.isFalse(paths.matches('/health/x'))
    assert.isFalse(paths.matches('/'))
  })

  test('"/prefix/*" matches below the prefix only', ({ assert }) => {
    const paths = new AllowedPaths(['/maintenance/*'])
    assert.isTrue(paths.matches('/maintenance/logo.svg'))
    assert.isTrue(paths.matches('/maintenance/css/page.css'))
    assert.isTrue(paths.matches('/maintenance/my%20logo.png'))
    assert.isFalse(paths.matches('/maintenance'))
    assert.isFalse(paths.matches('/maintenance/'))
    assert.isFalse(paths.matches('/maintenance-admin/x'))
    assert.isFalse(paths.matches('/maintenance/../admin'))
    assert.isFalse(paths.matches('/maintenance/%2e%2e/admin'))
    assert.isFalse(paths.matches('/maintenance/..%2fadmin'))
    assert.isFalse(paths.matches('/maintenance//x'))
  })

  test('fails closed on every ambiguous spelling of {$self}')
    .with([
      '/health/../admin',
      '/health/..',
      '/health/.',
      '/./health',
      '/x/../health',
      '/health%2f..',
      '/health%2F..',
      '/health%2e',
      '/%2E%2E/health',
      '/health%5c',
      '/health%5C',
      '/health%00',
      '//health',
      '/health//',
      '/health;x',
      '/health;',
      '/health/',
      '/health\\',
      '/%68ealth',
      'health',
      'http://example.com/health',
      '*',
    ])
    .run(({ assert }, path) => {
      assert.isFalse(new AllowedPaths(['/health']).matches(path))
    })

  test('canonical paths', ({ assert }) => {
    assert.isTrue(isCanonical('/'))
    assert.isTrue(isCanonical('/a/b.c/.well-known/x'))
    assert.isTrue(isCanonical('/a/..b/c..'))
    assert.isFalse(isCanonical(''))
    assert.isFalse(isCanonical('/health\0'))
  })

  test('an empty list matches nothing', ({ assert }) => {
    const paths = new AllowedPaths([])
    assert.isTrue(paths.isEmpty)
    assert.isFalse(paths.matches('/'))
  })

  test('entries that could never match a canonical path are ignored', ({ assert }) => {
    const paths = new AllowedPaths(['/health/', 'health', '/a/../b', '//x/*'])
    assert.isTrue(paths.isEmpty)
  })

  test('rawPath drops the query string and nothing else', ({ assert }) => {
    assert.equal(rawPath('/health?x=1'), '/health')
    assert.equal(rawPath('/health%3Fx'), '/health%3Fx')
    assert.equal(rawPath('//a/../b?c'), '//a/../b')
    assert.equal(rawPath(undefined), '/')
  })
})
