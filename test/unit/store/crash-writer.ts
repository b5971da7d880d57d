/**
 * crash-writer is the child process of crash.test.ts: it writes to a durable store as fast as it can with 16
 * concurrent writers and prints `ack <name> <resourceVersion>` for every acknowledged write, until it is killed.
 * Run without arguments (as `node --test` does with every file it finds), it does nothing.
 */
import { silentLogger } from "../../../lib/logger.ts";
import { NotFoundError, type Resource } from "../../../resources/index.ts";
import { openDurableStore } from "../../../store/index.ts";
import { app } from "./fixtures.ts";

const WRITERS = 16;
const KEYS_PER_WRITER = 8;
/** LIFETIME_MS bounds the child even if its parent never kills it. */
const LIFETIME_MS = 20_000;

async function main(dataDir: string, compactRecords: number): Promise<void> {
  setTimeout(() => process.exit(3), LIFETIME_MS);
  const store = await openDurableStore({ dataDir, logger: silentLogger(), compactRecords });
  process.stdout.write("ready\n");
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let n = 0; ; n++) {
        const name = `w${w}-${n % KEYS_PER_WRITER}`;
        let written: Resource;
        try {
          const current = structuredClone(await store.get({ kind: "App", namespace: "default", name }));
          current.metadata.annotations = { seq: String(n) };
          written = await store.update(current);
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
          written = await store.create(app(name));
        }
        process.stdout.write(`ack ${name} ${written.metadata.resourceVersion}\n`);
      }
    }),
  );
}

const [dataDir, compactRecords] = process.argv.slice(2);
if (dataDir) {
  main(dataDir, Number(compactRecords ?? 500)).catch((error: unknown) => {
    process.stderr.write(`crash-writer failed: ${String((error as Error).stack ?? error)}\n`);
    process.exit(1);
  });
}
