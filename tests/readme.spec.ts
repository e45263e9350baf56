/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { access, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from '@japa/runner'
import ts from 'typescript'
import OfflineOn from '../commands/offline_on.ts'
import OfflineStatus from '../commands/offline_status.ts'
import { defineConfig, stores } from '../index.ts'
import { createFixtureApp } from './fixture_app.ts'
import { createApp } from './helpers.ts'

const ROOT = fileURLToPath(new URL('../', import.meta.url))

/**
 * The user documentation: README.md, then one page per topic under docs/
 */
async function documentationFiles() {
  const names = await readdir(join(ROOT, 'docs'))
  const pages = names
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`)
  return ['README.md', ...pages]
}

async function documentation() {
  const files = await documentationFiles()
  return Promise.all(
    files.map(async (file) => ({ file, text: await readFile(join(ROOT, file), 'utf8') }))
  )
}

/**
 * Every page of the documentation, one after the other
 */
async function readme() {
  const pages = await documentation()
  return pages.map(({ text }) => text).join('\n')
}

function blocks(markdown: string, language: string) {
  const pattern = new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g')
  return [...markdown.matchAll(pattern)].map((match) => match[1])
}

/**
 * Markdown files whose relative links must resolve
 */
async function linkedFiles() {
  const files = [...(await documentationFiles()), 'SECURITY.md', 'BENCHMARKS.md', 'CONTRIBUTING.md']
  const results = await readdir(join(ROOT, 'bench/results'))
  const history = results
    .filter((name) => name.endsWith('.md'))
    .map((name) => `bench/results/${name}`)
  return [...files, ...history]
}

/**
 * The lines of a markdown file outside its fenced code blocks, with
 * inline code spans blanked out
 */
function prose(markdown: string) {
  let fenced = false
  const lines: string[] = []
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) {
      fenced = !fenced
      continue
    }
    if (!fenced) lines.push(line.replace(/`[^`]*`/g, '``'))
  }
  return lines
}

/**
 * The anchors GitHub gives a file's headings: lower case, punctuation
 * dropped, spaces as hyphens, "-1", "-2" on repeats
 */
function anchorsOf(markdown: string) {
  let fenced = false
  const seen = new Map<string, number>()
  const anchors: string[] = []
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced
    const heading = fenced ? null : /^#{1,6} (.*)$/.exec(line)
    if (!heading) continue
    const slug = heading[1]
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
      .replaceAll(' ', '-')
    const repeats = seen.get(slug) ?? 0
    seen.set(slug, repeats + 1)
    anchors.push(repeats === 0 ? slug : `${slug}-${repeats}`)
  }
  return anchors
}

async function exists(path: string) {
  return access(path).then(
    () => true,
    () => false
  )
}

/**
 * The examples of README.md and docs/*.md are run or compiled, so they
 * cannot rot; the links between the pages must resolve
 */
test.group('README', () => {
  test('every TypeScript example type-checks against the package', async ({ assert, cleanup }) => {
    const pages = await documentation()
    const examples = pages.flatMap(({ file, text }) =>
      blocks(text, 'ts').map((source) => ({ file, source }))
    )
    assert.isAtLeast(examples.length, 3)
    const directory = join(ROOT, 'tmp', `readme-${process.pid}`)
    await mkdir(directory, { recursive: true })
    cleanup(() => rm(directory, { recursive: true, force: true }))
    await writeFile(
      join(directory, 'env.ts'),
      `export default { get: (_key: string): 'file' | 'database' | 'redis' => 'file' }\n`
    )

    const files = await Promise.all(
      examples.map(async ({ file: page, source }, index) => {
        const file = join(directory, `example_${index}_${basename(page, '.md')}.ts`)
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
      .map(
        (diagnostic) =>
          `${basename(diagnostic.file!.fileName)}: ` +
          ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
      )
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
  }).timeout(180_000)

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
    const markdown = await readFile(join(ROOT, 'docs/stores_and_configuration.md'), 'utf8')
    const section = markdown.slice(markdown.indexOf('## Configuration'))
    const documented = [...section.matchAll(/^\| `([a-zA-Z]+)` \|/gm)].map((match) => match[1])
    const provider = defineConfig({ default: 'file', stores: { file: stores.file() } })
    const resolved = await provider.resolver((await createApp({})) as any)
    assert.includeMembers(documented, Object.keys(resolved))
  })

  test('README.md stays a front page of at most 300 lines', async ({ assert }) => {
    const text = await readFile(join(ROOT, 'README.md'), 'utf8')
    const lines = text.trimEnd().split('\n')
    assert.isAtMost(lines.length, 300, 'move the detail to a page under docs/')
  })

  test('every page under docs/ is linked from README.md', async ({ assert }) => {
    const readmeText = await readFile(join(ROOT, 'README.md'), 'utf8')
    for (const file of await documentationFiles()) {
      if (file === 'README.md') continue
      assert.include(readmeText, `](${file})`, `${file} is reachable from the README`)
    }
  })

  test('every relative link points to an existing file and heading', async ({ assert }) => {
    const broken: string[] = []
    const anchors = new Map<string, string[]>()
    const anchorsIn = async (file: string) => {
      if (!anchors.has(file)) anchors.set(file, anchorsOf(await readFile(join(ROOT, file), 'utf8')))
      return anchors.get(file)!
    }
    const files = await linkedFiles()
    assert.includeMembers(files, ['README.md', 'docs/commands.md', 'CONTRIBUTING.md'])
    let count = 0
    for (const file of files) {
      const text = await readFile(join(ROOT, file), 'utf8')
      for (const line of prose(text)) {
        const targets = [
          ...[...line.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]),
          ...[...line.matchAll(/<img src="([^"]+)"/g)].map((match) => match[1]),
        ]
        for (const target of targets) {
          if (/^[a-z]+:/i.test(target)) continue
          count++
          const [path, anchor] = target.split('#')
          const resolved = path ? relative(ROOT, join(ROOT, dirname(file), path)) : file
          if (!(await exists(join(ROOT, resolved)))) {
            broken.push(`${file}: ${target} (no file ${resolved})`)
          } else if (anchor !== undefined && resolved.endsWith('.md')) {
            const headings = await anchorsIn(resolved)
            if (!headings.includes(anchor)) {
              broken.push(`${file}: ${target} (no heading #${anchor} in ${resolved})`)
            }
          }
        }
      }
    }
    assert.isAtLeast(count, 20)
    assert.deepEqual(broken, [])
  })
})
