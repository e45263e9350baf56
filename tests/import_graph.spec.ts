/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from '@japa/runner'
import { ROOT, graph, importsOf, requestPathOffenders } from './import_graph.ts'

test.group('Import graph', () => {
  test('the request path loads no store and no node:fs', ({ assert }) => {
    const reached = graph([
      'src/request_path/maintenance_middleware.ts',
      'src/request_path/maintenance_gate.ts',
      'src/request_path/early_answer.ts',
    ])
    assert.deepEqual(requestPathOffenders(reached), [])
    assert.isTrue(
      reached.has(resolve(ROOT, 'src/request_path/presence_marker.ts')),
      'the walk follows imports'
    )
    assert.isTrue(reached.has('@adonisjs/core'), 'and records packages')
  })

  test('loading the provider loads no integration: each plugin is imported once detected', ({
    assert,
  }) => {
    const reached = [...graph(['providers/maintenance_provider.ts'], ROOT, false).keys()]
    const optional =
      /^(edge\.js|adonisjs-scheduler|@adonisjs\/(auth|i18n|queue|session|transmit|redis|lucid))/
    assert.deepEqual(
      reached.filter((module) => optional.test(module)),
      [],
      'no optional package'
    )
    const plugins = reached
      .filter((module) => module.includes('/src/plugins/'))
      .map((module) => relative(ROOT, module))
    assert.deepEqual(plugins.sort(), ['src/plugins/main.ts'], 'only the list of plugins')
  })

  test('no import loops among the package modules, type imports included', ({ assert }) => {
    const entries = [
      'index.ts',
      'services/main.ts',
      'configure.ts',
      ...['src', 'providers', 'commands'].flatMap((folder) =>
        readdirSync(resolve(ROOT, folder), { recursive: true, encoding: 'utf8' })
          .filter((file) => file.endsWith('.ts'))
          .map((file) => join(folder, file))
      ),
    ]
    const loops: string[] = []
    const visiting: string[] = []
    const done = new Set<string>()
    const visit = (file: string) => {
      if (done.has(file)) return
      const at = visiting.indexOf(file)
      if (at !== -1) {
        loops.push([...visiting.slice(at), file].map((f) => relative(ROOT, f)).join(' → '))
        return
      }
      visiting.push(file)
      for (const specifier of importsOf(file, { types: true })) {
        if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier))
      }
      visiting.pop()
      done.add(file)
    }
    for (const entry of entries) visit(resolve(ROOT, entry))
    assert.deepEqual(loops, [])
  })
})
