/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'

/**
 * Which core the app under load and the load generator run on. On a
 * machine this small the scheduler otherwise moves the app, its GC
 * threads and wrk across both cores from one round to the next, and the
 * rounds of one side differ by more than the package costs. Pinned, the
 * app has one core to itself and its throughput is the inverse of its
 * CPU time per request. Off with BENCH_PIN=false, or without taskset.
 */
export interface Pinning {
  app: string
  load: string
}

const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((path) => existsSync(path)) ?? null

export function pinning(): Pinning | null {
  if (process.env.BENCH_PIN === 'false' || !TASKSET || availableParallelism() < 2) return null
  return { app: '1', load: '0' }
}

/**
 * The command line that runs `command` on `cpu` (or as it is)
 */
export function onCpu(cpu: string | undefined, command: string, args: string[]) {
  if (!cpu || !TASKSET) return { command, args }
  return { command: TASKSET, args: ['-c', cpu, command, ...args] }
}

/**
 * CPU time a process has used so far, all its threads (the main thread,
 * V8's GC helpers, libuv's pool), in microseconds, from /proc (Linux)
 */
export function cpuMicroseconds(pid: number): number {
  let nanoseconds = 0
  for (const thread of readdirSync(`/proc/${pid}/task`)) {
    try {
      nanoseconds += Number(
        readFileSync(`/proc/${pid}/task/${thread}/schedstat`, 'utf8').split(' ')[0]
      )
    } catch {
      /**
       * A thread that ended between the listing and the read
       */
    }
  }
  return nanoseconds / 1000
}

/**
 * The same for a process and its children (nginx's master and its
 * worker), read from /proc/<pid>/task/<tid>/children
 */
export function treeCpuMicroseconds(pid: number): number {
  let total = cpuMicroseconds(pid)
  for (const thread of readdirSync(`/proc/${pid}/task`)) {
    let children: string[] = []
    try {
      children = readFileSync(`/proc/${pid}/task/${thread}/children`, 'utf8').split(' ')
    } catch {
      continue
    }
    for (const child of children) {
      if (!child.trim()) continue
      try {
        total += treeCpuMicroseconds(Number(child))
      } catch {
        /**
         * A child that ended between the listing and the read
         */
      }
    }
  }
  return total
}
