import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after } from "node:test";
import { silentLogger } from "../../../lib/logger.ts";
import { openDurableStore } from "../../../store/index.ts";
import { storeContract } from "./contract.ts";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

storeContract("durable store", async (options) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "berth-contract-"));
  dirs.push(dataDir);
  return openDurableStore({ dataDir, logger: silentLogger(), ...(options?.historyLimit ? { historyLimit: options.historyLimit } : {}) });
});
