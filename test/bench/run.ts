/**
 * run is `npm run bench`: it runs every bench module in turn within a time budget and prints their figures side
 * by side with their baselines. Add a bench by adding it to BENCHES. `--only NAME` runs one; `--json` prints the
 * figures as JSON after the table. Exit code 1 if a bench failed, 2 if a goal was missed.
 */
import { Report, type BenchModule } from "./report.ts";

const BENCHES: ReadonlyArray<{ name: string; load: () => Promise<BenchModule> }> = [
  { name: "store", load: () => import("./store-bench.ts") },
  { name: "api", load: () => import("./api-bench.ts") },
  { name: "daemon", load: () => import("./daemon-bench.ts") },
  { name: "footprint", load: () => import("./footprint-bench.ts") },
  { name: "proxy", load: () => import("./proxy-bench.ts") },
  { name: "app", load: () => import("./app-bench.ts") },
  { name: "build", load: () => import("./build-bench.ts") },
  { name: "ui", load: () => import("./ui-bench.ts") },
  { name: "database", load: () => import("./database-bench.ts") },
  { name: "backup", load: () => import("./backup-bench.ts") },
  { name: "cli", load: () => import("./cli-bench.ts") },
];

/** BUDGET_MS bounds the whole run; each bench gets the signal and must stop when it aborts. */
const BUDGET_MS = 900_000;

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
  const controller = new AbortController();
  const budget = setTimeout(() => controller.abort(new Error(`bench budget of ${BUDGET_MS / 1000} s spent`)), BUDGET_MS);
  const report = new Report(controller.signal, (line) => process.stderr.write(`${line}\n`));
  let failed = false;
  for (const entry of BENCHES) {
    if (only && entry.name !== only) continue;
    report.begin(entry.name);
    const started = performance.now();
    try {
      const module = await entry.load();
      await abortable(module.bench(report), controller.signal);
    } catch (error) {
      failed = true;
      report.progress(`FAILED: ${(error as Error).stack ?? String(error)}`);
    }
    report.progress(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  clearTimeout(budget);
  process.stdout.write(`\n${report.table()}\n`);
  if (args.includes("--json")) process.stdout.write(`${JSON.stringify(report.figures, null, 2)}\n`);
  const missed = report.missedGoals();
  for (const f of missed) process.stdout.write(`goal missed: ${f.bench} ${f.name}\n`);
  return failed ? 1 : missed.length > 0 ? 2 : 0;
}

/** abortable rejects as soon as the signal aborts, even if the bench ignores it. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
    process.exit(1);
  },
);
