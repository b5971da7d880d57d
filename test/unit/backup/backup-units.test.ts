import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { PassThrough, Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { admit } from "../../../resources/index.ts";
import { expired, nextAfter, snapshotId, timing, type Manifest } from "../../../controllers/backup/index.ts";
import { decryptStream, encryptionKey, encryptStream } from "../../../controllers/backup/encryption.ts";
import { DockerDemux } from "../../../controllers/backup/demux.ts";
import { HashCounter, Tee } from "../../../controllers/backup/tee.ts";
import { createHash } from "node:crypto";

const backup = (spec: Record<string, unknown>) => admit({ apiVersion: "berth.dev/v1", kind: "Backup", metadata: { name: "b", namespace: "default" }, spec });

test("schema: local and S3 together are allowed, neither is refused naming the field; defaults are filled", () => {
  const both = backup({ databaseRef: { name: "db" }, target: { local: { path: "/b" }, s3: { bucket: "bkt", secretRef: { name: "k" } } } });
  const spec = both.spec as Record<string, unknown>;
  assert.equal(spec.verify, "checksum");
  assert.equal(spec.timeoutSeconds, 3600);
  assert.deepEqual(spec.retention, { keepLast: 7 });
  assert.throws(() => backup({ databaseRef: { name: "db" }, target: {} }), /spec\.target.*set local, s3, or both/s);
  assert.throws(() => backup({ databaseRef: { name: "db" }, target: { local: { path: "/b" } }, verify: "maybe" }), /spec\.verify/);
  assert.throws(() => backup({ databaseRef: { name: "db" }, target: { local: { path: "/b" } }, schedule: "every day" }), /spec\.schedule/);
});

test("snapshot ids sort by time", () => {
  const a = snapshotId(new Date("2026-12-07T09:05:01.002Z"));
  const b = snapshotId(new Date("2026-12-07T10:00:00.000Z"));
  assert.equal(a, "20261207-090501-002");
  assert.ok(a < b);
});

test("schedule: next time after a date, a missed run is due, staleness", () => {
  process.env.TZ = "UTC";
  assert.equal(nextAfter("0 3 * * *", new Date("2026-12-07T03:00:00Z"))?.toISOString(), "2026-12-08T03:00:00.000Z");
  assert.equal(nextAfter("*/15 * * * *", new Date("2026-12-07T10:07:30Z"))?.toISOString(), "2026-12-07T10:15:00.000Z");
  assert.equal(nextAfter("*/5 * * * * *", new Date("2026-12-07T10:07:31Z"))?.toISOString(), "2026-12-07T10:07:35.000Z");
  const created = new Date("2026-12-01T00:00:00Z");
  // berthd was down at 03:00 on the 7th: the run is due (missed) at start-up.
  const missed = timing("0 3 * * *", { created, lastRunAt: new Date("2026-12-06T03:00:00Z"), lastSuccessAt: new Date("2026-12-06T03:01:00Z"), timeoutSeconds: 3600, now: new Date("2026-12-07T09:00:00Z") });
  assert.equal(missed.due?.toISOString(), "2026-12-07T03:00:00.000Z");
  assert.equal(missed.stale, true, "a success was owed by 04:00");
  const fine = timing("0 3 * * *", { created, lastRunAt: new Date("2026-12-07T03:00:00Z"), lastSuccessAt: new Date("2026-12-07T03:02:00Z"), timeoutSeconds: 3600, now: new Date("2026-12-07T09:00:00Z") });
  assert.equal(fine.due, undefined);
  assert.equal(fine.stale, false);
  assert.equal(fine.next?.toISOString(), "2026-12-08T03:00:00.000Z");
  assert.deepEqual(timing(undefined, { created, timeoutSeconds: 60, now: new Date() }), { stale: false });
});

test("retention keeps the newest keepLast, and with keepDays everything younger", () => {
  const m = (day: number): Manifest => ({ id: `202612${String(day).padStart(2, "0")}-030000-000`, engine: "postgres", database: "db", file: "f", bytes: 1, sha256: "x", verified: true, encrypted: false, created: `2026-12-${String(day).padStart(2, "0")}T03:00:00Z` });
  const all = [1, 2, 3, 4, 5, 6, 7].map(m);
  const now = new Date("2026-12-07T12:00:00Z");
  assert.deepEqual(expired(all, { keepLast: 3 }, now).map((x) => x.id.slice(6, 8)), ["04", "03", "02", "01"]);
  assert.deepEqual(expired(all, { keepLast: 2, keepDays: 4 }, now).map((x) => x.id.slice(6, 8)), ["03", "02", "01"]);
  assert.deepEqual(expired(all.slice(0, 2), { keepLast: 7 }, now), []);
});

test("encryption: AES-256-GCM round trip in small chunks; a wrong key or a changed byte is refused", async () => {
  const plain = randomBytes(300_000);
  const key = encryptionKey("secret");
  const chunks: Buffer[] = [];
  await pipeline(Readable.from(chunk(plain, 777)), encryptStream(key), new Writable({ write(c, _e, cb) { chunks.push(c); cb(); } }));
  const sealed = Buffer.concat(chunks);
  assert.equal(sealed.length, plain.length + 8 + 12 + 16);
  const open = async (data: Buffer, k: Buffer) => {
    const out: Buffer[] = [];
    await pipeline(Readable.from(chunk(data, 1000)), decryptStream(k), new Writable({ write(c, _e, cb) { out.push(c); cb(); } }));
    return Buffer.concat(out);
  };
  assert.ok((await open(sealed, key)).equals(plain));
  await assert.rejects(open(sealed, encryptionKey("wrong")), /does not authenticate/);
  const tampered = Buffer.from(sealed);
  tampered[5000] = tampered[5000]! ^ 1;
  await assert.rejects(open(tampered, key), /does not authenticate/);
});

test("demux splits Docker's frames (split anywhere) into stdout and stderr", async () => {
  const frame = (type: number, body: string) => Buffer.concat([Buffer.from([type, 0, 0, 0]), Buffer.from(new Uint32Array([0]).buffer), Buffer.from(body)]).fill(0, 4, 8).map((b, i) => (i >= 4 && i < 8 ? Buffer.from([0, 0, 0, body.length])[i - 4]! : b));
  const wire = Buffer.concat([frame(1, "hello "), frame(2, "oops"), frame(1, "world")]);
  let stderr = "";
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunk(wire, 3)), new DockerDemux((c) => (stderr += c.toString())), new Writable({ write(c, _e, cb) { out.push(c); cb(); } }));
  assert.equal(Buffer.concat(out).toString(), "hello world");
  assert.equal(stderr, "oops");
});

test("tee: every output gets every byte, the slowest sets the pace, and the hash is of what passed", async () => {
  const data = randomBytes(2_000_000);
  const fast: Buffer[] = [];
  const slow: Buffer[] = [];
  const slowSink = new Writable({ highWaterMark: 16 * 1024, write(c, _e, cb) { slow.push(c); setImmediate(cb); } });
  const hasher = new HashCounter();
  await pipeline(Readable.from(chunk(data, 65_536)), hasher, new Tee([new Writable({ write(c, _e, cb) { fast.push(c); cb(); } }), slowSink]));
  assert.ok(Buffer.concat(fast).equals(data));
  assert.ok(Buffer.concat(slow).equals(data));
  assert.deepEqual(hasher.digest(), { bytes: data.length, sha256: createHash("sha256").update(data).digest("hex") });
  const failing = new PassThrough();
  const tee = new Tee([failing]);
  setImmediate(() => failing.destroy(new Error("disk full")));
  await assert.rejects(pipeline(Readable.from(chunk(data, 65_536)), tee), /disk full/);
});

function* chunk(data: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}
