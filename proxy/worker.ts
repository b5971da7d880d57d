/**
 * worker is the entry point of a proxy worker process (forked by ProxyCluster through node:cluster). It serves
 * on the listening sockets the cluster primary shares, and applies the route table, certificates and challenge
 * tokens the daemon sends over IPC, acknowledging each update once it is in effect.
 */
import { createLogger, type Logger } from "../lib/logger.ts";
import { ChallengeTokens } from "./challenges.ts";
import { CertMap } from "./cert-map.ts";
import { isProxyMessage, type FromWorker, type ToWorker, type UpdateMessage, type WorkerConfig } from "./ipc.ts";
import { RouteTable } from "./route-table.ts";
import { ProxyServer } from "./server.ts";

let server: ProxyServer | undefined;
let log: Logger | undefined;
let stopping = false;

function send(message: FromWorker): void {
  // The daemon may be gone between the check and the write (it stopped while this worker started): the
  // callback receives that EPIPE instead of an unhandled 'error' event; "disconnect" stops this worker.
  if (process.connected) process.send?.(message, undefined, undefined, () => {});
}

function apply(update: UpdateMessage): void {
  if (!server) return;
  try {
    if (update.routes) server.routes = RouteTable.from(update.routes, update.version);
    if (update.certs) server.certs = new CertMap(update.certs, server.certs.fallback);
    if (update.challenges) server.challenges = new ChallengeTokens(update.challenges);
    send({ type: "berth-proxy:applied", version: update.version });
  } catch (error) {
    log?.error({ err: error }, "could not apply a proxy update");
    send({ type: "berth-proxy:failed", version: update.version, message: (error as Error).message });
  }
}

async function start(config: WorkerConfig, state: UpdateMessage): Promise<void> {
  log = createLogger({ level: config.logLevel, name: "proxy-worker" }).child({ pid: process.pid });
  server = new ProxyServer({
    logger: log,
    fallback: config.fallback,
    ...(config.limits ? { limits: config.limits } : {}),
    ...(config.publicHttpsPort ? { publicHttpsPort: config.publicHttpsPort } : {}),
    ...(config.dataPlane ? { dataPlane: config.dataPlane } : {}),
  });
  apply(state);
  try {
    const ports = await server.listen(config.http, config.https);
    send({ type: "berth-proxy:listening", ...ports });
  } catch (error) {
    send({ type: "berth-proxy:failed", message: (error as Error).message });
    await stop(1);
  }
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server?.close();
  process.exit(code);
}

process.on("message", (message: unknown) => {
  if (!isProxyMessage<ToWorker>(message)) return;
  if (message.type === "berth-proxy:start") void start(message.config, message.state);
  else if (message.type === "berth-proxy:update") apply(message);
  else void stop(0);
});
// Messages sent before this module registered its listener would be lost: the daemon waits for this one.
send({ type: "berth-proxy:ready" });
// The daemon is gone: nobody can update the routes any more, so stop serving them.
process.on("disconnect", () => void stop(0));
