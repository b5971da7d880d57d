import { randomBytes } from "node:crypto";
import express, { type Request, type Response } from "express";
import { BadRequestError } from "../../resources/index.ts";
import type { ResourceStore } from "../../store/index.ts";
import { RESTORE_REQUESTED, RUN_REQUESTED } from "../../resources/backup-annotations.ts";
import { retryOnConflict } from "../../controllers/runtime/retry-on-conflict.ts";
import type { AppExtension } from "../app.ts";
import { authorize } from "../auth/authorize.ts";
import { identityOf } from "../auth/middleware.ts";
import { noteRequest } from "../context.ts";
import type { Target } from "../status.ts";
import { GROUP_PATH } from "./begin.ts";

/** RUN_PATH and RESTORE_PATH are a Backup's action subresources. */
export const RUN_PATH = `${GROUP_PATH}/namespaces/:namespace/backups/:name/run`;
export const RESTORE_PATH = `${GROUP_PATH}/namespaces/:namespace/backups/:name/restore`;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SNAPSHOT = /^\d{8}-\d{6}-\d{3}$/;

/**
 * backupActionsExtension mounts `POST .../backups/NAME/run` (no body) and `POST .../backups/NAME/restore`
 * (`{"database": NAME, "snapshot": ID}`, snapshot optional: the newest). Each records the request as an
 * annotation on the Backup (what `berth backup run` and `berth restore` patch directly) and answers 202 with
 * its id; the Backup's `status.handledRunRequest`/`lastRun` and `status.lastRestore` report progress and result.
 * Callers need the edit role in the namespace.
 */
export function backupActionsExtension(deps: { store: ResourceStore }): AppExtension {
  return (app, { authenticate }) => {
    const json = express.json({ limit: "16kb", type: () => true });
    app.post(RUN_PATH, authenticate, (req: Request, res: Response) => request(deps.store, req, res, "run"));
    app.post(RESTORE_PATH, authenticate, json, (req: Request, res: Response) => request(deps.store, req, res, "restore"));
  };
}

async function request(store: ResourceStore, req: Request, res: Response, action: "run" | "restore"): Promise<void> {
  const { namespace = "", name = "" } = req.params as Record<string, string | undefined>;
  noteRequest(res, "create", `backups/${action}`);
  res.locals.target = { plural: "backups", kind: "Backup", name } satisfies Target;
  authorize(identityOf(res), "update", `backups/${action}`, namespace);
  const id = `${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
  let value = id;
  if (action === "restore") {
    const body = (req.body ?? {}) as { database?: unknown; snapshot?: unknown };
    if (typeof body.database !== "string" || !DNS_LABEL.test(body.database)) throw new BadRequestError("database: the name of a Database in the Backup's namespace is required");
    if (body.snapshot !== undefined && (typeof body.snapshot !== "string" || !SNAPSHOT.test(body.snapshot))) throw new BadRequestError("snapshot: a snapshot id such as 20261207-030000-123");
    value = JSON.stringify({ id, database: body.database, ...(body.snapshot ? { snapshot: body.snapshot } : {}) });
  }
  const key = action === "run" ? RUN_REQUESTED : RESTORE_REQUESTED;
  await retryOnConflict(async () => {
    const backup = await store.get({ kind: "Backup", namespace, name });
    await store.update({ ...backup, metadata: { ...backup.metadata, annotations: { ...backup.metadata.annotations, [key]: value } } });
  });
  res.status(202).json({ apiVersion: "berth.dev/v1", kind: action === "run" ? "BackupRunRequest" : "BackupRestoreRequest", id, backup: name, namespace });
}
