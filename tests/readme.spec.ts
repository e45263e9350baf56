/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from '@japa/runner'
import ts from 'typescript'
import OfflineOn from '../commands/offline_on.ts'
import OfflineStatus from '../commands/offline_status.ts'
import { defineConfig, stores } from '../index.ts'
import { createFixtureApp } from './fixture_app.ts'
import { createApp } from './helpers.ts'

const ROOT = fileURLToPath(new URL('../', import.meta.url))

async function readme() {
  return readFile(join(ROOT, 'README.md'), 'utf8')
}

function blocks(markdown: string, language: string) {
  const pattern = new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g')
  return [...markdown.matchAll(pattern)].map((match) => match[1])
}

/**
 * The README's examples are run or compiled, so they cannot rot
 */
test.group('README', () => {
  test('every TypeScript example type-checks against the package', async ({ assert, cleanup }) => {
    const examples = blocks(await readme(), 'ts')
    assert.isAtLeast(examples.length, 3)
    const directory = join(ROOT, 'tmp', `readme-${process.pid}`)
    await mkdir(directory, { recursive: true })
    cleanup(() => rm(directory, { recursive: true, force: true }))
    await writeFile(
      join(directory, 'env.ts'),
      `export default { get: (_key: string): 'file' | 'database' | 'redis' => 'file' }\n`
    )

    const files = await Promise.all(
      examples.map(async (source, index) => {
        const file = join(directory, `example_${index}.ts`)
        await writeFile(
          file,
          source
            .replaceAll(`from 'site-maintenance'`, `from '../../index.ts'`)
            .replaceAll(`from 'site-maintenance/services/main'`, `from '../../services/main.ts'`)
            .replaceAll(`from 'site-maintenance/admin'`, `from '../../src/admin/main.ts'`)
            .replaceAll(`from '#start/env'`, `from './env.ts'`) + '\nexport {}\n'
        )
        return file
      })
    )

    const parsed = ts.getParsedCommandLineOfConfigFile(
      join(ROOT, 'tsconfig.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: () => {},
      }
    )!
    /**
     * What an app's tests/bootstrap.ts brings: the api client's test context
     */
    const bootstrap = join(directory, 'bootstrap.ts')
    await writeFile(bootstrap, `import '@japa/api-client'\n`)
    const program = ts.createProgram([...files, bootstrap], {
      ...parsed.options,
      noEmit: true,
      noUnusedLocals: false,
      noUnusedParameters: false,
    })
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => files.includes(diagnostic.file?.fileName ?? ''))
      .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))
    assert.deepEqual(diagnostics, [])
  })

  test('every offline:* command line runs in a real app', async ({ assert }) => {
    const lines = blocks(await readme(), 'sh')
      .flatMap((block) => block.replace(/\s*\\\n\s*/g, ' ').split('\n'))
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      /**
       * The command of a line such as `node ace offline:status >/dev/null; case $? in`
       */
      .map((line) => line.split(/\s*(?:;|>|\||&&)/)[0])
      .filter((line) => line.startsWith('node ace offline:'))
    assert.includeMembers(lines, ['node ace offline:on', 'node ace offline:off'])
    assert.isTrue(lines.some((line) => line.startsWith('node ace offline:snippet nginx --')))

    const app = await createFixtureApp('file')
    for (const line of lines) {
      /**
       * Words as the shell splits them: `--at="in 30m"` is one argument
       */
      const args = [
        ...line.replace(/^node ace /, '').matchAll(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g),
      ].map(([word]) => word.replace(/["']/g, ''))
      if (args.some((arg) => arg.startsWith('--at='))) {
        const off = await app.ace(['offline:off'])
        assert.equal(off.code, 0, 'a window is scheduled from ONLINE')
      }
      const result = await app.ace(args)
      assert.equal(result.code, 0, `${line}\n${result.stderr}`)
    }
  }).timeout(90_000)

  test('the flag tables list exactly the commands flags', async ({ assert }) => {
    const markdown = await readme()
    const documented = [...markdown.matchAll(/^\| `--([a-z-]+)/gm)].map((match) => match[1])
    const onFlags = OfflineOn.flags.map((flag) => flag.flagName)
    for (const flag of onFlags) {
      assert.include(documented, flag === 'wait' ? 'no-wait' : flag, `--${flag} is documented`)
    }
    const statusFlags = OfflineStatus.flags.map((flag) => flag.flagName)
    assert.includeMembers(statusFlags, ['json'])
    for (const flag of statusFlags) assert.include(documented, flag, `--${flag} is documented`)
  })

  test('the configuration table lists every option', async ({ assert }) => {
    const markdown = await readme()
    const section = markdown.slice(markdown.indexOf('## Configuration'))
    const documented = [...section.matchAll(/^\| `([a-zA-Z]+)` \|/gm)].map((match) => match[1])
    const provider = defineConfig({ default: 'file', stores: { file: stores.file() } })
    const resolved = await provider.resolver((await createApp({})) as any)
    assert.includeMembers(documented, Object.keys(resolved))
  })
})
