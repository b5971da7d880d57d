import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { parse } from "yaml";
import { startDaemon, removeDirs, type Daemon, type DaemonOptions } from "./daemon.ts";
import { ApiClient } from "./https-client.ts";
import { runCli, type CliResult } from "./run-cli.ts";

/** UiWorld is a real berthd for browser tests: its URL, an admin API client and the CLI pointed at it. */
export interface UiWorld {
  daemon: Daemon;
  url: string;
  ca: string;
  adminToken: string;
  admin: ApiClient;
  berth(args: string[], stdin?: string): Promise<CliResult>;
  /** apply applies a manifest through `berth apply -f -` and fails the test if it does not. */
  apply(manifest: string): Promise<void>;
  /** createToken makes a token with one binding through `berth token create`. */
  createToken(name: string, role: "viewer" | "deployer" | "admin", namespace: string): Promise<string>;
  /** restart stops berthd and starts it again on the same port, data and client config. */
  restart(options?: DaemonOptions): Promise<void>;
}

/** startUiWorld starts berthd (stopped and its directories removed when the test ends). */
export async function startUiWorld(t: TestContext, options: DaemonOptions = {}): Promise<UiWorld> {
  const daemon = await startDaemon(options);
  const config = parse(await readFile(join(daemon.clientDir, "config.yaml"), "utf8")) as { token: string; ca: string };
  const world: UiWorld = {
    daemon,
    url: daemon.url,
    ca: config.ca,
    adminToken: config.token,
    admin: new ApiClient(daemon.url, config.ca, config.token),
    berth: (args, stdin) => runCli(args, { env: world.daemon.env, ...(stdin !== undefined ? { stdin } : {}) }),
    async apply(manifest) {
      const result = await world.berth(["apply", "-f", "-"], manifest);
      if (result.code !== 0) throw new Error(`berth apply failed: ${result.stderr}${result.stdout}`);
    },
    async createToken(name, role, namespace) {
      const result = await world.berth(["token", "create", name, "--role", role, "--namespace", namespace]);
      if (result.code !== 0) throw new Error(`berth token create failed: ${result.stderr}`);
      return result.stdout.trim();
    },
    async restart(more = {}) {
      const { dataDir, clientDir, port } = world.daemon;
      await world.daemon.stop();
      world.daemon = await startDaemon({ ...options, ...more, dataDir, clientDir, port });
    },
  };
  t.after(async () => {
    await world.daemon.stop();
    await removeDirs(world.daemon.dataDir, world.daemon.clientDir);
  });
  return world;
}
