/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import debug from './debug.ts'
import type { FakeStatus, FakedSite, MaintenanceFake } from './maintenance_fake.ts'
import type { ActivateOptions, MaintenanceState, MaintenanceStoreContract } from './types.ts'

/**
 * What faking needs of the state in memory: the state to come back to,
 * and a read of the configured store once the fake is restored
 */
export interface FakedCopy {
  readonly state: Readonly<MaintenanceState>
  refresh(): Promise<unknown>
  apply(state: MaintenanceState): Promise<void>
}

/**
 * The lifecycle of `maintenance.fake()`, for the tests of apps: one fake
 * at a time, on an in-memory store used instead of the configured one
 * until it is restored, which happens by itself after the Japa test that
 * made it. Nothing reaches the configured store or this host's lock file
 * meanwhile.
 */
export class FakeLifecycle {
  #fake: MaintenanceFake | null = null

  constructor(
    protected site: FakedSite,
    protected copy: FakedCopy
  ) {}

  /**
   * Whether a fake is in place
   */
  get active() {
    return this.#fake !== null
  }

  /**
   * The fake's store while one is in place, else null
   */
  get store(): MaintenanceStoreContract | null {
    return this.#fake?.store ?? null
  }

  /**
   * The fake in place (made on first use), put in `status`
   */
  async fake(status: FakeStatus, options: ActivateOptions): Promise<MaintenanceFake> {
    if (!this.#fake) {
      const [{ MaintenanceFake }, { MemoryStore }] = await Promise.all([
        import('./maintenance_fake.ts'),
        import('./stores/memory.ts'),
      ])
      const before = this.copy.state
      const fake = new MaintenanceFake(this.site, new MemoryStore(), async () => {
        if (this.#fake === fake) this.#fake = null
        await this.#leave(before)
      })
      this.#fake = fake
      await restoreAfterTest(fake)
    }
    return this.#fake.to(status, options)
  }

  /**
   * Back from a fake: the configured store's state, or the state from
   * before the fake when that store cannot be read now
   */
  async #leave(before: Readonly<MaintenanceState>) {
    try {
      await this.copy.refresh()
    } catch {
      await this.copy.apply(before)
    }
  }
}

/**
 * Restore a fake after the Japa test that made it, when it runs in one
 */
async function restoreAfterTest(fake: MaintenanceFake) {
  try {
    const { getActiveTest } = await import('@japa/runner')
    getActiveTest()?.cleanup(() => fake.restore())
  } catch {
    debug('not in a Japa test: restore the fake yourself')
  }
}
