import { spawn } from "node:child_process";

/** GitError is a git command that failed; `output` is its last lines (already free of credentials: none are in argv). */
export class GitError extends Error {
  override name = "GitError";
  readonly output: string;
  constructor(message: string, output: string, options?: ErrorOptions) {
    super(message, options);
    this.output = output;
  }
}

/** GitOptions run one git command: in `cwd`, with `env` (credentials travel here, never in argv), bounded by `signal`. */
export interface GitOptions {
  cwd?: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  /** onOutput receives stdout and stderr as they arrive (for the build log). */
  onOutput?: (text: string) => void;
}

/**
 * runGit runs `git ...args` (an argument array: no shell ever parses it) and resolves with its stdout. A
 * non-zero exit is a GitError carrying the tail of its output; an aborted signal kills git and its children.
 */
export function runGit(args: readonly string[], options: GitOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) return reject(options.signal.reason as Error);
    const child = spawn("git", args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let tail = "";
    const keep = (text: string) => {
      tail = (tail + text).slice(-4000);
      options.onOutput?.(text);
    };
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      if (stdout.length < 1 << 20) stdout += text;
      keep(text);
    });
    child.stderr.setEncoding("utf8").on("data", keep);
    // git runs helpers (ssh, remote-https) as children: the whole process group goes on abort.
    const kill = () => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    options.signal.addEventListener("abort", kill, { once: true });
    child.on("error", (err) => {
      options.signal.removeEventListener("abort", kill);
      reject(new GitError(`git ${args[0]} could not start: ${err.message}`, "", { cause: err }));
    });
    child.on("close", (code, signal) => {
      options.signal.removeEventListener("abort", kill);
      if (options.signal.aborted) return reject(options.signal.reason as Error);
      if (code === 0) return resolve(stdout);
      // The lines that say what went wrong (ssh's host key check, git's fatal:), else the last ones.
      const lines = tail.trim().split("\n").map((l) => l.trim()).filter(Boolean);
      const telling = lines.filter((l) => /fatal|error|failed|denied|verification|not found/i.test(l));
      const last = (telling.length > 0 ? telling : lines).slice(-3).join(" | ");
      reject(new GitError(`git ${args[0]} failed (${signal ?? `exit ${code}`})${last ? `: ${last}` : ""}`, tail));
    });
  });
}

/** isCommitId tells whether `ref` is already a full commit id. */
export function isCommitId(ref: string): boolean {
  return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(ref);
}

/**
 * lsRemote resolves `ref` (a branch, a tag, or a full ref such as `refs/heads/main`) to a commit with
 * `git ls-remote`. An annotated tag resolves to the commit it points at. Undefined when the remote has no such ref.
 */
export async function lsRemote(url: string, ref: string, options: GitOptions): Promise<string | undefined> {
  if (isCommitId(ref)) return ref;
  const patterns = ref.startsWith("refs/") ? [ref, `${ref}^{}`] : [`refs/heads/${ref}`, `refs/tags/${ref}`, `refs/tags/${ref}^{}`];
  const out = await runGit(["ls-remote", "--", url, ...patterns], { ...options, onOutput: undefined });
  const found = new Map<string, string>();
  for (const line of out.split("\n")) {
    const [commit, name] = line.trim().split(/\s+/);
    if (commit && name) found.set(name, commit);
  }
  for (const pattern of ref.startsWith("refs/") ? [`${ref}^{}`, ref] : [`refs/heads/${ref}`, `refs/tags/${ref}^{}`, `refs/tags/${ref}`]) {
    const commit = found.get(pattern);
    if (commit) return commit;
  }
  return undefined;
}

/**
 * fetchCommit makes `dir` a checkout of `commit`: a shallow fetch of the commit itself (servers with protocol v2
 * allow it), else of `ref` with some history, then a detached checkout.
 */
export async function fetchCommit(dir: string, url: string, ref: string, commit: string, options: GitOptions): Promise<void> {
  const git = (args: string[]) => runGit(args, { ...options, cwd: dir });
  await git(["init", "--quiet"]);
  try {
    await git(["-c", "protocol.version=2", "fetch", "--quiet", "--no-tags", "--depth", "1", "--", url, commit]);
  } catch (err) {
    if (options.signal.aborted) throw err;
    options.onOutput?.(`fetching the commit by id failed; fetching ${ref} instead\n`);
    await git(["fetch", "--quiet", "--no-tags", "--depth", "50", "--", url, ref]);
  }
  await git(["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit]);
}
