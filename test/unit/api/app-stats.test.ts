import { test } from "node:test";
import assert from "node:assert/strict";
import { usageOf } from "../../../api/routes/app-stats.ts";

test("usageOf computes CPU over Docker's sampling interval and memory without the inactive page cache, as docker stats does", () => {
  const usage = usageOf({
    cpu_stats: { cpu_usage: { total_usage: 3_000_000 }, system_cpu_usage: 120_000_000, online_cpus: 2 },
    precpu_stats: { cpu_usage: { total_usage: 1_000_000 }, system_cpu_usage: 100_000_000 },
    memory_stats: { usage: 50 * 1024 * 1024, limit: 256 * 1024 * 1024, stats: { inactive_file: 10 * 1024 * 1024 } },
  });
  assert.deepEqual(usage, { cpuPercent: 20, memoryBytes: 40 * 1024 * 1024, memoryLimitBytes: 256 * 1024 * 1024 });
  // A container's first sample has no previous one: no CPU figure rather than a wrong one.
  assert.deepEqual(usageOf({ cpu_stats: { cpu_usage: { total_usage: 5 }, system_cpu_usage: 0 }, precpu_stats: {}, memory_stats: { usage: 100, stats: { total_inactive_file: 40 } } }), { memoryBytes: 60 });
});
