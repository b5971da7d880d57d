import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { once } from "node:events";
import { Redactor } from "./redact.ts";

/** DEFAULT_LOG_LIMIT_BYTES caps one build's log on disk (50 MiB); the rest is dropped and `truncated` set. */
export const DEFAULT_LOG_LIMIT_BYTES = 50 * 1024 * 1024;

/** buildLogPath is where the log of Build `namespace/name` is kept: `<data-dir>/builds/<namespace>/<name>.log`. */
export function buildLogPath(dataDir: string, namespace: string, name: string): string {
  return join(dataDir, "builds", namespace, `${name}.log`);
}

/** removeBuildLog deletes a Build's log (its Build is gone). */
export async function removeBuildLog(dataDir: string, namespace: string, name: string): Promise<void> {
  await rm(buildLogPath(dataDir, namespace, name), { force: true });
}

/**
 * BuildLog writes one build's output to its file as it arrives: secret values redacted first, at most
 * `limitBytes` kept, never the whole log in memory (writes wait for the file when it falls behind).
 */
export class BuildLog {
  readonly path: string;
  private readonly limit: number;
  private readonly redactor: Redactor;
  private stream: WriteStream | undefined;
  private written = 0;
  private cut = false;

  private constructor(path: string, limit: number, secrets: Iterable<string>) {
    this.path = path;
    this.limit = limit;
    this.redactor = new Redactor(secrets);
  }

  /** open starts a new log at `path` (an old one of the same build is replaced). */
  static async open(path: string, options: { limitBytes?: number; secrets?: Iterable<string> } = {}): Promise<BuildLog> {
    await mkdir(dirname(path), { recursive: true });
    const log = new BuildLog(path, options.limitBytes ?? DEFAULT_LOG_LIMIT_BYTES, options.secrets ?? []);
    log.stream = createWriteStream(path, { flags: "w", mode: 0o600 });
    await once(log.stream, "open");
    return log;
  }

  /** bytes is how much has been written to the file. */
  get bytes(): number {
    return this.written;
  }

  /** truncated: output was dropped because the log reached its limit. */
  get truncated(): boolean {
    return this.cut;
  }

  /** write appends text (redacted); it resolves when the file can take more. */
  async write(text: string): Promise<void> {
    await this.put(this.redactor.push(text));
  }

  /** close flushes what the redactor held back and closes the file. */
  async close(): Promise<void> {
    if (!this.stream) return;
    await this.put(this.redactor.end());
    const stream = this.stream;
    this.stream = undefined;
    stream.end();
    await once(stream, "close").catch(() => {});
  }

  private async put(text: string): Promise<void> {
    if (!text || !this.stream || this.cut) return;
    let data = Buffer.from(text, "utf8");
    if (this.written + data.length > this.limit) {
      data = Buffer.concat([data.subarray(0, Math.max(0, this.limit - this.written)), Buffer.from(`\n[log truncated: it reached ${this.limit} bytes]\n`)]);
      this.cut = true;
    }
    this.written += data.length;
    if (!this.stream.write(data)) await once(this.stream, "drain");
  }
}
