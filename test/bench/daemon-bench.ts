import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { request } from "node:https";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { openDurableStore } from "../../store/index.ts";
import { silentLogger } from "../../lib/logger.ts";
import { admit } from "../../resources/index.ts";
import { realisticApp } from "../unit/store/fixtures.ts";
import { REPO, freePort, reapNats, removeDirs } from "../support/daemon.ts";
import type { Report } from "./report.ts";

const OBJECTS = 10_000;
const STARTS = 3;

/**
 * bench measures berthd as a whole process: time (and berthd's CPU time) from spawn to a 200 from /healthz (the API serves) and from
 * /readyz (the proxy's threads and the controllers are started too) with 10,000 objects stored. Memory is
 * measured by footprint-bench.ts (every process berthd starts).
 */
export async function bench(report: Report): Promise<void> {
  const full = await mkdtemp(join(tmpdir(), "berth-bench-full-"));
  try {
    await seed(full, OBJECTS);
    const starts: number[] = [];
    const readies: number[] = [];
    const cpuTimes: number[] = [];
    for (let i = 0; i < STARTS && !report.signal.aborted; i++) {
      const run = await runDaemon(full);
      starts.push(run.msToHealthy);
      readies.push(run.msToReady);
      cpuTimes.push(run.cpuMsToHealthy);
      await run.stop();
    }
    starts.sort((a, b) => a - b);
    readies.sort((a, b) => a - b);
    cpuTimes.sort((a, b) => a - b);
    report.figure(`berthd start to serving, ${OBJECTS.toLocaleString("en-US")} objects`, starts[Math.floor(starts.length / 2)]!, "ms", {
      higherIsBetter: false,
      baseline: { name: "goal", value: 1000, goalRatio: 1 },
      note: `median of ${starts.length}, spawn → /healthz 200, node start-up included`,
    });
    report.figure(`berthd CPU time to serving, ${OBJECTS.toLocaleString("en-US")} objects`, cpuTimes[Math.floor(cpuTimes.length / 2)]!, "ms", {
      higherIsBetter: false,
      note: `median of ${cpuTimes.length}, user + system time of berthd's process (all its threads) at its first /healthz 200: what a busy machine changes least; ${machineLoad()}`,
    });
    report.figure(`berthd start to ready, ${OBJECTS.toLocaleString("en-US")} objects`, readies[Math.floor(readies.length / 2)]!, "ms", {
      higherIsBetter: false,
      note: `median of ${readies.length}, spawn → /readyz 200: proxy threads listening, controllers' caches filled`,
    });
  } finally {
    await removeDirs(full);
  }
}

/** seed writes objects straight into a data directory's durable store, as an earlier berthd would have. */
async function seed(dataDir: string, count: number): Promise<void> {
  const store = await openDurableStore({ dataDir, logger: silentLogger() });
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) writes.push(store.create(admit(realisticApp(`app-${i}`))));
  await Promise.all(writes);
  await store.close();
}

async function runDaemon(dataDir: string): Promise<{ child: ChildProcess; msToHealthy: number; cpuMsToHealthy: number; msToReady: number; stop(): Promise<void> }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(join(REPO, "bin/berthd"), ["--data-dir", dataDir, "--client-config-dir", join(dataDir, "client"), "--api-host", "127.0.0.1", "--api-port", String(port), "--http-port", "0", "--https-port", "0", "--log-level", "warn"], { stdio: "ignore" });
  const exited = new Promise<void>((ok) => child.once("exit", () => ok()));
  const deadline = started + 30_000;
  const waitFor = async (path: string) => {
    while (!(await answers(port, path))) {
      if (child.exitCode !== null || performance.now() > deadline) throw new Error(`berthd did not answer ${path} (exit ${child.exitCode})`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return performance.now() - started;
  };
  const msToHealthy = await waitFor("/healthz");
  const cpuMsToHealthy = await cpuMs(child.pid!);
  const msToReady = await waitFor("/readyz");
  return {
    child,
    msToHealthy,
    cpuMsToHealthy,
    msToReady,
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
      await reapNats(dataDir);
    },
  };
}

/** answers tells whether a GET of `path` on the daemon's API is a 200. */
function answers(port: number, path: string): Promise<boolean> {
  return new Promise((ok) => {
    const req = request({ host: "127.0.0.1", port, path, rejectUnauthorized: false, timeout: 500 }, (res) => {
      res.resume();
      ok(res.statusCode === 200);
    });
    req.on("error", () => ok(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/** cpuMs is a process's user + system CPU time so far, from /proc (in clock ticks of 10 ms). */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** machineLoad says how busy the machine was: the one-minute load average against the CPUs. */
function machineLoad(): string {
  return `load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs`;
}
