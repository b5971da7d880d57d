import { readFileSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";

/** DeliveryLogOptions bound the log; both limits keep memory flat whatever deliveries arrive. */
export interface DeliveryLogOptions {
  /** file keeps the log across restarts (absent: memory only). */
  file?: string;
  /** perApp is how many recent delivery ids are kept per App (default 200). */
  perApp?: number;
  /** apps is how many Apps are tracked, the least recently delivered to forgotten first (default 1000). */
  apps?: number;
}

/**
 * DeliveryLog remembers the ids of recent deliveries per App, so a replayed delivery (the same id again) is
 * recognised and ignored. It is bounded twice (ids per App, Apps tracked), least recently used first, and
 * written to a small file after each accepted delivery so a replay right after a restart is still caught.
 */
export class DeliveryLog {
  private readonly recent = new Map<string, Map<string, true>>();
  private readonly file: string | undefined;
  private readonly perApp: number;
  private readonly apps: number;
  private writing: Promise<void> = Promise.resolve();

  constructor(options: DeliveryLogOptions = {}) {
    this.file = options.file;
    this.perApp = options.perApp ?? 200;
    this.apps = options.apps ?? 1000;
    if (this.file) this.load(this.file);
  }

  /** load reads the file written by a previous run; a missing or unreadable file starts empty (it is only a guard). */
  private load(file: string): void {
    let saved: unknown;
    try {
      saved = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      return;
    }
    if (typeof saved !== "object" || saved === null) return;
    for (const [app, ids] of Object.entries(saved as Record<string, unknown>)) {
      if (Array.isArray(ids)) for (const id of ids) if (typeof id === "string") this.add(app, id);
    }
  }

  /**
   * claim records `id` for `app` and says whether it is new: false means a replay. A claimed delivery whose
   * handling fails is released, so the provider's retry is not taken for a replay.
   */
  claim(app: string, id: string): boolean {
    if (this.recent.get(app)?.has(id)) return false;
    this.add(app, id);
    return true;
  }

  /** release forgets a claim whose delivery could not be handled. */
  release(app: string, id: string): void {
    this.recent.get(app)?.delete(id);
  }

  private add(app: string, id: string): void {
    const ids = this.recent.get(app) ?? new Map<string, true>();
    // Re-inserting moves the App (and the id) to the back: Maps iterate in insertion order, oldest first.
    this.recent.delete(app);
    this.recent.set(app, ids);
    ids.set(id, true);
    while (ids.size > this.perApp) ids.delete(ids.keys().next().value!);
    while (this.recent.size > this.apps) this.recent.delete(this.recent.keys().next().value!);
  }

  /** persist writes the log to its file (atomically: a temporary file renamed over it); writes are serialised. */
  persist(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    const snapshot = JSON.stringify(Object.fromEntries([...this.recent].map(([app, ids]) => [app, [...ids.keys()]])));
    // A failed write does not stop later ones; the caller of the failed one hears of it.
    this.writing = this.writing.catch(() => {}).then(async () => {
      await writeFile(`${file}.tmp`, snapshot, { mode: 0o600 });
      await rename(`${file}.tmp`, file);
    });
    return this.writing;
  }
}
