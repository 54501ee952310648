/**
 * `pnpm bench [name…]`: runs the benchmarks of SPEC §13 one after another (never in parallel: they
 * measure the same two cores), prints one table, and writes bench-results/<time>.json and latest.json.
 *
 * Each benchmark runs in a process of its own (`node scripts/bench/run.ts --one <name>`), so one
 * cannot leave heap, timers or connections behind that skew the next (the audit verify, run after the
 * outbox bench in a shared process, measured ~20 % slower).
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type BenchResult, machineDescription } from './lib.ts';

const BENCHES: Record<string, () => Promise<{ run(): Promise<BenchResult> }>> = {
  outbox: () => import('./outbox.ts'),
  audit: () => import('./audit.ts'),
  search: () => import('./search.ts'),
  logs: () => import('./logs.ts'),
  'log-layout': () => import('./log-layout.ts'),
  aims: () => import('./aims.ts'),
  content: () => import('./content.ts'),
  'idle-rss': () => import('./idle-rss.ts'),
  datasets: () => import('./datasets.ts'),
};

/** The line a child prints its result on, so the rest of its output can pass through untouched. */
const RESULT_PREFIX = 'ATRIUM_BENCH_RESULT ';

if (process.argv[2] === '--one') {
  const name = process.argv[3] ?? '';
  const load = BENCHES[name];
  if (!load) throw new Error(`unknown benchmark ${name}`);
  const result = await (await load()).run();
  console.log(`${RESULT_PREFIX}${JSON.stringify(result)}`);
  process.exit(0);
}

function runInChild(name: string): Promise<BenchResult> {
  return new Promise((resolveResult, reject) => {
    const child = spawn(process.execPath, [import.meta.filename, '--one', name], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = output.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code === 0 && line)
        return resolveResult(JSON.parse(line.slice(RESULT_PREFIX.length)) as BenchResult);
      reject(new Error(`benchmark ${name} exited ${code}:\n${output.trim()}`));
    });
  });
}

const selected = process.argv.slice(2);
const names = selected.length > 0 ? selected : Object.keys(BENCHES);
const unknown = names.filter((n) => !(n in BENCHES));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}

const machine = machineDescription();
console.log(`Atrium benchmarks on ${machine}\n`);
const results: BenchResult[] = [];
for (const name of names) {
  process.stdout.write(`running ${name}… `);
  const started = Date.now();
  try {
    results.push(await runInChild(name));
    console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    console.log('FAILED');
    console.error(error);
    results.push({ name, metrics: [{ what: 'error', value: Number.NaN, unit: String(error), pass: false }] });
  }
}

const rows = results.flatMap((r) => r.metrics.map((m) => ({ bench: r.name, ...m })));
const widths = { bench: 12, what: 52, value: 14, target: 22 };
console.log(
  `\n${'bench'.padEnd(widths.bench)}${'what'.padEnd(widths.what)}${'value'.padStart(widths.value)}  ${'target'.padEnd(widths.target)}result`,
);
for (const row of rows) {
  const value = `${row.value} ${row.unit}`;
  const verdict = row.pass === undefined ? '' : row.pass ? 'pass' : 'MISS';
  console.log(
    `${row.bench.padEnd(widths.bench)}${row.what.padEnd(widths.what)}${value.padStart(widths.value)}  ${(row.target ?? '').padEnd(widths.target)}${verdict}`,
  );
}

const outDir = resolve(import.meta.dirname, '../../bench-results');
await mkdir(outDir, { recursive: true });
const report = { at: new Date().toISOString(), machine, results };
const stamp = report.at.replaceAll(':', '-');
await writeFile(resolve(outDir, `${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
await writeFile(resolve(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nwritten to bench-results/${stamp}.json`);
process.exit(rows.some((r) => r.pass === false) ? 1 : 0);
