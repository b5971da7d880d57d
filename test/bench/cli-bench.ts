import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BERTH_BIN } from "../support/run-cli.ts";
import { removeDirs, startDaemon } from "../support/daemon.ts";
import type { Report } from "./report.ts";

/** RUNS is how many times each command runs; the figures are medians. */
const RUNS = 21;

/** GOALS are the ratios to `node -e 0` each CLI command should stay within. */
const GOALS = { get: 1.4, apply: 1.6 } as const;

/** MANIFEST is the one object applied: an App with no replicas, so berthd starts no container for it. */
const MANIFEST = `apiVersion: berth.dev/v1
kind: App
metadata:
  name: bench-web
  labels:
    app: bench-web
spec:
  image: berth-bench/none:1
  replicas: 0
  port: 8080
  env:
    - name: LOG_LEVEL
      value: info
`;

/**
 * bench measures the `berth` CLI as a user sees it: the wall time of a whole process, from spawn to exit, against
 * a real berthd. `node -e 0` (Node's own start-up) is measured in the same loop, interleaved with the CLI runs so
 * that all three see the same machine load, and each CLI figure is a ratio to it.
 */
export async function bench(report: Report): Promise<void> {
  const daemon = await startDaemon({ args: ["--log-level", "warn"] });
  try {
    const manifest = join(daemon.clientDir, "bench-app.yaml");
    await writeFile(manifest, MANIFEST);
    const env = { ...daemon.env, BERTH_LOG_LEVEL: "warn" };
    const first = await timed(process.execPath, [BERTH_BIN, "apply", "-f", manifest], env);
    if (first.code !== 0 || !/created|configured|unchanged/.test(first.stdout)) throw new Error(`the first apply failed (${first.code}): ${first.stderr}`);
    const commands = {
      node: [process.execPath, ["-e", "0"]],
      get: [process.execPath, [BERTH_BIN, "get", "apps"]],
      apply: [process.execPath, [BERTH_BIN, "apply", "-f", manifest]],
    } as const;
    const times: Record<keyof typeof commands, number[]> = { node: [], get: [], apply: [] };
    // One warm-up round fills the page cache; it is not counted.
    for (let round = -1; round < RUNS && !report.signal.aborted; round++) {
      for (const name of Object.keys(commands) as (keyof typeof commands)[]) {
        const [command, args] = commands[name];
        const run = await timed(command, [...args], env);
        if (run.code !== 0) throw new Error(`${name} failed (${run.code}): ${run.stderr}`);
        if (name === "apply" && !run.stdout.includes("unchanged")) throw new Error(`apply of an unchanged object said: ${run.stdout}`);
        if (name === "get" && !run.stdout.includes("bench-web")) throw new Error(`get apps did not list the app: ${run.stdout}`);
        if (round >= 0) times[name].push(run.ms);
      }
    }
    const node = median(times.node);
    const baseline = (goalRatio: number) => ({ name: "node -e 0", value: node, goalRatio });
    report.figure("node -e 0", node, "ms", { higherIsBetter: false, note: `median of ${times.node.length}, the floor every CLI run pays` });
    report.figure("berth get apps", median(times.get), "ms", {
      higherIsBetter: false,
      baseline: baseline(GOALS.get),
      note: `median of ${times.get.length}, whole process, one App listed as a table`,
    });
    report.figure("berth apply -f, 1 unchanged object", median(times.apply), "ms", {
      higherIsBetter: false,
      baseline: baseline(GOALS.apply),
      note: `median of ${times.apply.length}, whole process: read, GET, 3-way diff, nothing written`,
    });
  } finally {
    await daemon.stop();
    await removeDirs(daemon.dataDir, daemon.clientDir);
  }
}

/** timed runs a command to completion and returns its wall time, exit code and output. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - started, code, stdout, stderr });
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}
