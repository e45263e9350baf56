/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { assert } from '@japa/assert'
import { fileSystem } from '@japa/file-system'
import { processCLIArgs, configure, run } from '@japa/runner'
import { SUITES, suiteProblems } from '../tests/suites.ts'

/*
|--------------------------------------------------------------------------
| Japa entry point
|--------------------------------------------------------------------------
|
| The suites (tests/suites.ts, CONTRIBUTING.md) go from in-process specs
| to real SQLite, PostgreSQL, MariaDB and Redis servers, the fixture app's
| processes, web servers, Chromium, the packed tarball and the soak.
| `npm test` runs `bin/setup.ts` first, which makes sure the services are
| up, then every suite. `npm run quick:test -- unit` runs one suite.
|
*/
const problems = suiteProblems()
if (problems.length) {
  console.error(
    `bin/test.ts: every spec file must be in exactly one suite\n  ${problems.join('\n  ')}`
  )
  process.exit(1)
}

processCLIArgs(process.argv.splice(2))
configure({
  suites: Object.entries(SUITES).map(([name, files]) => ({ name, files })),
  plugins: [assert(), fileSystem({ basePath: new URL('../tmp/fs/', import.meta.url) })],
  timeout: 30_000,
  forceExit: true,
})

run()
