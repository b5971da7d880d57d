import { readdir } from "node:fs/promises";
import path from "node:path";

const SEGMENT = /^journal-(\d{20})\.log$/;

/** Segment is one journal file; `start` is the first revision it may hold. */
export interface Segment {
  start: number;
  file: string;
}

/** segmentFile names the segment whose first revision is `start` (zero-padded so names sort by revision). */
export function segmentFile(dir: string, start: number): string {
  return path.join(dir, `journal-${String(start).padStart(20, "0")}.log`);
}

/** listSegments returns the journal segments of a directory, oldest first. */
export async function listSegments(dir: string): Promise<Segment[]> {
  const segments: Segment[] = [];
  for (const name of await readdir(dir)) {
    const match = SEGMENT.exec(name);
    if (match) segments.push({ start: Number(match[1]), file: path.join(dir, name) });
  }
  return segments.sort((a, b) => a.start - b.start);
}
