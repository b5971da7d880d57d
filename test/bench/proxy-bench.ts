/**
 * proxy-bench measures Berth's proxy against nginx and Caddy proxying the same backend, in one run, with wrk
 * on loopback (keep-alive, small responses): requests/s and p99 over plain HTTP and over TLS (the same EC P-256
 * certificate everywhere), Berth on worker threads (one per core) and, for reference, on one thread; and
 * the time from a Domain applied to the first 200 through the proxy. HTTP/2 over TLS is measured with h2load
 * (16 connections of 10 concurrent streams each), where nginx, Caddy and Berth all serve it. Latency is measured twice: at saturation
 * (where a closed-loop p99 mostly restates throughput: 64 connections over N req/s wait 64/N on average) and
 * under a steady load below every proxy's capacity (each connection pauses after each answer), which is the
 * proxy's own added latency. The backend is an nginx instance of its own answering a 12-byte body, so the
 * backend costs every proxy the same. Targets run in alternating rounds after a warm-up: throughput is each
 * target's best round, and the p99 at saturation the median of its rounds, since one round's tail moves with
 * whatever else the machine's cores ran in those seconds (4.5–7.7 ms over five rounds of one build). The CPU
 * time each target's processes spend per request (user + system, from /proc) is reported too: it moves less
 * between runs than a p99 does, and is what a proxy's latency on a loaded machine grows with. Missing
 * nginx, caddy or h2load is said in the figures' notes (install: `apt-get install -y nginx-light caddy wrk nghttp2-client`). Every process started is stopped.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { get } from "node:http";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { generate } from "selfsigned";
import { admit } from "../../resources/index.ts";
import { MemoryStore } from "../../store/index.ts";
import { silentLogger } from "../../lib/logger.ts";
import { Manager } from "../../controllers/runtime/index.ts";
import { createDomainController } from "../../controllers/domain/index.ts";
import { InProcessProxy, ProxyThreads, type PemPair, type ProxyControl } from "../../proxy/index.ts";
import type { Report } from "./report.ts";
import { ensurePackages } from "./apt.ts";

const run = promisify(execFile);
const SECONDS = Number(process.env.BERTH_PROXY_BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BERTH_PROXY_BENCH_ROUNDS ?? 3);
const CONNECTIONS = 64;
const HOST = "127.0.0.1";

/** BACKEND_WORKERS is the backend nginx's worker count (env BERTH_PROXY_BENCH_BACKEND_WORKERS), the same for every proxy. */
const BACKEND_WORKERS = Number(process.env.BERTH_PROXY_BENCH_BACKEND_WORKERS ?? 1);

/** Ports of everything the bench starts (fixed, odd, on loopback). */
const PORTS = { backend: 18181, nginxHttp: 18182, nginxTls: 18183, caddyHttp: 18184, caddyTls: 18185, nginxH2: 18186 };

/** H2_CONNECTIONS × H2_STREAMS are the HTTP/2 runs' connections and concurrent streams on each. */
const H2_CONNECTIONS = 16;
const H2_STREAMS = 10;

interface WrkResult {
  rps: number;
  p99Ms: number;
  errors: number;
}

async function has(binary: string): Promise<boolean> {
  return run("sh", ["-c", `command -v ${binary}`]).then(() => true, () => false);
}

/** STEADY_DELAY_MS is each connection's pause after an answer in the steady-load runs: 64 connections → ~5,000 req/s. */
const STEADY_DELAY_MS = 12;

/**
 * wrk runs one measurement and parses requests/s, the p99 latency and socket errors + non-2xx answers. With
 * `script`, wrk runs that Lua script (the steady-load pause).
 */
