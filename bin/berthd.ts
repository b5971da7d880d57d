import { loadDaemonConfig } from "../resources/config.ts";
import { createLogger } from "../lib/logger.ts";
import { startDaemon } from "./daemon.ts";

/** berthd: parse flags and BERTH_* env, start every part, stop cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadDaemonConfig(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`berthd: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const log = createLogger({ level: config.logLevel, name: "berthd" });
  let daemon;
  try {
    daemon = await startDaemon(config, log);
  } catch (error) {
    log.fatal({ err: error }, `berthd failed to start: ${(error as Error).message}`);
    log.flush();
    setTimeout(() => process.exit(1), 100).unref();
    return;
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`received ${signal}, stopping`);
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    void daemon.stop().then(() => {
      log.info("stopped");
      log.flush();
      process.exit(0);
    });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

void main();
