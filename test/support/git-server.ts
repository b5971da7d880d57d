import { spawn, execFile, type ChildProcess } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../../controllers/events/free-port.ts";

const run = promisify(execFile);

/** GIT_ENV keeps the host's git configuration out of the test repositories. */
const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("git", args, { cwd, env: GIT_ENV });
  return stdout.trim();
}

/**
 * GitRepo is a bare repository under a served root, and a work tree to commit to it: `commit(files)` writes the
 * files, commits and pushes to the branch, and returns the commit id.
 */
export interface GitRepo {
  /** root is the directory the servers serve; the bare repository is `<root>/<name>.git`. */
  root: string;
  name: string;
  branch: string;
  commit(files: Record<string, string>, message?: string): Promise<string>;
  remove(): Promise<void>;
}

/** createGitRepo makes an empty bare repository `<name>.git` and its work tree, in a fresh temporary root. */
export async function createGitRepo(name = "app", branch = "main"): Promise<GitRepo> {
  const root = await mkdtemp(join(tmpdir(), "berth-git-root-"));
  const bare = join(root, `${name}.git`);
  const work = join(root, "work");
  await mkdir(bare);
  await git(bare, "init", "--quiet", "--bare", `--initial-branch=${branch}`);
  await git(bare, "config", "http.receivepack", "false");
  await mkdir(work);
  await git(work, "init", "--quiet", `--initial-branch=${branch}`);
  return {
    root, name, branch,
    async commit(files, message = "change") {
      for (const [path, content] of Object.entries(files)) {
        await mkdir(dirname(join(work, path)), { recursive: true });
        await writeFile(join(work, path), content);
      }
      await git(work, "add", "-A");
      await git(work, "commit", "--quiet", "--allow-empty", "-m", message);
      await git(work, "push", "--quiet", bare, `HEAD:refs/heads/${branch}`);
      return git(work, "rev-parse", "HEAD");
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** GitDaemon is `git daemon` serving a root over git:// on a free port. */
export interface GitDaemon {
  url(repo: string): string;
  stop(): Promise<void>;
}

/** startGitDaemon serves `root` read-only over git:// on 127.0.0.1 and a free port, until stop. */
export async function startGitDaemon(root: string): Promise<GitDaemon> {
  const port = await freePort();
  const child = spawn("git", ["daemon", "--reuseaddr", "--export-all", `--base-path=${root}`, "--listen=127.0.0.1", `--port=${port}`, "--informative-errors", root], { stdio: ["ignore", "ignore", "pipe"], env: GIT_ENV });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  await waitForPort(port, child, () => stderr);
  return {
    url: (repo) => `git://127.0.0.1:${port}/${repo}.git`,
    stop: () => stopChild(child),
  };
}

/** GitHttpServer is git's smart HTTP (`git http-backend`) behind a small node server that demands a token. */
export interface GitHttpServer {
  url(repo: string): string;
  /** authorizations counts the requests that carried the right token, by scheme (`Basic`, `Bearer`). */
  authorizations: Record<string, number>;
  /** rejected counts requests refused for a missing or wrong token. */
  rejected: number;
  /** delayMs holds every request this long before it is served (to catch a fetch in the act). */
  delayMs: number;
  stop(): Promise<void>;
}

/**
 * startGitHttpServer serves `root` over HTTP on a free port through `git http-backend` (CGI). Every request
 * must carry `token`: as the password of Basic auth (any user name) or as a Bearer token; others get a 401.
 */
export async function startGitHttpServer(root: string, token: string): Promise<GitHttpServer> {
  const state: GitHttpServer = { url: () => "", authorizations: {}, rejected: 0, delayMs: 0, stop: async () => {} };
  const server = createServer((req, res) => {
    const scheme = authorized(req.headers.authorization, token);
    if (!scheme) {
      state.rejected++;
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="git"' }).end("token required\n");
      return;
    }
    state.authorizations[scheme] = (state.authorizations[scheme] ?? 0) + 1;
    setTimeout(() => cgi(root, req, res), state.delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  state.url = (repo) => `http://127.0.0.1:${port}/${repo}.git`;
  state.stop = () => closeServer(server);
  return state;
}

function authorized(header: string | undefined, token: string): string | undefined {
  if (!header) return undefined;
  const [scheme, value = ""] = header.split(" ");
  if (scheme === "Bearer" && value === token) return "Bearer";
  if (scheme === "Basic" && Buffer.from(value, "base64").toString().split(":").slice(1).join(":") === token) return "Basic";
  return undefined;
}

/** cgi runs one request through `git http-backend` and copies its CGI answer back. */
function cgi(root: string, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://x");
  const child = spawn("git", ["http-backend"], {
    env: {
      ...GIT_ENV, GIT_PROJECT_ROOT: root, GIT_HTTP_EXPORT_ALL: "1", PATH_INFO: decodeURIComponent(url.pathname), QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method ?? "GET", CONTENT_TYPE: req.headers["content-type"] ?? "", REMOTE_USER: "t", REMOTE_ADDR: "127.0.0.1",
      HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"] ?? ""), GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
    },
    stdio: ["pipe", "pipe", "ignore"],
  });
  req.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on("data", (chunk: Buffer) => {
    if (headersDone) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString().split("\r\n")) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === "status") status = Number(value.split(" ")[0]);
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  child.on("close", () => res.end());
}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const { connect } = await import("node:net");
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`git daemon exited: ${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => (socket.destroy(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`git daemon did not listen on ${port}: ${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(timer);
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** processesMentioning lists the command lines of running processes (from /proc) that contain `text`. */
export async function processesMentioning(text: string): Promise<string[]> {
  const { readdir, readFile } = await import("node:fs/promises");
  const found: string[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(text)) found.push(`${entry}: ${cmdline.split("\0").join(" ")}`);
  }
  return found;
}

/** GitSshServer is a local `sshd` serving the repositories of a root to one key, with the host key to trust. */
export interface GitSshServer {
  url(repo: string): string;
  /** privateKey is the client key sshd accepts; knownHosts is the line that trusts sshd's host key. */
  privateKey: string;
  knownHosts: string;
  stop(): Promise<void>;
}

/** SSHD is OpenSSH's server (package openssh-server, installed by scripts/install.sh). */
export const SSHD = "/usr/sbin/sshd";

/**
 * startGitSshServer runs `sshd` on 127.0.0.1 and a free port with its own host key and config (no system
 * config, no password login), letting in one fresh key as the current user; repositories are reached by path.
 */
export async function startGitSshServer(root: string): Promise<GitSshServer> {
  const dir = await mkdtemp(join(tmpdir(), "berth-sshd-"));
  const { readFile: read, chmod } = await import("node:fs/promises");
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "host_key")]);
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "client_key")]);
  await writeFile(join(dir, "authorized_keys"), await read(join(dir, "client_key.pub"), "utf8"));
  await chmod(dir, 0o700);
  const port = await freePort();
  const user = (await run("id", ["-un"])).stdout.trim();
  await mkdir("/run/sshd", { recursive: true, mode: 0o755 });
  await writeFile(join(dir, "sshd_config"), [
    `Port ${port}`, "ListenAddress 127.0.0.1", `HostKey ${join(dir, "host_key")}`, `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    "PasswordAuthentication no", "KbdInteractiveAuthentication no", "PermitRootLogin prohibit-password", "StrictModes no", "UsePAM no",
    `PidFile ${join(dir, "sshd.pid")}`, `AllowUsers ${user}`, "",
  ].join("\n"));
  const child = spawn(SSHD, ["-D", "-e", "-f", join(dir, "sshd_config")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  await waitForPort(port, child, () => stderr);
  const hostKey = (await read(join(dir, "host_key.pub"), "utf8")).trim().split(" ").slice(0, 2).join(" ");
  return {
    url: (repo) => `ssh://${user}@127.0.0.1:${port}${root}/${repo}.git`,
    privateKey: await read(join(dir, "client_key"), "utf8"),
    knownHosts: `[127.0.0.1]:${port} ${hostKey}\n`,
    async stop() {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
