import { Low } from "lowdb";
import { JSONFile } from "lowdb/node";
import type { Resource } from "../resources/index.ts";
import { JournalCorruptError } from "./durable-errors.ts";
import { writeFileDurably } from "./durable-fs.ts";

/** SnapshotData is the lowdb document of a snapshot: every object (Secrets sealed) as of `revision`. */
export interface SnapshotData {
  version: 1;
  revision: number;
  objects: Resource[];
}

/** SNAPSHOT_FILE is the snapshot's name inside the store directory. */
export const SNAPSHOT_FILE = "snapshot.json";

/** CHUNK_BYTES bounds how much JSON is handed to one write, so writers get the event loop between chunks. */
const CHUNK_BYTES = 1 << 20;

/** readSnapshot reads a snapshot with lowdb; a missing file is an empty store at revision 0. */
export async function readSnapshot(file: string): Promise<SnapshotData> {
  const db = new Low<SnapshotData>(new JSONFile<SnapshotData>(file), { version: 1, revision: 0, objects: [] });
  try {
    await db.read();
  } catch (error) {
    throw new JournalCorruptError(file, -1, "snapshot is not valid JSON; refusing to start", { cause: error });
  }
  const data = db.data;
  if (typeof data?.revision !== "number" || !Array.isArray(data.objects)) throw new JournalCorruptError(file, -1, "snapshot has no revision or objects; refusing to start");
  return data;
}

/**
 * writeSnapshot writes a snapshot in lowdb's JSON format from objects (immutable ones, or their JSON text).
 * lowdb's own write renames a temp file without fsync, which a power loss can undo or empty; this one syncs the
 * file and its directory, and stringifies and writes in chunks so a large snapshot never holds the event loop
 * for long. It returns the snapshot's size in bytes.
 */
export async function writeSnapshot(file: string, revision: number, objects: ReadonlyArray<string | Resource>): Promise<number> {
  let bytes = 0;
  await writeFileDurably(file, counted(chunks(revision, objects), (n) => (bytes += n)));
  return bytes;
}

function* counted(source: Iterable<string>, count: (bytes: number) => void): Generator<Buffer> {
  for (const chunk of source) {
    const bytes = Buffer.from(chunk, "utf8");
    count(bytes.length);
    yield bytes;
  }
}

function* chunks(revision: number, objects: ReadonlyArray<string | Resource>): Generator<string> {
  yield `{"version":1,"revision":${revision},"objects":[`;
  let chunk: string[] = [];
  let size = 0;
  for (let i = 0; i < objects.length; i++) {
    const object = objects[i]!;
    const json = typeof object === "string" ? object : JSON.stringify(object);
    chunk.push(i === 0 ? json : `,${json}`);
    size += json.length;
    if (size >= CHUNK_BYTES) {
      yield chunk.join("");
      chunk = [];
      size = 0;
    }
  }
  yield `${chunk.join("")}]}\n`;
}
