import { mkdir, open, readFile, rename, stat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";

/**
 * AuditEntry is one line of the audit log: who (the token's name, never the token), did what (verb), to
 * what (group, resource, kind, namespace, name, subresource; or the path of a request outside the API
 * groups), and how it ended (the HTTP code).
 */
export interface AuditEntry {
  time: string;
  user?: string;
  verb: string;
  group?: string;
  resource?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** path is set for requests that do not name a resource (e.g. `/metrics`, `/hooks/...`). */
  path?: string;
  code: number;
  dryRun?: boolean;
}

/** AuditLogOptions: where the log lives and when it rotates. */
export interface AuditLogOptions {
  /** dir holds `audit.log` and its rotated copies `audit.log.1` (newest) to `audit.log.<keep>`. */
  dir: string;
  logger: Logger;
  /** maxBytes is the size at which `audit.log` is rotated (default 10 MiB). */
  maxBytes?: number;
  /** keep is how many rotated files are kept (default 4). */
  keep?: number;
}

/** AUDIT_FILE is the current audit log's name in its directory. */
export const AUDIT_FILE = "audit.log";

/**
 * AuditLog appends JSON lines to `<dir>/audit.log` (mode 0600), rotated by size. Recording never blocks or
 * throws: lines are queued and written in batches, in order, by one writer; a write that fails is logged.
 */
export class AuditLog {
  private readonly file: string;
  private readonly options: Required<Omit<AuditLogOptions, "logger">> & { logger: Logger };
  private handle: FileHandle | undefined;
  private size = 0;
  private queue: string[] = [];
  private writing: Promise<void> | undefined;
  private closed = false;

  private constructor(options: AuditLogOptions) {
    this.options = { maxBytes: 10 * 1024 * 1024, keep: 4, ...options };
    this.file = join(options.dir, AUDIT_FILE);
  }

  /** open creates the directory (0700) and opens the log for appending. */
  static async open(options: AuditLogOptions): Promise<AuditLog> {
    const log = new AuditLog(options);
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    await log.openFile();
    return log;
  }

  /** record queues one entry; it is on disk once `flush()` resolves. */
  record(entry: AuditEntry): void {
    if (this.closed) return;
    this.queue.push(`${JSON.stringify(entry)}\n`);
    this.writing ??= this.drain();
  }

  /** flush resolves once every entry recorded so far is written. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /**
   * read returns the entries at or after `since`, oldest first, at most the last `limit` of them, from the
   * rotated files and the current one. A line that does not parse (a torn write after a crash) is skipped.
   */
  async read(query: { since?: Date; limit: number }): Promise<AuditEntry[]> {
    await this.flush();
    const files = [...Array.from({ length: this.options.keep }, (_, i) => `${this.file}.${this.options.keep - i}`), this.file];
    const since = query.since?.getTime();
    const entries: AuditEntry[] = [];
    for (const file of files) {
      const text = await readFile(file, "utf8").catch(() => "");
      for (const line of text.split("\n")) {
        if (line === "") continue;
        let entry: AuditEntry;
        try {
          entry = JSON.parse(line) as AuditEntry;
        } catch {
          continue;
        }
        if (since !== undefined && Date.parse(entry.time) < since) continue;
        entries.push(entry);
      }
    }
    return entries.slice(Math.max(0, entries.length - query.limit));
  }

  /** close writes what is queued and closes the file. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    await this.handle?.close();
    this.handle = undefined;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        // As many queued lines as fit in the current file, in one write; a full file is rotated first.
        let bytes = 0;
        let count = 0;
        for (const line of this.queue) {
          const length = Buffer.byteLength(line);
          if (this.size + bytes + length > this.options.maxBytes && (this.size > 0 || count > 0)) break;
          bytes += length;
          count++;
        }
        try {
          if (count === 0) {
            await this.rotate();
            continue;
          }
          const chunk = this.queue.splice(0, count).join("");
          await this.handle!.write(chunk);
          this.size += bytes;
        } catch (error) {
          this.options.logger.error({ err: error, file: this.file }, "could not write the audit log");
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  private async openFile(): Promise<void> {
    this.handle = await open(this.file, "a", 0o600);
    await this.handle.chmod(0o600);
    this.size = (await stat(this.file)).size;
  }

  /** rotate shifts `audit.log.N` to `.N+1` (dropping the oldest), the current file to `.1`, and starts a new one. */
  private async rotate(): Promise<void> {
    await this.handle?.close();
    try {
      for (let i = this.options.keep - 1; i >= 1; i--) await rename(`${this.file}.${i}`, `${this.file}.${i + 1}`).catch(() => undefined);
      await rename(this.file, `${this.file}.1`);
    } finally {
      // Whatever happened to the renames, keep a file to append to.
      await this.openFile();
    }
  }
}
