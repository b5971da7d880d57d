import { open, type FileHandle } from "node:fs/promises";
import { once } from "node:events";
import type { Request, Response } from "express";
import { TERMINAL_PHASES, NotFoundError } from "../../resources/index.ts";
import type { ResourceStore } from "../../store/index.ts";
import { buildLogPath } from "../../controllers/build/log-file.ts";
import type { AppExtension } from "../app.ts";
import { authorize } from "../auth/authorize.ts";
import { identityOf } from "../auth/middleware.ts";
import { noteRequest } from "../context.ts";
import { flag } from "../query.ts";
import type { Target } from "../status.ts";
import { GROUP_PATH } from "./begin.ts";

/** BUILD_LOG_PATH is the Build log subresource. */
export const BUILD_LOG_PATH = `${GROUP_PATH}/namespaces/:namespace/builds/:name/log`;

/** BuildLogsDependencies are where build logs are read from: the Build in the store, its file under the data directory. */
export interface BuildLogsDependencies {
  store: ResourceStore;
  dataDir: string;
  /** pollMs is how often a followed log looks for more output (default 200 ms). */
  pollMs?: number;
}

const CHUNK = 64 * 1024;

/**
 * buildLogsExtension mounts `GET .../namespaces/NS/builds/NAME/log[?follow=1]`: the Build's log as plain text,
 * read from its file in pieces (never whole in memory). With `follow` the answer stays open and carries new
 * output as it is written, until the Build ends or the client goes away. Readers need the viewer role.
 */
export function buildLogsExtension(deps: BuildLogsDependencies): AppExtension {
  return (app, { authenticate }) => {
    app.get(BUILD_LOG_PATH, authenticate, (req: Request, res: Response) => serveBuildLog(deps, req, res));
  };
}

async function serveBuildLog(deps: BuildLogsDependencies, req: Request, res: Response): Promise<void> {
  const { namespace = "", name = "" } = req.params as Record<string, string | undefined>;
  noteRequest(res, "get", "builds/log");
  res.locals.target = { plural: "builds", kind: "Build", name } satisfies Target;
  authorize(identityOf(res), "get", "builds/log", namespace);
  const follow = flag(req, "follow");
  await deps.store.get({ kind: "Build", namespace, name });
  const closed = new AbortController();
  res.once("close", () => closed.abort());
  res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache, private", "X-Content-Type-Options": "nosniff" });
  res.flushHeaders();
  if (follow) {
    req.socket.setTimeout(0);
    req.socket.setNoDelay(true);
  }
  const path = buildLogPath(deps.dataDir, namespace, name);
  let file: FileHandle | undefined;
  let offset = 0;
  const buffer = Buffer.alloc(CHUNK);
  try {
    for (;;) {
      if (closed.signal.aborted) return;
      file ??= await open(path, "r").catch(() => undefined);
      // Whether the Build has ended is read before the file, so output written just before it ended is not missed.
      const ended = follow ? await buildEnded(deps.store, namespace, name) : true;
      let read = 0;
      if (file) {
        do {
          ({ bytesRead: read } = await file.read(buffer, 0, CHUNK, offset));
          offset += read;
          if (read > 0 && !res.write(Buffer.from(buffer.subarray(0, read)))) await Promise.race([once(res, "drain"), once(closed.signal, "abort")]);
        } while (read === CHUNK && !closed.signal.aborted);
      }
      if (ended) return;
      await new Promise((resolve) => setTimeout(resolve, deps.pollMs ?? 200));
    }
  } finally {
    await file?.close();
    res.end();
  }
}

async function buildEnded(store: ResourceStore, namespace: string, name: string): Promise<boolean> {
  try {
    const build = await store.get({ kind: "Build", namespace, name });
    return TERMINAL_PHASES.has(String(build.status?.phase));
  } catch (err) {
    if (err instanceof NotFoundError) return true;
    throw err;
  }
}
