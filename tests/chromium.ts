/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { existsSync } from 'node:fs'
import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'

/**
 * The system's Chromium (bin/setup.ts installs it), driven by
 * playwright-core, which ships no browser of its own
 */
export const CHROMIUM_PATH = '/usr/bin/chromium'

/**
 * Where the committed screenshots go
 */
export const SCREENSHOTS = fileURLToPath(new URL('../docs/screenshots/', import.meta.url))

/**
 * Where screenshots of real time go (a countdown, the clock of a state
 * written by a real command): they differ on every run, so they replace
 * the committed ones only with SCREENSHOTS=update
 */
const TIMED_SCREENSHOTS =
  process.env.SCREENSHOTS === 'update'
    ? SCREENSHOTS
    : fileURLToPath(new URL('../tmp/screenshots/', import.meta.url))

/**
 * The most a committed screenshot may weigh
 */
export const MAX_PNG_BYTES = 200 * 1024

/**
 * Headless, in a container (no sandbox, no GPU), and quiet: no update,
 * sync or background request leaves the machine, so the only requests
 * are the ones the tests make
 */
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * Launch headless Chromium; fails loudly, naming the fix, when it is not
 * installed
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} is missing: run "npm run setup" (or apt-get install chromium)`
    )
  }
  await mkdir(SCREENSHOTS, { recursive: true })
  await mkdir(TIMED_SCREENSHOTS, { recursive: true })
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS })
}

/**
 * Write docs/screenshots/<name> (no animation, no caret); returns its size.
 * `timed`: it shows real time, see TIMED_SCREENSHOTS.
 */
export async function screenshot(page: Page, name: string, { timed = false } = {}) {
  const path = join(timed ? TIMED_SCREENSHOTS : SCREENSHOTS, name)
  await page.screenshot({ path, animations: 'disabled', caret: 'hide' })
  const { size } = await stat(path)
  return size
}
