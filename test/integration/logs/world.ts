import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { DockerClient } from "../../../controllers/docker/index.ts";
import { TEST_IMAGES, WEB_PORT } from "../../support/images.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { TokenStore } from "../../../api/auth/token-store.ts";
import { startApiServer } from "../../../api/server.ts";
import { ensureServingCertificate } from "../../../api/tls.ts";
import { logsExtension } from "../../../api/routes/logs.ts";
import { CliProcess, runCli, type CliResult } from "../../support/run-cli.ts";
import { startHarness, type Harness } from "../app/harness.ts";

/**
 * World is the App controller's test harness (store, controller, Docker, a fresh namespace) plus the HTTPS API
 * over the same store with the logs extension mounted, as berthd wires it, and a CLI environment pointing at it.
 */
export interface World extends Harness {
  url: string;
  ca: string;
  adminToken: string;
  /** viewerToken may read only this test's namespace. */
  viewerToken: string;
  /** otherToken is a viewer of another namespace. */
  otherToken: string;
  env: NodeJS.ProcessEnv;
  /** berth runs the real CLI to completion. */
  berth(args: string[], timeoutMs?: number): Promise<CliResult>;
  /** spawn starts a long-running CLI (stopped at the end of the test). */
  spawn(args: string[]): CliProcess;
  /** get performs a GET with a token and returns the status and the whole body. */
  fetch(path: string, token?: string): Promise<{ status: number; body: string; contentType: string }>;
}

/** startWorld returns undefined (the test is skipped, loudly; under CI it fails) when Docker is not reachable. */
export async function startWorld(t: TestContext): Promise<World | undefined> {
  const h = await startHarness(t);
  if (!h) return undefined;
  const dir = await mkdtemp(join(tmpdir(), "berth-logs-test-"));
  const tokens = await TokenStore.open(join(dir, "tokens.json"));
  const { token: adminToken } = await tokens.create("admin", [{ namespace: "*", role: "admin" }]);
  const { token: viewerToken } = await tokens.create("viewer", [{ namespace: h.namespace, role: "viewer" }]);
  const { token: otherToken } = await tokens.create("other", [{ namespace: `${h.namespace}-other`, role: "viewer" }]);
  const tls = await ensureServingCertificate(join(dir, "tls"));
  const server = await startApiServer({
    store: h.store, eventLog: h.events, tokens, tls, port: 0, logger: silentLogger(),
    extend: logsExtension({ store: h.store, docker: h.docker }),
  });
  await writeFile(join(dir, "ca.pem"), tls.ca);
  const env: NodeJS.ProcessEnv = {
    ...process.env, HOME: dir, BERTH_CONFIG: join(dir, "no-config.yaml"), BERTH_SERVER: server.url, BERTH_TOKEN: adminToken, BERTH_CA: join(dir, "ca.pem"),
  };
  const processes: CliProcess[] = [];
  t.after(async () => {
    for (const p of processes) p.stop();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const world = Object.create(h) as World;
  return Object.assign(world, {
    url: server.url, ca: tls.ca, adminToken, viewerToken, otherToken, env,
    berth: (args: string[], timeoutMs = 30_000) => runCli([...args, "-n", h.namespace], { env, timeoutMs }),
    spawn: (args: string[]) => {
      const p = new CliProcess([...args, "-n", h.namespace], env);
      processes.push(p);
      return p;
    },
    fetch: (path: string, token = adminToken) => fetchText(server.url, tls.ca, path, token),
  });
}

/** fetchText GETs `path` over HTTPS (trusting `ca`) within 15 s. */
function fetchText(base: string, ca: string, path: string, token: string): Promise<{ status: number; body: string; contentType: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { ca, headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, contentType: String(res.headers["content-type"] ?? "") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** logPath is the log endpoint of App `name`, with a query. */
export function logPath(namespace: string, name: string, query = ""): string {
  return `/apis/berth.dev/v1/namespaces/${namespace}/apps/${name}/log${query ? `?${query}` : ""}`;
}

/** chatty is web:v1 saying hello with its hostname (`web-0`, `web-1`) on stdout and a line on stderr, then serving. */
export const chatty = (extra: Record<string, unknown> = {}) => ({
  image: TEST_IMAGES.webV1,
  port: WEB_PORT,
  command: ["/bin/sh", "-c"],
  args: [`echo "hello from $(hostname)"; echo "line two"; echo "warning on stderr" >&2; trap 'exit 0' TERM INT; httpd -f -p ${WEB_PORT} -h /www & wait`],
  healthCheck: { http: { path: "/healthz" }, intervalSeconds: 1 },
  env: [{ name: "SECRET_THING", value: "hunter2-do-not-print" }],
  ...extra,
});

/** say makes a running container print `text` on its stdout (written to PID 1's stdout, which Docker captures). */
export async function say(docker: DockerClient, containerId: string, text: string): Promise<void> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: ["/bin/sh", "-c", `echo '${text}' > /proc/1/fd/1`], AttachStdout: false, AttachStderr: false });
  // The answer is a stream even when detached: read it to its end, or its socket keeps the process alive.
  const answer = (await exec.start({ Detach: true })) as unknown as NodeJS.ReadableStream;
  await new Promise<void>((resolve) => {
    answer.once("end", resolve);
    answer.once("close", resolve);
    answer.once("error", () => resolve());
    answer.resume();
  });
}

