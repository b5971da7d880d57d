import type { Writable } from "node:stream";
import type { Resource } from "../../resources/index.ts";
import { DockerError, LABELS, listContainers, ownerFilter, statusCodeOf, type DockerClient, type ObservedContainer } from "../docker/index.ts";

/** LogRequest is what a caller of the logs endpoint asks for (Kubernetes' `PodLogOptions`, for an App). */
export interface LogRequest {
  /** follow keeps streaming new lines until the client goes away or the containers stop. */
  follow: boolean;
  /** tailLines starts each container's output this many lines from its end (absent: all of it). */
  tailLines?: number;
  /** sinceSeconds starts each container's output this many seconds ago. */
  sinceSeconds?: number;
  /** timestamps prefixes each line with Docker's RFC 3339 timestamp. */
  timestamps: boolean;
  /** replica picks one replica: its index (`0`) in the current revision, or a container name. */
  replica?: string;
  /**
   * previous reads the replicas of older revisions that are still there (a rollout in progress, or one that
   * failed and left the old version serving) instead of the current revision's. A crashed replica is restarted
   * in place, so its earlier runs are already in its own log.
   */
  previous: boolean;
}

/** LogSource is one container whose log is streamed, with the prefix its lines get when several are multiplexed. */
export interface LogSource {
  id: string;
  name: string;
  revision: number;
  replica: number;
  prefix: string;
}

/** NoLogSourceError says why no container matches a log request (no replicas yet, an unknown replica). */
export class NoLogSourceError extends Error {
  override name = "NoLogSourceError";
}

/**
 * selectLogSources picks the App's containers a log request reads: by default every replica of the current
 * revision (`status.revision`, else the newest revision found), prefixed `[replica-N] `; with `previous` the
 * replicas of other revisions; with `replica` one container, unprefixed. Lines of several revisions are
 * prefixed `[revision-R/replica-N] ` so they stay apart.
 */
export async function selectLogSources(docker: DockerClient, app: Resource, request: LogRequest, signal?: AbortSignal): Promise<LogSource[]> {
  const { namespace, name } = app.metadata;
  const containers = (await listContainers(docker, ownerFilter({ kind: "App", namespace, name }), signal, false)).map(describe).sort((a, b) => a.revision - b.revision || a.replica - b.replica);
  const what = `app "${name}" in namespace "${namespace}"`;
  if (containers.length === 0) {
    const ready = app.status?.conditions?.find((c) => c.type === "Ready");
    throw new NoLogSourceError(`${what} has no containers${ready?.message ? ` (${ready.message})` : ""}`);
  }
  const statusRevision = app.status?.revision;
  const current = typeof statusRevision === "number" ? statusRevision : Math.max(...containers.map((c) => c.revision));
  const pool = containers.filter((c) => (request.previous ? c.revision !== current : c.revision === current));
  if (request.replica !== undefined) return [{ ...pickReplica(containers, pool, request, what), prefix: "" }];
  if (pool.length === 0) {
    throw new NoLogSourceError(request.previous
      ? `${what} has no replicas of a revision other than the current one (${current})`
      : `${what} has no replicas of its current revision ${current} yet; add previous=true to read the ${containers.length} replica(s) of older revisions`);
  }
  const revisions = new Set(pool.map((c) => c.revision));
  return pool.map((c) => ({ ...c, prefix: revisions.size > 1 ? `[revision-${c.revision}/replica-${c.replica}] ` : `[replica-${c.replica}] ` }));
}

function describe(c: ObservedContainer): Omit<LogSource, "prefix"> {
  return { id: c.id, name: c.name, revision: Number(c.labels[LABELS.revision] ?? 0), replica: Number(c.labels[LABELS.replica] ?? 0) };
}

/** pickReplica resolves `replica`: an index within the pool (current or previous revisions), else any container's name. */
function pickReplica(all: readonly Omit<LogSource, "prefix">[], pool: readonly Omit<LogSource, "prefix">[], request: LogRequest, what: string): Omit<LogSource, "prefix"> {
  const wanted = request.replica!;
  const found = /^\d+$/.test(wanted)
    ? [...pool].reverse().find((c) => c.replica === Number(wanted))
    : all.find((c) => c.name === wanted);
  if (found) return found;
  const known = pool.length > 0 ? pool.map((c) => `${c.replica} (${c.name})`).join(", ") : "none";
  throw new NoLogSourceError(`replica "${wanted}" is not a replica of ${what}; ${request.previous ? "older revisions" : "the current revision"} has: ${known}`);
}

/**
 * streamLogs writes the logs of `sources` to `out`, line by line: concurrently when following (each line
 * as soon as Docker sends it), one container after the other otherwise. Docker's multiplexed frames are
 * split back into stdout and stderr (dockerode's demuxStream) before lines are cut, so a prefix never lands
 * inside a line. It resolves when every stream ended or `signal` aborted (which detaches from Docker);
 * when `out` is full the Docker streams pause until it drains.
 */
export async function streamLogs(docker: DockerClient, sources: readonly LogSource[], request: LogRequest, out: Writable, signal: AbortSignal): Promise<void> {
  const pacer = new Pacer(out);
  if (request.follow) {
    // One failing stream ends them all, so none is left attached to Docker.
    const all = new AbortController();
    const stop = () => all.abort();
    signal.addEventListener("abort", stop, { once: true });
    try {
      await Promise.all(sources.map((s) => streamOne(docker, s, request, pacer, all.signal).catch((err: unknown) => {
        all.abort();
        throw err;
      })));
    } finally {
      signal.removeEventListener("abort", stop);
    }
    return;
  }
  for (const source of sources) {
    if (signal.aborted) return;
    await streamOne(docker, source, request, pacer, signal);
  }
}

