/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

/**
 * Runs `work` one run at a time. A call made during a run is served by
 * one more run right after it (calls made meanwhile share it), so every
 * call is followed by a run that started after it, and none overlap.
 */
export class SerialRuns {
  #running: Promise<void> | null = null
  #again = false

  constructor(protected work: () => Promise<void>) {}

  /**
   * The run under way, or null
   */
  get running() {
    return this.#running
  }

  run(): Promise<void> {
    if (this.#running) {
      this.#again = true
      return this.#running
    }
    this.#running = (async () => {
      do {
        this.#again = false
        await this.work()
      } while (this.#again)
    })().finally(() => {
      this.#running = null
    })
    return this.#running
  }
}
