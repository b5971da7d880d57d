import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { JournalFailedError } from "./durable-errors.ts";
import { pwriteFully, syncDir } from "./durable-fs.ts";
import { segmentFile } from "./journal-segments.ts";
import { encodeBatch } from "./journal-format.ts";

/** Batch is the lines that reach disk in one synced write; every append in it shares one promise. */
interface Batch {
  segment: number;
  lines: string[];
  done: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** SegmentStats say how big the segment that appends go to has grown (`bytes`: where its committed data ends). */
export interface SegmentStats {
  start: number;
  bytes: number;
  records: number;
}

/**
 * SEGMENT_FLAGS open a segment with O_DSYNC: each write returns once its bytes are on stable storage, so a batch
 * costs one system call instead of write + fdatasync.
 */
const SEGMENT_FLAGS = constants.O_RDWR | constants.O_CREAT | constants.O_DSYNC;
/** Segments are zero-filled this far ahead of the writer, a chunk at a time: overwriting allocated blocks needs no file-system journal commit, appending does. */
const PREALLOCATE_AHEAD = 4 << 20;
const PREALLOCATE_CHUNK = 1 << 20;
const ZEROS = Buffer.alloc(PREALLOCATE_CHUNK);

/**
 * Journal is the append-only, group-committed log of committed changes. A write starts as soon as the journal is
 * idle; appends made while it is in flight are gathered into the next batch, so N concurrent writers cost one
 * synced write rather than N, and the CPU work of the next batch overlaps the I/O of this one. Each append's
 * promise resolves only once its batch (records + commit line) is synced. Batches are written strictly one
 * after another, so only the last one can ever be torn.
 *
 * The journal is split into segments named by their first revision; `rotate` starts a new one (for compaction)
 * without pausing appends. A segment is only opened once the previous one is fully synced and trimmed.
 */
export class Journal {
  private readonly dir: string;
  private readonly queue: Batch[] = [];
  private handle: FileHandle | undefined;
  private handleSegment = -1;
  /** position is where the next batch goes in the open segment; allocated is the segment's size. */
  private position = 0;
  private allocated = 0;
  private readonly resume: SegmentStats;
  private current: SegmentStats;
  private running: Promise<void> | undefined;
  /** extension is the zero-fill in flight; it writes only at or after `allocated`, where no batch goes until it ends. */
  private extension: Promise<void> | undefined;
  private preallocating = true;
  private failure: Error | undefined;
  private closed = false;
  private syncs = 0;

  /** The journal appends to the segment starting at `segment.start`, after its first `segment.bytes` bytes (created on first write if missing). */
  constructor(dir: string, segment: SegmentStats) {
    this.dir = dir;
    this.resume = { ...segment };
    this.current = { ...segment };
  }

  /** append queues one record line (from encodePut or encodeDelete) and resolves once its batch is durable. */
  append(line: string): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new JournalFailedError("journal is closed"));
    let batch = this.queue[this.queue.length - 1];
    if (!batch || batch.segment !== this.current.start) {
      batch = newBatch(this.current.start);
      this.queue.push(batch);
    }
    batch.lines.push(line);
    this.current.bytes += line.length;
    this.current.records += 1;
    this.running ??= this.drain();
    return batch.done;
  }

  /** rotate makes later appends go to a new segment that starts at `start`; earlier ones still go to the old one. */
  rotate(start: number): void {
    this.current = { start, bytes: 0, records: 0 };
  }

  /** stats describes the segment appends currently go to (bytes approximate: characters queued). */
  stats(): SegmentStats {
    return { ...this.current };
  }

  /** syncCount is how many synced batch writes have completed. */
  get syncCount(): number {
    return this.syncs;
  }

  /** close waits for queued appends to be durable, trims the unused end of the segment and closes it; later appends are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await this.running;
    await this.release();
  }

  private async drain(): Promise<void> {
    try {
      for (let batch = this.queue.shift(); batch; batch = this.queue.shift()) {
        try {
          if (this.failure) throw this.failure;
          await this.write(batch);
          batch.resolve();
          this.preallocate();
        } catch (error) {
          this.failure ??= new JournalFailedError(`journal write failed in ${this.dir}; no further writes are acknowledged`, { cause: error });
          batch.reject(this.failure);
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  private async write(batch: Batch): Promise<void> {
    if (batch.segment !== this.handleSegment) await this.switchTo(batch.segment);
    const bytes = encodeBatch(batch.lines);
    // A batch that would reach past the zero-filled part must not race the fill of the next chunk.
    if (this.position + bytes.length > this.allocated) await this.extension;
    await pwriteFully(this.handle!.fd, bytes, this.position);
    this.position += bytes.length;
    this.allocated = Math.max(this.allocated, this.position);
    this.syncs++;
  }

  private async switchTo(segment: number): Promise<void> {
    await this.release();
    this.handle = await open(segmentFile(this.dir, segment), SEGMENT_FLAGS, 0o644);
    this.handleSegment = segment;
    this.position = segment === this.resume.start ? this.resume.bytes : 0;
    this.allocated = (await this.handle.stat()).size;
    await syncDir(path.resolve(this.dir));
  }

  /**
   * preallocate starts zero-filling the next chunk of the segment in the background when the writer is less
   * than PREALLOCATE_AHEAD from the end (an O_DSYNC write, so the new size is durable too). If it fails (a full
   * disk), batches simply append past the end from then on, and their own writes report any real failure.
   */
  private preallocate(): void {
    const handle = this.handle;
    if (!handle || this.extension || !this.preallocating || this.allocated - this.position >= PREALLOCATE_AHEAD) return;
    const at = this.allocated;
    this.extension = pwriteFully(handle.fd, ZEROS, at).then(
      () => {
        if (this.handle === handle) this.allocated = Math.max(this.allocated, at + ZEROS.length);
      },
      () => {
        this.preallocating = false;
      },
    ).finally(() => (this.extension = undefined));
  }

  /** release trims the preallocated zeros off the open segment and closes it. */
  private async release(): Promise<void> {
    await this.extension;
    const handle = this.handle;
    if (!handle) return;
    this.handle = undefined;
    this.handleSegment = -1;
    try {
      if (!this.failure) {
        await handle.truncate(this.position);
        await handle.datasync();
      }
    } finally {
      await handle.close();
    }
  }
}

function newBatch(segment: number): Batch {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Callers may drop the promise of a write they do not await; the failure is still reported to those that do.
  done.catch(() => undefined);
  return { segment, lines: [], done, resolve, reject };
}