let openStreams = 0;

/** openLogStreams is how many container log streams are attached to Docker right now (a gauge for metrics and tests). */
export function openLogStreams(): number {
  return openStreams;
}

/** OPEN_TIMEOUT_MS bounds the wait for Docker to answer a logs request (the stream itself is unbounded when following). */
const OPEN_TIMEOUT_MS = 15_000;

async function streamOne(docker: DockerClient, source: LogSource, request: LogRequest, out: Pacer, signal: AbortSignal): Promise<void> {
  let stream: NodeJS.ReadableStream & { destroy(): void };
  try {
    stream = await openLogStream(docker, source.id, request, signal);
  } catch (err) {
    // Removed since it was listed (a rollout moved on): it has nothing more to say.
    if (statusCodeOf(err) === 404 || signal.aborted) return;
    throw new DockerError(`logs of container ${source.name}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
  }
  openStreams++;
  const prefix = Buffer.from(source.prefix);
  const stdout = new LineSplitter(prefix, out, stream);
  const stderr = new LineSplitter(prefix, out, stream);
  await new Promise<void>((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      openStreams--;
      signal.removeEventListener("abort", detach);
      stdout.flush();
      stderr.flush();
      resolve();
    };
    const detach = () => stream.destroy();
    signal.addEventListener("abort", detach, { once: true });
    stream.once("end", finish);
    stream.once("close", finish);
    stream.once("error", finish);
    docker.modem.demuxStream(stream, stdout as unknown as NodeJS.WritableStream, stderr as unknown as NodeJS.WritableStream);
    if (signal.aborted) detach();
  });
}

/**
 * openLogStream asks the Engine for a container's log as a stream. dockerode buffers a log that is not
 * followed into one Buffer, so the request is dialled here with `isStream` to stream both cases.
 */
function openLogStream(docker: DockerClient, id: string, request: LogRequest, signal: AbortSignal): Promise<NodeJS.ReadableStream & { destroy(): void }> {
  const options: Record<string, unknown> = {
    stdout: true,
    stderr: true,
    follow: request.follow,
    timestamps: request.timestamps,
    tail: request.tailLines === undefined ? "all" : String(request.tailLines),
    ...(request.sinceSeconds !== undefined ? { since: Math.floor(Date.now() / 1000) - request.sinceSeconds } : {}),
  };
  // One controller for the whole stream: the caller's signal detaches it, the timer only bounds the wait for headers.
  const controller = new AbortController();
  const forward = () => controller.abort(signal.reason);
  signal.addEventListener("abort", forward, { once: true });
  if (signal.aborted) forward();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`the Docker Engine did not answer a logs request for ${id.slice(0, 12)} within ${OPEN_TIMEOUT_MS / 1000}s`));
    }, OPEN_TIMEOUT_MS);
    docker.modem.dial(
      { path: `/containers/${encodeURIComponent(id)}/logs?`, method: "GET", options, isStream: true, abortSignal: controller.signal, statusCodes: { 200: true, 404: "no such container", 500: "server error" } } as Parameters<DockerClient["modem"]["dial"]>[0],
      (err: unknown, stream: unknown) => {
        clearTimeout(timer);
        if (err) {
          signal.removeEventListener("abort", forward);
          reject(err);
          return;
        }
        const readable = stream as NodeJS.ReadableStream & { destroy(): void };
        readable.once("close", () => signal.removeEventListener("abort", forward));
        resolve(readable);
      },
    );
  });
}

/**
 * Pacer writes to the response for every Docker stream of a request: when the response is full it pauses the
 * streams that write, and resumes them all on one `drain`.
 */
class Pacer {
  private readonly out: Writable;
  private readonly paused = new Set<NodeJS.ReadableStream>();

  constructor(out: Writable) {
    this.out = out;
  }

  write(data: Buffer, source: NodeJS.ReadableStream): void {
    if (this.out.writableEnded || this.out.destroyed) return;
    if (this.out.write(data) || this.paused.has(source)) return;
    source.pause();
    if (this.paused.size === 0) {
      this.out.once("drain", () => {
        for (const s of this.paused) s.resume();
        this.paused.clear();
      });
    }
    this.paused.add(source);
  }
}

/** LineSplitter is the writable end demuxStream writes one stream (stdout or stderr) into: it cuts whole lines and prefixes them. */
class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);
  private readonly prefix: Buffer;
  private readonly out: Pacer;
  private readonly source: NodeJS.ReadableStream;

  constructor(prefix: Buffer, out: Pacer, source: NodeJS.ReadableStream) {
    this.prefix = prefix;
    this.out = out;
    this.source = source;
  }

  /** write is what demuxStream calls with each frame's payload. */
  write(chunk: Buffer): boolean {
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const last = data.lastIndexOf(0x0a);
    if (last < 0) {
      this.pending = data;
      return true;
    }
    this.pending = Buffer.from(data.subarray(last + 1));
    this.emit(data.subarray(0, last + 1));
    return true;
  }

  /** flush writes a last line that had no newline, with one added. */
  flush(): void {
    if (this.pending.length === 0) return;
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    this.emit(Buffer.concat([rest, Buffer.from("\n")]));
  }

  private emit(lines: Buffer): void {
    this.out.write(this.prefix.length === 0 ? lines : prefixLines(this.prefix, lines), this.source);
  }
}

/** prefixLines puts `prefix` before every line of `lines` (which ends with a newline). */
function prefixLines(prefix: Buffer, lines: Buffer): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  while (start < lines.length) {
    const end = lines.indexOf(0x0a, start);
    parts.push(prefix, lines.subarray(start, end + 1));
    start = end + 1;
  }
  return Buffer.concat(parts);
}