async function wrk(url: string, seconds: number, signal: AbortSignal, script?: string): Promise<WrkResult> {
  const args = ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency", ...(script ? ["-s", script] : []), url];
  const { stdout } = await run("wrk", args, { signal, timeout: (seconds + 10) * 1000 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(stdout);
  const p99Ms = p99 ? Number(p99[1]) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[p99[2]!]! : Number.NaN;
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const errors = non2xx + (socket ? socket.slice(1).reduce((n, v) => n + Number(v), 0) : 0);
  return { rps, p99Ms, errors };
}

/** h2load runs one HTTP/2 measurement and parses requests/s and failures (failed, errored, timed out, not 2xx). */
async function h2load(url: string, seconds: number, signal: AbortSignal): Promise<{ rps: number; errors: number }> {
  const args = ["-D", String(seconds), "-c", String(H2_CONNECTIONS), "-m", String(H2_STREAMS), "-t", "1", url];
  const { stdout } = await run("h2load", args, { signal, timeout: (seconds + 10) * 1000 });
  const rps = Number(/finished in [\d.]+s, ([\d.]+) req\/s/.exec(stdout)?.[1] ?? 0);
  const failures = /(\d+) failed, (\d+) errored, (\d+) timeout/.exec(stdout);
  const codes = /status codes: \d+ 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(stdout);
  const sum = (m: RegExpExecArray | null) => (m ? m.slice(1).reduce((n, v) => n + Number(v), 0) : 0);
  return { rps, errors: sum(failures) + sum(codes) };
}

/** waitForPort polls until an HTTP(S) URL answers 200, for at most 10 s. */
async function waitFor(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await run("curl", ["-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "1", url]).then((r) => r.stdout === "200", () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * nginxConfig writes one nginx instance's configuration, kept in its own prefix directory. The backend is an
 * instance of its own, apart from nginx the proxy: in one instance nginx would proxy to a server block of the
 * same worker, without the process switch and scheduling every other proxy pays to reach a backend process.
 */
function nginxConfig(prefix: string, certs: string, role: "backend" | "proxy"): string {
  const proxy = `proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;`;
  const servers = role === "backend"
    ? `server { listen ${HOST}:${PORTS.backend}; location / { return 200 "hello world\\n"; } }`
    : `upstream backend { server ${HOST}:${PORTS.backend}; keepalive 128; }
  server { listen ${HOST}:${PORTS.nginxHttp}; location / { ${proxy} } }
  server { listen ${HOST}:${PORTS.nginxTls} ssl; ssl_certificate ${certs}/cert.pem; ssl_certificate_key ${certs}/key.pem; location / { ${proxy} } }
  server { listen ${HOST}:${PORTS.nginxH2} ssl http2; ssl_certificate ${certs}/cert.pem; ssl_certificate_key ${certs}/key.pem; location / { ${proxy} } }`;
  return `worker_processes ${role === "backend" ? BACKEND_WORKERS : "auto"}; daemon off; pid ${prefix}/nginx.pid; error_log ${prefix}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off; keepalive_requests 1000000;
  client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy; fastcgi_temp_path ${prefix}/fcgi; uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  ${servers}
}
`;
}

function caddyConfig(dir: string): string {
  return `{
  admin off
  auto_https off
}
http://${HOST}:${PORTS.caddyHttp} {
  reverse_proxy ${HOST}:${PORTS.backend}
}
https://${HOST}:${PORTS.caddyTls} {
  tls ${dir}/cert.pem ${dir}/key.pem
  reverse_proxy ${HOST}:${PORTS.backend}
}
`;
}

/** status sends one GET with a Host header and resolves with the status (0 on error), within 1 s. */
function status(url: string, host: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get(url, { headers: { host }, agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
  });
}

/** Target is one proxy under test. */
interface Target {
  name: string;
  http: string;
  https?: string;
  /** h2 is the target's HTTP/2 URL (over TLS), when it serves HTTP/2. */
  h2?: string;
  best: { http?: WrkResult; https?: WrkResult; h2?: { rps: number; errors: number } };
  /** p99s are every round's p99 at saturation, per protocol. */
  p99s: { http: number[]; https: number[] };
  /** steady is the best (lowest) p99 under the steady load, over plain HTTP. */
  steady?: WrkResult;
  /** pids are the processes that serve the target (nginx's workers, Caddy, Berth's workers), read for CPU time. */
  pids: () => Promise<number[]>;
  /** cpuPerRequest are every plain-HTTP round's CPU microseconds (user + system) per request at saturation. */
  cpuPerRequest: number[];
}

/** measured starts a target's results empty. */
function measured(pids: () => Promise<number[]>): Pick<Target, "best" | "p99s" | "pids" | "cpuPerRequest"> {
  return { best: {}, p99s: { http: [], https: [] }, pids, cpuPerRequest: [] };
}

/** CLOCK_TICKS is the unit of /proc/PID/stat's CPU times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;

/** cpuSeconds sums the user and system CPU time of processes (threads included), from /proc/PID/stat. */
async function cpuSeconds(pids: number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    // The command name (field 2) may hold spaces: the fields that follow start after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return ticks / CLOCK_TICKS;
}

/** childrenOf lists a process's children (nginx's master → its workers). */
async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, "utf8").catch(() => "");
  return text.split(" ").filter(Boolean).map(Number);
}

export async function bench(report: Report): Promise<void> {
  const children: ChildProcess[] = [];
  const proxies: ProxyControl[] = [];
  const dir = await mkdtemp(join(tmpdir(), "berth-proxy-bench-"));
  try {
    ensurePackages([{ pkg: "wrk", command: "wrk" }, { pkg: "curl", command: "curl" }, { pkg: "nginx-light", command: "nginx" }, { pkg: "caddy", command: "caddy" }, { pkg: "nghttp2-client", command: "h2load" }], (line) => report.progress(line));
    if (!(await has("wrk")) || !(await has("nginx")) || !(await has("curl"))) {
      report.progress("skipped: wrk, curl and nginx are needed (apt-get install -y wrk curl nginx-light caddy)");
      return;
    }
    const caddy = await has("caddy");
    const h2 = await has("h2load");
    const pems = await generate([{ name: "commonName", value: HOST }], {
      keyType: "ec",
      algorithm: "sha256",
      extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: HOST }, { type: 2, value: "bench.test" }] }],
    });
    const certificate: PemPair = { cert: pems.cert, key: pems.private };
    await writeFile(join(dir, "cert.pem"), certificate.cert);
    await writeFile(join(dir, "key.pem"), certificate.key, { mode: 0o600 });
    const steadyScript = join(dir, "steady.lua");
    await writeFile(steadyScript, `function delay() return ${STEADY_DELAY_MS} end\n`);
    let nginxProxy: ChildProcess | undefined;
    let caddyProcess: ChildProcess | undefined;
    for (const role of ["backend", "proxy"] as const) {
      const prefix = join(dir, `nginx-${role}`);
      await mkdir(prefix);
      await writeFile(join(prefix, "nginx.conf"), nginxConfig(prefix, dir, role));
      const nginx = spawn("nginx", ["-c", join(prefix, "nginx.conf"), "-p", prefix], { stdio: "ignore" });
      children.push(nginx);
      if (role === "proxy") nginxProxy = nginx;
    }
    if (caddy) {
      await writeFile(join(dir, "Caddyfile"), caddyConfig(dir));
      caddyProcess = spawn("caddy", ["run", "--config", join(dir, "Caddyfile"), "--adapter", "caddyfile"], { stdio: "ignore", env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir } });
      children.push(caddyProcess);
    }
    const workers = availableParallelism();
    const options = { http: { port: 0, host: HOST }, https: { port: 0, host: HOST }, fallback: certificate, logger: silentLogger() };
    const threads = await ProxyThreads.start({ ...options, workers, logLevel: "silent" });
    proxies.push(threads);
    const single = await InProcessProxy.start(options);
    proxies.push(single);
    const routes = [{ host: HOST, path: "/", name: "bench/backend", upstreams: [{ id: "nginx", host: HOST, port: PORTS.backend }], tls: false, redirectHttp: false }];
    await threads.setRoutes(routes);
    await single.setRoutes(routes);

    const targets: Target[] = [
      { name: "nginx", http: `http://${HOST}:${PORTS.nginxHttp}/`, https: `https://${HOST}:${PORTS.nginxTls}/`, h2: `https://${HOST}:${PORTS.nginxH2}/`, ...measured(() => childrenOf(nginxProxy!.pid!)) },
      ...(caddy ? [{ name: "caddy", http: `http://${HOST}:${PORTS.caddyHttp}/`, https: `https://${HOST}:${PORTS.caddyTls}/`, h2: `https://${HOST}:${PORTS.caddyTls}/`, ...measured(async () => [caddyProcess!.pid!]) }] : []),
      { name: "berth", http: `http://${HOST}:${threads.httpPort}/`, https: `https://${HOST}:${threads.httpsPort}/`, h2: `https://${HOST}:${threads.httpsPort}/`, ...measured(async () => [process.pid]) },
      { name: "berth-1-process", http: `http://${HOST}:${single.httpPort}/`, ...measured(async () => [process.pid]) },
    ];
    for (const t of targets) for (const url of [t.http, t.https]) if (url) await waitFor(url);
    report.progress(`${workers} thread(s) (this process's CPU time counts for both Berth targets; the other one idles meanwhile); wrk -t1 -c${CONNECTIONS}, ${ROUNDS} round(s) of ${SECONDS} s per target and protocol; backend: nginx (${BACKEND_WORKERS} worker(s)) return 200`);
    for (let round = 0; round < ROUNDS; round++) {
      for (const proto of ["http", "https"] as const) {
        for (const t of targets) {
          const url = t[proto];
          if (!url) continue;
          // Warm-up, as long as a measurement the first time, when JIT compilers and heaps are still cold.
          await wrk(url, round === 0 ? SECONDS : 1, report.signal);
          const pids = await t.pids();
          const cpuBefore = await cpuSeconds(pids);
          const result = await wrk(url, SECONDS, report.signal);
          const cpuUs = ((await cpuSeconds(pids)) - cpuBefore) * 1e6 / (result.rps * SECONDS);
          if (proto === "http") t.cpuPerRequest.push(cpuUs);
          report.progress(`round ${round + 1} ${t.name} ${proto}: ${Math.round(result.rps)} req/s, p99 ${result.p99Ms.toFixed(2)} ms, ${cpuUs.toFixed(1)} µs CPU/request, ${result.errors} errors`);
          if (!t.best[proto] || result.rps > t.best[proto]!.rps) t.best[proto] = result;
          t.p99s[proto].push(result.p99Ms);
        }
      }
      for (const t of targets) {
        if (t.name === "berth-1-process") continue;
        const result = await wrk(t.http, SECONDS, report.signal, steadyScript);
        report.progress(`round ${round + 1} ${t.name} steady load: ${Math.round(result.rps)} req/s, p99 ${result.p99Ms.toFixed(2)} ms, ${result.errors} errors`);
        if (!t.steady || result.p99Ms < t.steady.p99Ms) t.steady = result;
      }
      for (const t of h2 ? targets : []) {
        if (!t.h2) continue;
        await h2load(t.h2, round === 0 ? SECONDS : 1, report.signal);
        const result = await h2load(t.h2, SECONDS, report.signal);
        report.progress(`round ${round + 1} ${t.name} HTTP/2: ${Math.round(result.rps)} req/s, ${result.errors} errors`);
        if (!t.best.h2 || result.rps > t.best.h2.rps) t.best.h2 = result;
      }
    }
    figures(report, targets, caddy, h2);
    await routeChange(report, threads);
  } finally {
    for (const proxy of proxies) await proxy.close().catch(() => {});
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise((resolve) => {
      const timer = setTimeout(() => c.kill("SIGKILL"), 5_000);
      c.once("exit", () => resolve(clearTimeout(timer)));
    }))));
    await rm(dir, { recursive: true, force: true });
  }
}

