import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { openDurableStore } from "../../../store/index.ts";
import { WARN, captureLogger } from "./capture-logger.ts";
import { tempDir } from "./temp-dir.ts";

// 200 kill -9 points by default: each is a fresh writer process killed at a random moment (about 0.5 s each).
const ITERATIONS = Number(process.env.BERTH_CRASH_ITERATIONS ?? 200);
const WRITER = fileURLToPath(new URL("./crash-writer.js", import.meta.url));
const READY_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 5_000;

/** withTimeout bounds a wait, failing with `what` when it takes too long. */
async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** runAndKill starts a writer, kills it with SIGKILL at a random moment after it is ready, and returns its acks. */
async function runAndKill(dataDir: string): Promise<Array<[string, number]>> {
  const child = spawn(process.execPath, [WRITER, dataDir, "400"], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    let output = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.startsWith("ready\n")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`writer exited early (${code}): ${stderr}`)));
    });
    const closed = once(child, "close");
    await withTimeout(ready, READY_TIMEOUT_MS, "writer ready");
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 400));
    child.kill("SIGKILL");
    // "close" fires once the process is reaped and its stdout drained: every ack it printed is in `output`.
    const [, signal] = await withTimeout(closed, EXIT_TIMEOUT_MS, "writer exit");
    assert.equal(signal, "SIGKILL", `writer died on its own: ${stderr}`);
    return output
      .split("\n")
      .filter((line) => line.startsWith("ack "))
      .map((line) => {
        const [, name, rv] = line.split(" ");
        return [name!, Number(rv)] as [string, number];
      });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

test(`kill -9 at random moments loses no acknowledged write (${ITERATIONS} runs)`, { timeout: 60_000 + ITERATIONS * 5_000 }, async (t) => {
  const dataDir = await tempDir(t, "berth-crash-");
  const acked = new Map<string, number>();
  let totalAcks = 0;
  let tornTails = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const acks = await runAndKill(dataDir);
    totalAcks += acks.length;
    for (const [name, rv] of acks) acked.set(name, Math.max(rv, acked.get(name) ?? 0));
    const { logger, lines } = captureLogger();
    const store = await openDurableStore({ dataDir, logger });
    try {
      tornTails += lines.filter((l) => l.level === WARN).length;
      const newest = Math.max(0, ...acked.values());
      assert.ok(store.revision() >= newest, `run ${i}: revision ${store.revision()} < acknowledged ${newest}`);
      for (const [name, rv] of acked) {
        const obj = await store.get({ kind: "App", namespace: "default", name });
        assert.ok(Number(obj.metadata.resourceVersion) >= rv, `run ${i}: ${name} is at ${obj.metadata.resourceVersion}, acknowledged ${rv}`);
      }
    } finally {
      await store.close();
    }
  }
  t.diagnostic(`${ITERATIONS} kills, ${totalAcks} acknowledged writes checked, ${tornTails} torn tails recovered`);
  assert.ok(totalAcks >= ITERATIONS * 10, `too few writes were acknowledged to prove anything (${totalAcks})`);
});
