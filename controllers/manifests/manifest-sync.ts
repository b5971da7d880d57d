import { readFile, stat } from "node:fs/promises";
import { basename, relative, resolve, sep } from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { parseAllDocuments } from "yaml";
import { API_VERSION, DEFAULT_NAMESPACE, NotFoundError, kinds, type Resource } from "../../resources/index.ts";
import { ManifestError, isManifestFile, manifestFiles, parseManifests, sortForApply, type Manifest } from "../../resources/manifests.ts";
import { keyOf, keyString, type ResourceStore } from "../../store/index.ts";
import type { EventRecorder } from "../events/types.ts";
import type { Logger } from "../../lib/logger.ts";
import { applyObject, sourceOf } from "./apply-object.ts";

/** ManifestSyncOptions are the dependencies of the manifests-directory sync (`berthd --manifests DIR`). */
export interface ManifestSyncOptions {
  dir: string;
  store: ResourceStore;
  recorder: EventRecorder;
  logger: Logger;
  /** debounceMs is how long the directory must be quiet before changed files are applied (default 300). */
  debounceMs?: number;
}

/** ManifestSync is a running sync; the initial full sync is done when startManifestSync resolves. */
export interface ManifestSync {
  /** syncAll applies every file again and prunes objects whose file is gone (as at start-up). */
  syncAll(): Promise<void>;
  close(): Promise<void>;
}

/** COMPONENT names the sync in logs and as an event source. */
const COMPONENT = "manifest-sync";

/**
 * startManifestSync keeps the store in sync with a directory of manifests: every object of every `.yaml`,
 * `.yml` and `.json` file (recursively, hidden files skipped) is applied straight to the store through
 * admit(), tagged with the annotation `berth.dev/manifest-source: <relative path>`; when a file is deleted, or
 * an object removed from it, exactly the objects tagged with that file are deleted. A bad file is reported (a
 * Warning event and a log line) and leaves its objects as they were; other files still apply. Changes are
 * debounced and applied one batch at a time.
 */