/** median of a non-empty list (the mean of the middle two for an even count). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function figures(report: Report, targets: Target[], caddy: boolean, h2: boolean): void {
  const p99 = (name: string, proto: "http" | "https") => median(targets.find((t) => t.name === name)!.p99s[proto]);
  const by = (name: string) => targets.find((t) => t.name === name)?.best;
  const nginx = by("nginx")!;
  const caddyBest = by("caddy");
  const berth = by("berth")!;
  const single = by("berth-1-process")!;
  const missing = caddy ? undefined : "caddy not installed: compared with nginx only";
  for (const proto of ["http", "https"] as const) {
    const label = proto === "http" ? "HTTP" : "TLS";
    const mine = berth[proto]!;
    const errors = mine.errors > 0 ? `${mine.errors} errors!` : undefined;
    report.figure(`${label} req/s, Berth vs nginx`, mine.rps, "req/s", { baseline: { name: "nginx", value: nginx[proto]!.rps, goalRatio: 0.35 }, ...(errors ? { note: errors } : {}) });
    if (caddyBest?.[proto]) report.figure(`${label} req/s, Berth vs Caddy`, mine.rps, "req/s", { baseline: { name: "caddy", value: caddyBest[proto]!.rps, goalRatio: 1.3 } });
    else if (missing) report.figure(`${label} req/s, Berth vs Caddy`, mine.rps, "req/s", { note: missing });
    const rounds = `median of ${ROUNDS} round(s)`;
    report.figure(`${label} p99 at saturation, Berth vs nginx`, p99("berth", proto), "ms", { higherIsBetter: false, baseline: { name: "nginx", value: p99("nginx", proto), goalRatio: 2 }, note: rounds });
    if (caddyBest?.[proto]) report.figure(`${label} p99 at saturation, Caddy vs nginx`, p99("caddy", proto), "ms", { higherIsBetter: false, baseline: { name: "nginx", value: p99("nginx", proto) }, note: rounds });
  }
  const steady = (name: string) => targets.find((t) => t.name === name)?.steady;
  const load = `at ~${Math.round(steady("nginx")!.rps / 100) * 100} req/s`;
  report.figure(`HTTP p99 ${load}, Berth vs nginx`, steady("berth")!.p99Ms, "ms", { higherIsBetter: false, baseline: { name: "nginx", value: steady("nginx")!.p99Ms, goalRatio: 2 } });
  if (steady("caddy")) report.figure(`HTTP p99 ${load}, Caddy vs nginx`, steady("caddy")!.p99Ms, "ms", { higherIsBetter: false, baseline: { name: "nginx", value: steady("nginx")!.p99Ms } });
  const streams = `${H2_CONNECTIONS} connections × ${H2_STREAMS} streams`;
  if (!h2) report.progress("HTTP/2 not measured: h2load is not installed (apt-get install -y nghttp2-client)");
  else {
    const mine = berth.h2!;
    report.figure("HTTP/2 req/s, Berth vs nginx", mine.rps, "req/s", { baseline: { name: "nginx", value: nginx.h2!.rps }, note: mine.errors > 0 ? `${mine.errors} errors!` : streams });
    if (caddyBest?.h2) report.figure("HTTP/2 req/s, Berth vs Caddy", mine.rps, "req/s", { baseline: { name: "caddy", value: caddyBest.h2.rps } });
  }
  report.figure("HTTP req/s, Berth on one thread", single.http!.rps, "req/s", { baseline: { name: "nginx", value: nginx.http!.rps }, note: "in-process, before worker threads" });
  // CPU per request moves less between runs than p99 does: it says how much work each proxy spends on a request.
  const cpu = (name: string) => median(targets.find((t) => t.name === name)!.cpuPerRequest);
  const cpuNote = `user + system, at saturation, median of ${ROUNDS} round(s)`;
  report.figure("HTTP CPU per request, Berth vs nginx", cpu("berth"), "µs", { higherIsBetter: false, baseline: { name: "nginx", value: cpu("nginx") }, note: cpuNote });
  if (caddy) report.figure("HTTP CPU per request, Caddy vs nginx", cpu("caddy"), "µs", { higherIsBetter: false, baseline: { name: "nginx", value: cpu("nginx") }, note: cpuNote });
}

/** routeChange measures a Domain applied to the store → the first 200 through the proxy (goal: under 1 s). */
async function routeChange(report: Report, proxy: ProxyControl): Promise<void> {
  const store = await MemoryStore.open();
  const manager = new Manager({ store, logger: silentLogger() });
  manager.add(createDomainController({ store, proxy, logger: silentLogger() }));
  await manager.start();
  try {
    const app = await store.create(admit({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "bench" }, spec: { image: "bench:1", port: PORTS.backend } }));
    await store.updateStatus({ ...app, status: { endpoints: [{ replica: "bench-0", host: HOST, port: PORTS.backend }] } });
    const started = performance.now();
    await store.create(admit({ apiVersion: "berth.dev/v1", kind: "Domain", metadata: { name: "bench" }, spec: { host: "route.bench.test", appRef: { name: "bench" }, tls: { mode: "none" } } }));
    const url = `http://${HOST}:${proxy.httpPort}/`;
    for (;;) {
      if ((await status(url, "route.bench.test")) === 200) break;
      if (performance.now() - started > 5_000) throw new Error("no 200 through the proxy 5 s after the Domain was applied");
    }
    report.figure("route change → first 200", performance.now() - started, "ms", { higherIsBetter: false, baseline: { name: "goal", value: 1000, goalRatio: 1 } });
  } finally {
    await manager.stop();
    await store.close();
  }
}
