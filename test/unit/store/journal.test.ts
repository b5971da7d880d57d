import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import { test } from "node:test";
import { JournalFailedError } from "../../../store/index.ts";
import { listSegments, segmentFile } from "../../../store/journal-segments.ts";
import { encodeBatch, encodeDelete, encodePut, scanSegment } from "../../../store/journal-format.ts";
import { Journal } from "../../../store/journal.ts";
import { tempDir } from "./temp-dir.ts";

test("concurrent appends are group-committed: one fsync per batch, each resolved once on disk", async (t) => {
  const dir = await tempDir(t);
  const journal = new Journal(dir, { start: 1, bytes: 0, records: 0 });
  const first = journal.append(encodeDelete(1, "App/default/a"));
  const rest = Array.from({ length: 99 }, (_, i) => journal.append(encodeDelete(i + 2, `App/default/a${i}`)));
  await first;
  const onDisk = scanSegment("s", await readFile(segmentFile(dir, 1))).records.length;
  assert.ok(onDisk >= 1, "the first append is on disk when it resolves");
  await Promise.all(rest);
  assert.equal(scanSegment("s", await readFile(segmentFile(dir, 1))).records.length, 100);
  assert.ok(journal.syncCount <= 2, `100 concurrent appends took ${journal.syncCount} fsyncs`);
  assert.equal(journal.stats().records, 100);
  await journal.close();
  const closed = await readFile(segmentFile(dir, 1));
  assert.notEqual(closed[closed.length - 1], 0, "close trims the preallocated zeros");
  assert.equal(scanSegment("s", closed).goodBytes, closed.length);
});

test("appends made while a batch is syncing go into the next batch", async (t) => {
  const dir = await tempDir(t);
  const journal = new Journal(dir, { start: 1, bytes: 0, records: 0 });
  let revision = 0;
  const writer = async () => {
    for (let i = 0; i < 50; i++) await journal.append(encodeDelete(++revision, "App/default/x"));
  };
  await Promise.all(Array.from({ length: 16 }, writer));
  assert.equal(scanSegment("s", await readFile(segmentFile(dir, 1))).records.length, 800);
  assert.ok(journal.syncCount < 800 / 4, `16 writers x 50 appends took ${journal.syncCount} fsyncs`);
  await journal.close();
});

test("rotate sends later appends to a new segment without losing earlier ones", async (t) => {
  const dir = await tempDir(t);
  const journal = new Journal(dir, { start: 1, bytes: 0, records: 0 });
  const before = [1, 2, 3].map((r) => journal.append(encodeDelete(r, "App/default/x")));
  journal.rotate(4);
  const after = [4, 5].map((r) => journal.append(encodeDelete(r, "App/default/x")));
  await Promise.all([...before, ...after]);
  await journal.close();
  const segments = await listSegments(dir);
  assert.deepEqual(segments.map((s) => s.start), [1, 4]);
  const revisions = await Promise.all(segments.map(async (s) => scanSegment(s.file, await readFile(s.file)).records.map((r) => r.record.revision)));
  assert.deepEqual(revisions, [[1, 2, 3], [4, 5]]);
});

test("a failed write rejects it and every later append", async (t) => {
  const dir = await tempDir(t);
  const journal = new Journal(`${dir}/missing`, { start: 1, bytes: 0, records: 0 });
  await assert.rejects(journal.append(encodeDelete(1, "App/default/x")), JournalFailedError);
  await assert.rejects(journal.append(encodeDelete(2, "App/default/x")), JournalFailedError);
  await journal.close();
  await rm(dir, { recursive: true, force: true });
});

test("encodeBatch checksums every record and closes the batch; scanSegment reads it back", () => {
  const lines = [encodeDelete(1, "App/default/a"), encodePut(2, "App/default/ünïcödé", JSON.stringify({ kind: "App", note: "ü→✓" }))];
  const bytes = encodeBatch(lines);
  const text = bytes.toString("utf8");
  assert.match(text, /^[0-9a-f]{8} \{"revision":1,.*\n[0-9a-f]{8} \{"revision":2,.*\n#[0-9a-f]{8} \d+\n$/s);
  assert.ok(!text.includes("00000000 "), "every checksum is filled in");
  const scan = scanSegment("s", Buffer.concat([bytes, encodeBatch([encodeDelete(3, "App/default/b")])]));
  assert.deepEqual(scan.records.map((r) => [r.record.revision, r.record.key]), [[1, "App/default/a"], [2, "App/default/ünïcödé"], [3, "App/default/b"]]);
  assert.equal(scan.tornBytes, 0);
});
