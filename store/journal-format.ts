import { crc32 } from "node:zlib";
import type { Resource } from "../resources/index.ts";
import { JournalCorruptError } from "./durable-errors.ts";

/**
 * The journal is JSON lines. Each record line starts with the CRC-32 of its JSON text (8 hex digits) and a
 * space; each batch (the records made durable by one synced write) ends with a commit line, `#` + the CRC-32 of
 * the batch's bytes + a space + their count:
 *
 *     1c291ca3 {"revision":7,"op":"put","key":"App/default/web","object":{...}}
 *     9e03b2d1 {"revision":8,"op":"delete","key":"App/default/old"}
 *     #5d1f00a2 154
 *
 * Segments are zero-filled ahead of the writer (overwriting allocated blocks syncs faster than appending), so a
 * crash in the middle of a batch can leave any mix of its pages on disk. A record therefore counts only once its
 * batch's commit line checks out, and the bytes after the last committed batch are either zeros (the unused,
 * preallocated end) or a torn batch that was never acknowledged.
 */

/** StoredRecord is a journal record as it is on disk (a Secret's object is sealed). */
export interface StoredRecord {
  revision: number;
  op: "put" | "delete";
  key: string;
  object?: Resource;
}

const NEWLINE = 0x0a;
const HASH = 0x23;
const HEADER = 9;

/** UNSUMMED is the header of a record line whose checksum encodeBatch has yet to fill in. */
const UNSUMMED = "00000000 ";

/** encodePut renders a put record whose object is already JSON text (so each object is stringified once). */
export function encodePut(revision: number, key: string, objectJson: string): string {
  return `${UNSUMMED}{"revision":${revision},"op":"put","key":${JSON.stringify(key)},"object":${objectJson}}\n`;
}

/** encodeDelete renders a delete record. */
export function encodeDelete(revision: number, key: string): string {
  return `${UNSUMMED}{"revision":${revision},"op":"delete","key":${JSON.stringify(key)}}\n`;
}

/**
 * encodeBatch turns record lines (from encodePut/encodeDelete) into the bytes of one batch: each line's checksum
 * filled in from its encoded bytes, then the commit line. It encodes the text once, into one buffer.
 */
export function encodeBatch(lines: readonly string[]): Buffer {
  const text = lines.length === 1 ? lines[0]! : lines.join("");
  const size = Buffer.byteLength(text, "utf8");
  const out = Buffer.allocUnsafe(size + 32);
  out.write(text, 0, size, "utf8");
  for (let pos = 0; pos < size; ) {
    const end = out.indexOf(NEWLINE, pos);
    out.write(hex(crc32(out.subarray(pos + HEADER, end))), pos, "latin1");
    pos = end + 1;
  }
  const commit = out.write(`#${hex(crc32(out.subarray(0, size)))} ${size}\n`, size, "latin1");
  return out.subarray(0, size + commit);
}

function hex(crc: number): string {
  return crc.toString(16).padStart(8, "0");
}

/** SegmentScan is what a segment holds: its committed records (with byte offsets), and where they end. */
export interface SegmentScan {
  records: Array<{ record: StoredRecord; offset: number }>;
  /** goodBytes is the length of the prefix made of committed batches. */
  goodBytes: number;
  /** tornBytes counts the bytes after goodBytes up to the last non-zero one: a torn batch (0 when clean). */
  tornBytes: number;
}

/**
 * scanSegment reads the committed records of a segment. An uncommitted tail (a torn batch, then zeros) is
 * reported in `tornBytes`; a bad record or batch followed by a committed batch is corruption in the middle, and
 * throws JournalCorruptError naming the file and the offset of the first bad line.
 */
export function scanSegment(file: string, bytes: Buffer): SegmentScan {
  const records: SegmentScan["records"] = [];
  let pending: SegmentScan["records"] = [];
  let batchStart = 0;
  let pos = 0;
  let bad = -1;
  while (pos < bytes.length && bytes[pos] !== 0) {
    const end = bytes.indexOf(NEWLINE, pos);
    if (end < 0) {
      bad = pos;
      break;
    }
    if (bytes[pos] === HASH) {
      if (!isCommit(bytes, batchStart, pos, end)) {
        bad = pos;
        break;
      }
      records.push(...pending);
      pending = [];
      batchStart = end + 1;
    } else {
      const record = decodeLine(bytes, pos, end);
      if (!record) {
        bad = pos;
        break;
      }
      pending.push({ record, offset: pos });
    }
    pos = end + 1;
  }
  const tornBytes = lastNonZero(bytes, batchStart) - batchStart;
  if (tornBytes > 0 && hasCommitAfter(bytes, batchStart)) {
    throw new JournalCorruptError(file, bad >= 0 ? bad : batchStart, "corrupt record in the middle of the journal (a bad record or batch followed by committed ones); refusing to start");
  }
  return { records, goodBytes: batchStart, tornBytes };
}

/** isCommit checks the commit line at [pos, end) against the batch bytes [start, pos). */
function isCommit(bytes: Buffer, start: number, pos: number, end: number): boolean {
  const match = /^#([0-9a-f]{8}) (\d+)$/.exec(bytes.toString("latin1", pos, end));
  return match !== null && Number(match[2]) === pos - start && pos > start && Number.parseInt(match[1]!, 16) === crc32(bytes.subarray(start, pos));
}

function decodeLine(bytes: Buffer, start: number, end: number): StoredRecord | undefined {
  if (end - start <= HEADER || bytes[start + HEADER - 1] !== 0x20) return undefined;
  const expected = Number.parseInt(bytes.toString("latin1", start, start + HEADER - 1), 16);
  const body = bytes.subarray(start + HEADER, end);
  if (!Number.isInteger(expected) || crc32(body) !== expected) return undefined;
  try {
    const parsed = JSON.parse(body.toString("utf8")) as StoredRecord;
    if (typeof parsed.revision !== "number" || typeof parsed.key !== "string" || (parsed.op !== "put" && parsed.op !== "delete")) return undefined;
    if (parsed.op === "put" && (typeof parsed.object !== "object" || parsed.object === null)) return undefined;
    return parsed;
  } catch {
    return undefined;
  }
}

/** hasCommitAfter looks for any commit line after `from` whose batch checks out. */
function hasCommitAfter(bytes: Buffer, from: number): boolean {
  for (let at = bytes.indexOf("\n#", from); at >= 0; at = bytes.indexOf("\n#", at + 1)) {
    const end = bytes.indexOf(NEWLINE, at + 1);
    if (end < 0) return false;
    const match = /^#[0-9a-f]{8} (\d+)$/.exec(bytes.toString("latin1", at + 1, end));
    const start = match ? at + 1 - Number(match[1]) : -1;
    if (start >= from && isCommit(bytes, start, at + 1, end)) return true;
  }
  return false;
}

const ZEROS = Buffer.alloc(64 * 1024);

/** lastNonZero returns the offset just past the last non-zero byte at or after `from` (`from` if there is none). */
function lastNonZero(bytes: Buffer, from: number): number {
  let end = bytes.length;
  while (end > from) {
    const start = Math.max(from, end - ZEROS.length);
    if (!bytes.subarray(start, end).equals(ZEROS.subarray(0, end - start))) break;
    end = start;
  }
  while (end > from && bytes[end - 1] === 0) end--;
  return end;
}
