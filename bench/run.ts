/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

/**
 * `npm run bench [-- --json] [--only=census|propagation|overhead] [--quick]`
 *
 * Not part of `npm test`. Needs the local PostgreSQL, MariaDB and Redis
 * that bin/setup.ts brings up. Everything runs on loopback, with bounded
 * loops, sized for a 2-core machine. Progress goes to stderr; the results
 * go to stdout, with `--json` one JSON object printed last.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { benchCensus, type CensusResult } from './census.ts'
import { BENCH_DATABASES } from './lib/databases.ts'
import { log } from './lib/stats.ts'
import { machine } from './lib/machine.ts'

const SECTIONS = ['census', 'propagation', 'overhead'] as const
type Section = (typeof SECTIONS)[number]

const args = process.argv.slice(2)
const json = args.includes('--json')
const quick = args.includes('--quick')
const onlyArg = args.find((arg) => arg.startsWith('--only='))
const only = onlyArg ? (onlyArg.slice('--only='.length).split(',') as Section[]) : [...SECTIONS]
for (const section of only) {
  if (!SECTIONS.includes(section)) {
    process.stderr.write(`Unknown section "${section}". Use --only=${SECTIONS.join('|')}\n`)
    process.exit(2)
  }
}

const results: Record<string, any> = {
  date: new Date().toISOString(),
  quick,
  machine: await machine(),
}

if (only.includes('census')) {
  const census = await benchCensus([...BENCH_DATABASES], quick)
  results.census_ms = Object.fromEntries(
    Object.entries(census).map(([name, r]) => [
      name,
      {
        first_call: pick(r.first_call),
        first_call_with_sweep: pick(r.first_call_with_sweep),
        count_sessions: pick(r.count_sessions),
        running_tasks: pick(r.running_tasks_ms),
        census: pick(r.census),
      },
    ])
  )
  results.machine.databases = Object.fromEntries(
    Object.entries(census).map(([name, r]) => [name, r.server_version])
  )
  results.census_plans = Object.fromEntries(
    Object.entries(census).map(([name, r]) => [name, r.plans])
  )
  printCensus(census)
}

await mkdir(new URL('../tmp/bench/', import.meta.url), { recursive: true })
await writeFile(
  new URL('../tmp/bench/results.json', import.meta.url),
  JSON.stringify(results, null, 2) + '\n'
)
log('results saved to tmp/bench/results.json')

if (json) process.stdout.write(JSON.stringify(results) + '\n')

function pick(summary: { median: number; p95: number }) {
  return { median: summary.median, p95: summary.p95 }
}

function printCensus(census: Partial<Record<string, CensusResult>>) {
  const lines = [
    '',
    '## Census at scale (100k session rows, 1k task rows; ms, median / p95)',
    '',
    '| database | first call | first call + its sweep of 10k expired rows | countSessions | runningTasks | manager.census() |',
    '|---|---|---|---|---|---|',
  ]
  for (const [name, r] of Object.entries(census)) {
    const cell = (s: { median: number; p95: number }) => `${s.median} / ${s.p95}`
    lines.push(
      `| ${name} | ${cell(r!.first_call)} | ${cell(r!.first_call_with_sweep)} | ${cell(r!.count_sessions)} | ${cell(r!.running_tasks_ms)} | ${cell(r!.census)} |`
    )
  }
  for (const [name, r] of Object.entries(census)) {
    lines.push('', `### Query plans, ${name}`, '', '```')
    for (const [query, plan] of Object.entries(r!.plans)) lines.push(`-- ${query}`, ...plan, '')
    lines.push('```')
  }
  process.stdout.write(lines.join('\n') + '\n')
}
