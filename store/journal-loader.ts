import { open, readFile, readdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../lib/logger.ts";
import type { Resource } from "../resources/index.ts";
import { JournalCorruptError } from "./durable-errors.ts";
import { listSegments } from "./journal-segments.ts";
import { scanSegment } from "./journal-format.ts";
import type { SegmentStats } from "./journal.ts";
import { SNAPSHOT_FILE, readSnapshot } from "./snapshot.ts";
import { keyOf, keyString } from "./store.ts";

/** RecoveredState is what a store directory holds: objects in their stored (sealed) form, by key. */
export interface RecoveredState {
  revision: number;
  objects: Map<string, Resource>;
  /** active is the segment to keep appending to: the last one, or a new one after `revision`. */
  active: SegmentStats;
  /** snapshotRevision is the revision the snapshot was taken at (0 without one). */
  snapshotRevision: number;
  /** snapshotBytes is the snapshot's size on disk (0 without one). */
  snapshotBytes: number;
}

/**
 * recoverState loads a store directory: the lowdb snapshot, then every journal record newer than it, in
 * revision order. A torn tail of the last segment is truncated and reported as a warning with the count of
 * dropped bytes; anything else that is wrong (a bad record in the middle, a torn segment that is not the last,
 * a gap or a repeat in revisions) throws JournalCorruptError naming the file and offset.
 */
export async function recoverState(dir: string, logger: Logger): Promise<RecoveredState> {
  await removeTempFiles(dir);
  const snapshotFile = path.join(dir, SNAPSHOT_FILE);
  const snapshot = await readSnapshot(snapshotFile);
  const snapshotBytes = await stat(snapshotFile).then((s) => s.size, () => 0);
  const objects = new Map<string, Resource>();
  for (const obj of snapshot.objects) objects.set(keyString(keyOf(obj)), obj);
  let revision = snapshot.revision;
  const segments = await listSegments(dir);
  let active: SegmentStats | undefined;
  for (const [index, segment] of segments.entries()) {
    const bytes = await readFile(segment.file);
    const scan = scanSegment(segment.file, bytes);
    if (scan.tornBytes > 0) {
      if (index !== segments.length - 1) throw new JournalCorruptError(segment.file, scan.goodBytes, "torn record in a segment that is not the last one; refusing to start");
      await truncate(segment.file, scan.goodBytes);
      logger.warn({ file: segment.file, offset: scan.goodBytes, droppedBytes: scan.tornBytes }, `journal: torn tail recovered, dropped ${scan.tornBytes} bytes after the last good record (revision ${Math.max(revision, scan.records.at(-1)?.record.revision ?? 0)})`);
    }
    for (const { record, offset } of scan.records) {
      if (record.revision <= revision) {
        if (record.revision > snapshot.revision) throw new JournalCorruptError(segment.file, offset, `revision ${record.revision} after ${revision}: records out of order; refusing to start`);
        continue;
      }
      if (record.revision !== revision + 1) throw new JournalCorruptError(segment.file, offset, `revision ${record.revision} follows ${revision}: records are missing; refusing to start`);
      if (record.op === "put") objects.set(record.key, record.object!);
      else objects.delete(record.key);
      revision = record.revision;
    }
    active = { start: segment.start, bytes: scan.goodBytes, records: scan.records.length };
  }
  return { revision, objects, active: active ?? { start: revision + 1, bytes: 0, records: 0 }, snapshotRevision: snapshot.revision, snapshotBytes };
}

async function truncate(file: string, length: number): Promise<void> {
  const handle = await open(file, "r+");
  try {
    await handle.truncate(length);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** removeTempFiles deletes what an interrupted atomic write left behind. */
async function removeTempFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) if (name.includes(".tmp-")) await unlink(path.join(dir, name));
}
