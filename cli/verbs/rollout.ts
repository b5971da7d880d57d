import { historyOf, type HistoryEntry } from "../../resources/app-history.ts";
import { chooseRollback, describeChange, rollbackSpecPatch, RollbackError } from "../../resources/app-rollback.ts";
import { ageOf } from "../../lib/human-duration.ts";
import { parseDuration } from "../duration.ts";
import { ServerError, UsageError } from "../errors.ts";
import type { ApiClient } from "../http-client.ts";
import { qualifiedName, resolveKind, resourcePath } from "../kind-names.ts";
import { TablePrinter } from "../output/table.ts";
import type { CliSession } from "../session.ts";
import { waitFor, type Observed } from "../wait-for.ts";
import { appTarget } from "./app-target.ts";
import { rolloutProgress, RolloutFailedError } from "./rollout-progress.ts";

const APP = resolveKind("app");

/** AppObject is the part of an App the rollout verbs read. */
interface AppObject {
  metadata: { name: string; resourceVersion?: string; generation?: number };
  spec: Record<string, unknown>;
  status?: { revision?: number; [field: string]: unknown };
}

/** rolloutTarget reads `app/NAME`, `app NAME` or a bare NAME. */
export function rolloutTarget(args: readonly string[]): string {
  return appTarget(args, "rollouts", "berth rollout VERB app/NAME");
}

async function context(session: CliSession, args: string[], options: Record<string, unknown>) {
  const name = rolloutTarget(args);
  const namespace = await session.namespace(options.namespace as string | undefined);
  const client = await session.client();
  return { name, namespace, client, path: resourcePath(APP, namespace, name) };
}

/**
 * runRolloutStatus is `berth rollout status app/NAME [--timeout 10m]`: it follows the App (list, then watch)
 * and prints each new progress line until the rollout is done (exit 0) or failed (exit 1, with the reason).
 */
export async function runRolloutStatus(session: CliSession, args: string[], options: Record<string, unknown>): Promise<number> {
  const { name, namespace, client } = await context(session, args, options);
  const deadline = Date.now() + parseDuration(String(options.timeout ?? "10m"));
  let last = "";
  let seen = false;
  await waitFor(client, { kind: APP, namespace, name }, (object: Observed | undefined) => {
    if (!object) {
      if (seen) throw new RolloutFailedError("Deleted", `app "${name}" was deleted`);
      throw new ServerError(404, { reason: "NotFound", message: `apps.berth.dev "${name}" not found` });
    }
    seen = true;
    const progress = rolloutProgress(object);
    if (progress.state === "failed") throw new RolloutFailedError(progress.reason, progress.message);
    if (progress.message !== last) session.io.out(`${progress.message}\n`);
    last = progress.message;
    return progress.state === "done";
  }, deadline);
  return 0;
}

/**
 * runRolloutHistory is `berth rollout history app/NAME`: REVISION, IMAGE, CHANGE, CREATED from
 * `status.history`, oldest first; with `--revision N`, that revision's template as YAML.
 */
export async function runRolloutHistory(session: CliSession, args: string[], options: Record<string, unknown>): Promise<number> {
  const { name, client, path } = await context(session, args, options);
  const app = await client.request<AppObject>({ path });
  const history = historyOf(app.status).sort((a, b) => a.revision - b.revision);
  const current = app.status?.revision;
  if (options.revision !== undefined) {
    const wanted = positiveInt(String(options.revision), "--revision");
    const entry = history.find((h) => h.revision === wanted);
    if (!entry) throw new RollbackError(`revision ${wanted} not found in the history of app "${name}" (revisions kept: ${history.map((h) => h.revision).join(", ") || "none"})`);
    const { stringify } = await import("yaml");
    session.io.out(`${qualifiedName(APP, name)} with revision #${wanted}${wanted === current ? " (current)" : ""}\n${stringify(describeEntry(entry))}`);
    return 0;
  }
  session.io.out(`${qualifiedName(APP, name)}${current !== undefined ? ` (current revision ${current})` : ""}\n`);
  if (history.length === 0) {
    session.io.out("No rollout history found.\n");
    return 0;
  }
  const now = Date.now();
  if (history.some((h) => h.build)) {
    // Built Apps: which Build and commit each revision runs.
    const rows = history.map((h, i) => [String(h.revision), h.build?.name ?? "<none>", h.build?.commit.slice(0, 12) ?? "<none>", describeChange(history[i - 1], h), ageOf(h.createdAt, now)]);
    session.io.out(new TablePrinter().format([["REVISION", "BUILD", "COMMIT", "CHANGE", "CREATED"], ...rows]));
    return 0;
  }
  const rows = history.map((h, i) => [String(h.revision), h.image, describeChange(history[i - 1], h), ageOf(h.createdAt, now)]);
  session.io.out(new TablePrinter().format([["REVISION", "IMAGE", "CHANGE", "CREATED"], ...rows]));
  return 0;
}