export async function startManifestSync(options: ManifestSyncOptions): Promise<ManifestSync> {
  const dir = resolve(options.dir);
  const log = options.logger.child({ controller: COMPONENT, dir });
  const debounceMs = options.debounceMs ?? 300;
  /** declared holds, per file, the objects (by key) its last good parse declared. */
  const declared = new Map<string, Map<string, Resource>>();
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  const rel = (path: string) => relative(dir, path).split(sep).join("/");
  const enqueue = (work: () => Promise<void>) => {
    chain = chain.then(work).catch((error: unknown) => log.error({ err: error }, "manifest sync failed"));
    return chain;
  };

  /** parseFile reads one file into manifests, or reports why it cannot and returns undefined. */
  async function parseFile(source: string): Promise<Manifest[] | undefined> {
    let text: string;
    try {
      text = await readFile(resolve(dir, source), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    try {
      const manifests = parseManifests(text, source);
      declared.set(source, new Map(manifests.map((m) => [keyString(keyOf(m.object)), m.object])));
      return manifests;
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      log.warn({ file: source, err: error.message }, "manifest file is invalid; its objects are left as they are");
      options.recorder.record(involvedObjectOf(text, source), "Warning", "InvalidManifest", error.message);
      return undefined;
    }
  }

  /**
   * applyFile writes objects of a file and then (unless told otherwise) deletes the objects tagged with the
   * file that it no longer declares.
   */
  async function applyFile(source: string, objects: readonly Resource[], pruneAfter = true): Promise<void> {
    const keep = new Set<string>();
    for (const object of sortForApply(objects.map((o) => ({ object: o })))) {
      const key = keyString(keyOf(object.object));
      keep.add(key);
      try {
        const result = await applyObject(options.store, object.object, source, (owner) => declared.get(owner)?.has(key) ?? false);
        if (result !== "unchanged") {
          log.info({ file: source, object: key, result }, `manifest object ${result}`);
          options.recorder.record(object.object, "Normal", result === "created" ? "ManifestCreated" : "ManifestUpdated", `${result} from ${source}`);
        }
      } catch (error) {
        log.warn({ file: source, object: key, err: (error as Error).message }, "manifest object not applied");
        options.recorder.record(object.object, "Warning", "ManifestApplyFailed", `${source}: ${(error as Error).message}`);
      }
    }
    if (pruneAfter) await prune((owner) => owner === source, keep);
  }

  /**
   * prune deletes every object whose source matches and whose key is not kept; never an object without a
   * source. An object that another file now declares is handed over to that file instead of being deleted.
   */
  async function prune(matches: (source: string) => boolean, keep: ReadonlySet<string> = new Set()): Promise<void> {
    for (const kind of kinds) {
      const { items } = await options.store.list(kind.kind);
      for (const obj of items) {
        const source = sourceOf(obj);
        const key = keyString(keyOf(obj));
        if (source === undefined || !matches(source) || keep.has(key)) continue;
        const heir = [...declared.keys()].sort().find((file) => file !== source && declared.get(file)!.has(key));
        if (heir) {
          await applyFile(heir, [declared.get(heir)!.get(key)!], false);
          continue;
        }
        try {
          await options.store.delete(keyOf(obj));
          log.info({ file: source, object: keyString(keyOf(obj)) }, "manifest object pruned");
          options.recorder.record(obj, "Normal", "ManifestPruned", `deleted: no longer in ${source}`);
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
        }
      }
    }
  }

  /** syncPaths applies a batch: parse every changed file first, so objects moving between files change hands cleanly. */
  async function syncPaths(paths: readonly string[]): Promise<void> {
    const parsed: [string, Manifest[]][] = [];
    const gone: string[] = [];
    for (const source of [...new Set(paths)].sort()) {
      const info = await stat(resolve(dir, source)).catch(() => undefined);
      if (!info) {
        declared.delete(source);
        for (const file of [...declared.keys()]) if (file.startsWith(`${source}/`)) declared.delete(file);
        gone.push(source);
        continue;
      }
      if (!info.isFile() || !isManifestFile(basename(source))) continue;
      const manifests = await parseFile(source);
      if (manifests) parsed.push([source, manifests]);
    }
    for (const [source, manifests] of parsed) await applyFile(source, manifests.map((m) => m.object));
    if (gone.length > 0) await prune((source) => gone.some((g) => source === g || source.startsWith(`${g}/`)));
  }

  async function syncAll(): Promise<void> {
    const files = (await manifestFiles(dir)).map(rel);
    const present = new Set(files);
    for (const file of [...declared.keys()]) if (!present.has(file)) declared.delete(file);
    await syncPaths(files);
    await prune((source) => !present.has(source));
  }

  const watcher: FSWatcher = watch(dir, {
    ignoreInitial: true,
    ignored: (path, stats) => {
      if (path === dir) return false;
      if (basename(path).startsWith(".")) return true;
      return stats?.isFile() === true && !isManifestFile(basename(path));
    },
  });
  const onChange = (path: string) => {
    if (closed) return;
    pending.add(rel(path));
    clearTimeout(timer);
    timer = setTimeout(() => {
      const batch = [...pending];
      pending.clear();
      void enqueue(() => syncPaths(batch));
    }, debounceMs);
  };
  watcher.on("add", onChange).on("change", onChange).on("unlink", onChange).on("unlinkDir", onChange);
  watcher.on("error", (error) => log.error({ err: error }, "watching the manifests directory failed"));
  await new Promise<void>((ready) => watcher.once("ready", () => ready()));
  // The watcher is ready before the full sync starts, so a file changed during the sync is applied again after it.
  await enqueue(syncAll);
  log.info({ files: declared.size }, "manifests directory synced");

  return {
    syncAll: () => enqueue(syncAll),
    async close() {
      closed = true;
      clearTimeout(timer);
      await watcher.close();
      await chain;
    },
  };
}

/**
 * involvedObjectOf picks what a bad file's Warning event is about: the first object of the file if it can be
 * made out despite the error, else a stand-in `ManifestFile` named after the file.
 */
function involvedObjectOf(text: string, source: string): Resource {
  try {
    for (const doc of parseAllDocuments(text) as ReturnType<typeof parseAllDocuments> & unknown[]) {
      const value = doc.toJS() as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
      if (value && typeof value.kind === "string" && typeof value.metadata?.name === "string")
        return { apiVersion: API_VERSION, kind: value.kind, metadata: { name: value.metadata.name, namespace: typeof value.metadata.namespace === "string" ? value.metadata.namespace : DEFAULT_NAMESPACE } };
    }
  } catch {
    // The file cannot be made out at all: fall back to the stand-in below.
  }
  return { apiVersion: API_VERSION, kind: "ManifestFile", metadata: { name: source, namespace: DEFAULT_NAMESPACE } };
}
