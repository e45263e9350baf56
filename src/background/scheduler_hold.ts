/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { ApplicationService } from '@adonisjs/core/types'
import debug from '../debug.ts'
import { guardRun, maintenanceOf } from './command_hold.ts'
import type { MaintenanceHold } from './maintenance_hold.ts'

/**
 * The parts of adonisjs-scheduler's `Scheduler` and its schedules read
 * here (the package is optional, so its types are not imported)
 */
export interface ScheduleItem {
  type: string
  commandName?: string
  callback?: () => unknown
}

export interface SchedulerLike {
  items: ScheduleItem[]
  boot(): Promise<void>
}

const RUN_ANYWAY = new WeakSet<object>()
const WRAPPED = new WeakSet<object>()

/**
 * Let one schedule run while the site is PENDING or OFFLINE
 *
 * ```ts
 * runDuringMaintenance(scheduler.command('backup:database').hourly())
 * runDuringMaintenance(scheduler.call(() => pruneCache()).everyMinute())
 * ```
 *
 * For a command the mark covers every schedule of that command; a command
 * can also declare `static maintenance = 'run'` itself.
 */
export function runDuringMaintenance<Schedule extends object>(schedule: Schedule): Schedule {
  RUN_ANYWAY.add(schedule)
  return schedule
}

/**
 * Hold adonisjs-scheduler's schedules still while the site is PENDING or
 * OFFLINE. The worker calls `scheduler.boot()` before it reads the
 * schedules (the `@schedule` decorators add theirs there), so the
 * schedules are wrapped right after it; their timing, tags and overlap
 * locks stay the scheduler's.
 */
export function holdScheduler(
  app: ApplicationService,
  scheduler: SchedulerLike,
  hold: MaintenanceHold
) {
  const boot = scheduler.boot.bind(scheduler)
  scheduler.boot = async () => {
    await boot()
    await holdSchedules(app, scheduler.items, hold)
  }
}

async function holdSchedules(
  app: ApplicationService,
  items: ScheduleItem[],
  hold: MaintenanceHold
) {
  const commands = new Set<string>()
  const allowed = new Set<string>()
  items.forEach((item, index) => {
    if (item.type === 'command' && item.commandName) {
      ;(RUN_ANYWAY.has(item) ? allowed : commands).add(item.commandName)
    } else if (item.type === 'callback' && item.callback && !RUN_ANYWAY.has(item)) {
      if (WRAPPED.has(item)) return
      WRAPPED.add(item)
      const callback = item.callback
      const job = `callback #${index + 1}`
      item.callback = async () => {
        if (await hold.check(job)) return
        return callback()
      }
    }
  })

  const held = [...commands].filter((name) => !allowed.has(name))
  if (!held.length) return

  /**
   * The worker runs commands on a kernel of its own, with the app's
   * loaders: find the classes the same way, then guard every instance
   * the container makes of them
   */
  const { Kernel, FsLoader } = await import('@adonisjs/core/ace')
  const kernel = new Kernel(app)
  kernel.addLoader(new FsLoader(app.commandsPath()))
  for (const loader of app.rcFile.commands) {
    kernel.addLoader(() => (typeof loader === 'function' ? loader() : app.import(loader)))
  }
  await kernel.boot()

  for (const name of held) {
    let Command
    try {
      Command = await kernel.find(name)
    } catch (error) {
      debug('cannot hold scheduled command %s: %O', name, error)
      continue
    }
    if (maintenanceOf(Command) === 'run' || WRAPPED.has(Command)) continue
    WRAPPED.add(Command)
    app.container.resolving(Command as any, (command: any) => {
      guardRun(command, () => hold.check(command.commandName ?? name))
    })
  }
}
