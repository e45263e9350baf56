/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { IpAllowList } from '../../src/request_path/ip_allow_list.ts'

test.group('IpAllowList', () => {
  test('single IPv4 and IPv6 addresses', ({ assert }) => {
    const list = new IpAllowList(['203.0.113.7', '2001:db8::1'])
    assert.isTrue(list.matches('203.0.113.7'))
    assert.isFalse(list.matches('203.0.113.8'))
    assert.isTrue(list.matches('2001:db8::1'))
    assert.isTrue(list.matches('2001:0db8:0:0:0:0:0:1'))
    assert.isFalse(list.matches('2001:db8::2'))
  })

  test('CIDR ranges', ({ assert }) => {
    const list = new IpAllowList(['10.0.0.0/8', '2001:db8::/32'])
    assert.isTrue(list.matches('10.200.3.4'))
    assert.isFalse(list.matches('11.0.0.1'))
    assert.isTrue(list.matches('2001:db8:ffff::1'))
    assert.isFalse(list.matches('2001:db9::1'))
  })

  test('IPv4-mapped IPv6 clients match IPv4 entries, and the other way round', ({ assert }) => {
    const list = new IpAllowList(['127.0.0.1', '::ffff:10.0.0.0/104'])
    assert.isTrue(list.matches('::ffff:127.0.0.1'))
    assert.isTrue(list.matches('10.1.2.3'))
    assert.isTrue(list.matches('::ffff:10.1.2.3'))
    assert.isFalse(list.matches('::1'))
  })

  test('garbage never matches and invalid entries are ignored', ({ assert }) => {
    const list = new IpAllowList(['not-an-ip', '10.0.0.0/8'])
    assert.isFalse(list.matches(''))
    assert.isFalse(list.matches(undefined))
    assert.isFalse(list.matches('10.0.0.1, 10.0.0.2'))
    assert.isFalse(list.matches('localhost'))
    assert.isTrue(list.matches('10.0.0.1'))
    assert.isTrue(new IpAllowList([]).isEmpty)
  })
})
