/**
 * thread-main is the entry point of a proxy thread (started by ProxyThreads, proxy/threads.ts, inside the
 * daemon's process). It loads the data plane only: the route table, certificates, challenge tokens and the
 * server, nothing of the controllers, store or API. It applies the state it is started with before it listens,
 * then each update the daemon posts, acknowledging each once it is in effect. Its log records go to the daemon.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ChallengeTokens } from "./challenges.ts";
import { CertMap } from "./cert-map.ts";
import { duplicateSockets } from "./duplicate.ts";
import type { FromThread, ThreadConfig, ToThread, UpdateMessage } from "./ipc.ts";
import { RouteTable } from "./route-table.ts";
import { ProxyServer, type ListeningPorts } from "./server.ts";
import { threadLog } from "./thread-log.ts";

const port = parentPort!;
const config = workerData as ThreadConfig;

function post(message: FromThread): void {
  try {
    port.postMessage(message);
  } catch {
    // A log record whose fields cannot be cloned is sent without them rather than lost.
    if (message.type === "log") port.postMessage({ ...message, fields: {} });
  }
}

const log = threadLog(config.logLevel, post);
// An error no request handler caught is logged, and the thread keeps serving the other requests.
process.on("uncaughtException", (error) => log.error({ err: error }, "proxy thread: uncaught error"));
process.on("unhandledRejection", (error) => log.error({ err: error }, "proxy thread: unhandled rejection"));

const server = new ProxyServer({
  logger: log,
  fallback: config.fallback,
  ...(config.limits ? { limits: config.limits } : {}),
  ...(config.publicHttpsPort ? { publicHttpsPort: config.publicHttpsPort } : {}),
  ...(config.dataPlane ? { dataPlane: config.dataPlane } : {}),
});

function apply(update: UpdateMessage): void {
  try {
    if (update.routes) server.routes = RouteTable.from(update.routes, update.version);
    if (update.certs) server.certs = new CertMap(update.certs, server.certs.fallback);
    if (update.challenges) server.challenges = new ChallengeTokens(update.challenges);
    post({ type: "applied", version: update.version });
  } catch (error) {
    log.error({ err: error }, "could not apply a proxy update");
    post({ type: "failed", version: update.version, message: (error as Error).message });
  }
}

async function stop(graceMs?: number): Promise<void> {
  await server.close(graceMs === undefined ? {} : { graceMs });
  port.close();
}

/** listen binds the ports, or listens on duplicates of another thread's sockets (see proxy/threads.ts). */
async function listen(): Promise<ListeningPorts> {
  const { listen } = config;
  if (!("fds" in listen)) return server.listen(listen.http, listen.https);
  const [http, https] = await duplicateSockets([listen.fds.http, listen.fds.https], 10_000);
  return server.listen({ handle: http!, port: listen.ports.http }, { handle: https!, port: listen.ports.https });
}

// Posted before the thread started, updates wait in the port until this listener is attached.
port.on("message", (message: ToThread) => {
  if (message.type === "update") apply(message);
  else void stop(message.graceMs);
});
apply(config.state);
listen().then(
  (ports) => post({ type: "listening", ...ports, fds: server.fds }),
  async (error: Error) => {
    post({ type: "failed", message: error.message });
    await stop(0);
  },
);