function describeEntry(entry: HistoryEntry): Record<string, unknown> {
  return { revision: entry.revision, image: entry.image, ...(entry.build ? { build: entry.build } : {}), specHash: entry.specHash, createdAt: entry.createdAt, deployedAt: entry.deployedAt, ...(entry.completedAt ? { completedAt: entry.completedAt } : {}), template: entry.template };
}

/** UNDO_ATTEMPTS bounds retries when the App changed between reading it and patching it. */
const UNDO_ATTEMPTS = 3;

/**
 * runRolloutUndo is `berth rollout undo app/NAME [--to-revision N]`: one merge patch of the spec to the
 * chosen revision's template, conditional on the resourceVersion read (a concurrent change is re-read and
 * retried). The controller then rolls it out like any change; `rollout status` follows it.
 */
export async function runRolloutUndo(session: CliSession, args: string[], options: Record<string, unknown>): Promise<number> {
  const { name, client, path } = await context(session, args, options);
  const toRevision = options.toRevision === undefined ? undefined : positiveInt(String(options.toRevision), "--to-revision");
  for (let attempt = 1; ; attempt++) {
    const app = await client.request<AppObject>({ path });
    const outcome = await undoOnce(client, path, app, toRevision);
    if (outcome === "conflict" && attempt < UNDO_ATTEMPTS) continue;
    if (outcome === "conflict") throw new RollbackError(`app "${name}" kept changing while rolling back; try again`);
    session.io.out(`${qualifiedName(APP, name)} ${outcome}\n`);
    return 0;
  }
}

async function undoOnce(client: ApiClient, path: string, app: AppObject, toRevision: number | undefined): Promise<string> {
  const what = `app "${app.metadata.name}"`;
  if (app.spec.paused) throw new RollbackError(`${what} is paused: resume it (spec.paused: false) before rolling back`);
  const target = chooseRollback(historyOf(app.status), app.status?.revision, toRevision, what);
  if (app.spec.build) return pinBuild(client, path, app, target, what);
  const patch = rollbackSpecPatch(app.spec, target.template);
  if (Object.keys(patch).length === 0) return `skipped rollback (current template already matches revision ${target.revision})`;
  try {
    await client.request({
      method: "PATCH",
      path,
      contentType: "application/merge-patch+json",
      body: { metadata: { resourceVersion: app.metadata.resourceVersion }, spec: patch },
    });
  } catch (error) {
    if (error instanceof ServerError && error.code === 409) return "conflict";
    throw error;
  }
  return `rolled back to revision ${target.revision}`;
}

/**
 * pinBuild rolls an App built from git back: the revision's Build is pinned on the App (annotation
 * `build.berth.dev/pinned-build`) and its image, still kept, is rolled out again without a rebuild. The next
 * new commit that is built removes the pin.
 */
async function pinBuild(client: ApiClient, path: string, app: AppObject & { metadata: { annotations?: Record<string, string> } }, target: HistoryEntry, what: string): Promise<string> {
  if (!target.build) throw new RollbackError(`revision ${target.revision} of ${what} was not recorded with its Build and cannot be restored`);
  if (app.metadata.annotations?.[PINNED_BUILD] === target.build.name && app.status?.revision === target.revision) return `skipped rollback (revision ${target.revision} is already running)`;
  try {
    await client.request({
      method: "PATCH", path, contentType: "application/merge-patch+json",
      body: { metadata: { resourceVersion: app.metadata.resourceVersion, annotations: { [PINNED_BUILD]: target.build.name } } },
    });
  } catch (error) {
    if (error instanceof ServerError && error.code === 409) return "conflict";
    throw error;
  }
  return `rolled back to revision ${target.revision} (Build ${target.build.name}, commit ${target.build.commit.slice(0, 12)})`;
}

/** PINNED_BUILD is the annotation that pins a Build on an App (see controllers/build/names.ts). */
const PINNED_BUILD = "build.berth.dev/pinned-build";

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`invalid ${flag} value "${text}": use a revision number (1, 2, ...)`);
  return n;
}
