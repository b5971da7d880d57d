import assert from "node:assert/strict";
import { appendFile, readFile, readdir, stat, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { silentLogger } from "../../../lib/logger.ts";
import { JournalCorruptError, STORE_DIR, openDurableStore } from "../../../store/index.ts";
import { encodeBatch, encodePut, scanSegment } from "../../../store/journal-format.ts";
import { WARN, captureLogger } from "./capture-logger.ts";
import { app } from "./fixtures.ts";
import { tempDir } from "./temp-dir.ts";

/** Seeded is a data directory holding five Apps (revisions 1..5), each written as its own batch in one segment. */
interface Seeded {
  dataDir: string;
  segment: string;
  /** offsets of the five record lines; batch i ends at offsets[i + 1] (or the end of the file). */
  offsets: number[];
  size: number;
}

async function seeded(t: TestContext): Promise<Seeded> {
  const dataDir = await tempDir(t);
  const store = await openDurableStore({ dataDir, logger: silentLogger() });
  for (let i = 1; i <= 5; i++) await store.create(app(`app-${i}`));
  await store.close();
  const dir = path.join(dataDir, STORE_DIR);
  const names = (await readdir(dir)).filter((n) => n.startsWith("journal-"));
  assert.equal(names.length, 1);
  const segment = path.join(dir, names[0]!);
  const bytes = await readFile(segment);
  const scan = scanSegment(segment, bytes);
  assert.equal(scan.records.length, 5);
  assert.equal(scan.goodBytes, bytes.length);
  return { dataDir, segment, offsets: scan.records.map((r) => r.offset), size: bytes.length };
}

/** reopen opens the store with a capturing logger and returns what it holds. */
async function reopen(dataDir: string) {
  const { logger, lines } = captureLogger();
  const store = await openDurableStore({ dataDir, logger });
  const names = (await store.list("App")).items.map((o) => o.metadata.name);
  const revision = store.revision();
  await store.close();
  return { names, revision, warnings: lines.filter((l) => l.level === WARN) };
}

async function damage(file: string, change: (bytes: Buffer) => Buffer | void): Promise<void> {
  const bytes = await readFile(file);
  await writeFile(file, change(bytes) ?? bytes);
}

const flip = (bytes: Buffer, at: number): void => void bytes.writeUInt8(bytes.readUInt8(at) ^ 0x20, at);

test("a partial last line is truncated, reported with the dropped bytes, and writes go on", async (t) => {
  const { dataDir, segment, size } = await seeded(t);
  const torn = `0badc0de {"revision":6,"op":"put","key":"App/default/app-6","obj`;
  await appendFile(segment, torn);
  const first = await reopen(dataDir);
  assert.deepEqual(first.names, ["app-1", "app-2", "app-3", "app-4", "app-5"]);
  assert.equal(first.revision, 5);
  assert.equal(first.warnings.length, 1);
  assert.equal(first.warnings[0]!.droppedBytes, Buffer.byteLength(torn));
  assert.equal(first.warnings[0]!.file, segment);
  assert.equal((await stat(segment)).size, size, "the torn tail is cut off");
  const store = await openDurableStore({ dataDir, logger: silentLogger() });
  await store.create(app("app-6"));
  await store.close();
  const second = await reopen(dataDir);
  assert.equal(second.revision, 6);
  assert.equal(second.warnings.length, 0, "a clean journal reopens without warnings");
});

test("a torn last batch is dropped: cut short, a bad checksum, a hole of zeros, or a missing commit line", async (t) => {
  const cases: Record<string, (s: Seeded, bytes: Buffer) => Buffer | void> = {
    "cut in half": (s, bytes) => bytes.subarray(0, s.offsets[4]! + 40),
    "bad checksum": (s, bytes) => flip(bytes, s.offsets[4]! + 30),
    "hole of zeros, commit line intact": (s, bytes) => void bytes.fill(0, s.offsets[4]! + 20, s.offsets[4]! + 60),
    "no commit line": (_s, bytes) => bytes.subarray(0, bytes.lastIndexOf("#")),
  };
  for (const [name, change] of Object.entries(cases)) {
    const s = await seeded(t);
    await damage(s.segment, (bytes) => change(s, bytes));
    const { names, revision, warnings } = await reopen(s.dataDir);
    assert.equal(revision, 4, name);
    assert.equal(names.length, 4, name);
    assert.equal(warnings.length, 1, name);
    assert.equal((await stat(s.segment)).size, s.offsets[4], `${name}: truncated to the last committed batch`);
  }
});

test("zeros after the last batch are preallocated space: kept, silently", async (t) => {
  const { dataDir, segment, size } = await seeded(t);
  await appendFile(segment, Buffer.alloc(1 << 20));
  const { revision, warnings } = await reopen(dataDir);
  assert.equal(revision, 5);
  assert.equal(warnings.length, 0);
  const store = await openDurableStore({ dataDir, logger: silentLogger() });
  await store.create(app("app-6"));
  await store.close();
  assert.equal((await reopen(dataDir)).revision, 6, "the next batch overwrites the zeros");
  assert.ok((await stat(segment)).size > size);
});

test("a bad record in the middle of a segment refuses to start, naming the file and offset", async (t) => {
  const { dataDir, segment, offsets, size } = await seeded(t);
  await damage(segment, (bytes) => flip(bytes, offsets[2]! + 50));
  const error = await openDurableStore({ dataDir, logger: silentLogger() }).then(
    () => assert.fail("open must fail"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof JournalCorruptError);
  assert.equal(error.file, segment);
  assert.equal(error.offset, offsets[2]);
  assert.match(error.message, new RegExp(`${path.basename(segment)} at byte ${offsets[2]}`));
  assert.equal((await stat(segment)).size, size, "nothing is truncated");
});

test("a missing batch (a gap in revisions) refuses to start", async (t) => {
  const { dataDir, segment, offsets } = await seeded(t);
  const removed = offsets[3]! - offsets[2]!;
  await damage(segment, (bytes) => Buffer.concat([bytes.subarray(0, offsets[2]), bytes.subarray(offsets[3])]));
  await assert.rejects(openDurableStore({ dataDir, logger: silentLogger() }), (e: unknown) => e instanceof JournalCorruptError && e.offset === offsets[3]! - removed && /missing/.test(e.message));
});

test("a torn tail in a segment that is not the last refuses to start", async (t) => {
  const { dataDir, segment, offsets } = await seeded(t);
  await truncate(segment, offsets[4]! + 10);
  const next = path.join(path.dirname(segment), `journal-${String(5).padStart(20, "0")}.log`);
  const obj = { ...app("app-5"), metadata: { name: "app-5", namespace: "default", resourceVersion: "5" } };
  await writeFile(next, encodeBatch([encodePut(5, "App/default/app-5", JSON.stringify(obj))]));
  await assert.rejects(openDurableStore({ dataDir, logger: silentLogger() }), (e: unknown) => e instanceof JournalCorruptError && e.file === segment);
});

test("an unreadable snapshot refuses to start", async (t) => {
  const { dataDir } = await seeded(t);
  await writeFile(path.join(dataDir, STORE_DIR, "snapshot.json"), '{"version":1,"revision":3,"objects":[');
  await assert.rejects(openDurableStore({ dataDir, logger: silentLogger() }), JournalCorruptError);
});
