/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

export * as errors from './src/errors.ts'
export { configure } from './configure.ts'
export { stubsRoot } from './stubs/main.ts'
export { defineConfig, stores } from './src/define_config.ts'
export { MaintenanceManager } from './src/maintenance_manager.ts'
export { CommandTask } from './src/command_task.ts'
export { runDuringMaintenance } from './src/background/scheduler_hold.ts'
export type { CommandMaintenance } from './src/background/command_hold.ts'
