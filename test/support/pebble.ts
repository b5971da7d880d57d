import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "selfsigned";

/** TestPebble is a real ACME CA (Pebble) whose HTTP-01 validations go to 127.0.0.1:`httpPort` for every name. */
export interface TestPebble {
  /** directoryUrl is the ACME directory (HTTPS, served with `listenerCa`). */
  directoryUrl: string;
  /** listenerCa is the self-signed certificate Pebble's own listeners use: trust it to talk ACME. */
  listenerCa: string;
  /** root returns the CA root that signs issued certificates (Pebble makes a new one on every start). */
  root(): Promise<string>;
}

/** PebbleOptions: where Pebble validates HTTP-01, and optional policy. */
export interface PebbleOptions {
  /** httpPort is where Pebble connects for HTTP-01 (the proxy's HTTP port). */
  httpPort: number;
  /** validitySeconds sets the lifetime of issued certificates (Pebble's default is five years). */
  validitySeconds?: number;
  /** blocklist is domains Pebble refuses to issue for (an order fails with a `rejectedIdentifier` problem). */
  blocklist?: string[];
}

const START_TIMEOUT_MS = 10_000;

/**
 * startPebble runs `pebble-challtestsrv` (DNS only, answering 127.0.0.1 for every name) and `pebble` pointed at
 * it, on free loopback ports with a config and listener certificate in a temp dir; both are stopped and the dir
 * removed in `t.after`. Needs Debian's `pebble` package (scripts/install.sh, or `apt-get install -y pebble`).
 */
export async function startPebble(t: { after(fn: () => unknown): void }, options: PebbleOptions): Promise<TestPebble> {
  const dir = await mkdtemp(join(tmpdir(), "berth-pebble-"));
  const children: ChildProcess[] = [];
  t.after(async () => {
    await Promise.all(children.map(stopChild));
    await rm(dir, { recursive: true, force: true });
  });
  const [acmePort, managementPort, tlsPort, dnsPort, dnsManagementPort] = await freePorts(5);
  const pems = await generate([{ name: "commonName", value: "pebble-listener" }], {
    keyType: "ec",
    algorithm: "sha256",
    notBeforeDate: new Date(Date.now() - 60_000),
    notAfterDate: new Date(Date.now() + 24 * 3600_000),
    extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] }],
  });
  await writeFile(join(dir, "cert.pem"), pems.cert);
  await writeFile(join(dir, "key.pem"), pems.private);
  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`,
      managementListenAddress: `127.0.0.1:${managementPort}`,
      certificate: join(dir, "cert.pem"),
      privateKey: join(dir, "key.pem"),
      httpPort: options.httpPort,
      tlsPort,
      ocspResponderURL: "",
      externalAccountBindingRequired: false,
      ...(options.blocklist ? { domainBlocklist: options.blocklist } : {}),
      ...(options.validitySeconds ? { certificateValidityPeriod: options.validitySeconds } : {}),
    },
  };
  await writeFile(join(dir, "pebble-config.json"), JSON.stringify(config));
  const dnsArgs = ["-dns01", `127.0.0.1:${dnsPort}`, "-http01", "", "-https01", "", "-tlsalpn01", "", "-management", `127.0.0.1:${dnsManagementPort}`, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""];
  children.push(launch("pebble-challtestsrv", dnsArgs, {}));
  children.push(launch("pebble", ["-config", join(dir, "pebble-config.json"), "-dnsserver", `127.0.0.1:${dnsPort}`], { PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0" }));
  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const exited = children.find((c) => c.exitCode !== null);
    if (exited) throw new Error(`${exited.spawnfile} exited with ${exited.exitCode}: ${(exited as ChildProcess & { output?: string }).output ?? ""}`);
    const ok = await fetchText(directoryUrl, pems.cert).then(() => true, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`pebble did not serve ${directoryUrl} within ${START_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { directoryUrl, listenerCa: pems.cert, root: () => fetchText(`https://127.0.0.1:${managementPort}/roots/0`, pems.cert) };
}

function launch(command: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const holder = child as ChildProcess & { output?: string };
  holder.output = "";
  const keep = (chunk: Buffer) => (holder.output = (holder.output + chunk.toString()).slice(-4000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  child.on("error", (error) => keep(Buffer.from(`cannot run ${command} (apt-get install -y pebble): ${error.message}`)));
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

/** fetchText GETs an HTTPS URL trusting only `ca`, bounded to 5 s. */
export function fetchText(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString("utf8")) : reject(new Error(`GET ${url}: ${res.statusCode}`))));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve) => { const s = createServer(); s.listen(0, "127.0.0.1", () => resolve(s)); })),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}
