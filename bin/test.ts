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

/*
|--------------------------------------------------------------------------
| Japa entry point
|--------------------------------------------------------------------------
|
| The suite talks to real SQLite, PostgreSQL, MariaDB and Redis servers.
| `npm test` runs `bin/setup.ts` first, which makes sure they are up.
|
*/
processCLIArgs(process.argv.splice(2))
configure({
  files: ['tests/**/*.spec.ts'],
  plugins: [assert(), fileSystem({ basePath: new URL('../tmp/fs/', import.meta.url) })],
  timeout: 30_000,
  forceExit: true,
})

run()
