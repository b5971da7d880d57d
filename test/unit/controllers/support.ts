import { Writable } from "node:stream";
import type { OwnerReference, Resource } from "../../../resources/index.ts";
import { createLogger, type Logger } from "../../../lib/logger.ts";

/** eventually polls `check` until it stops throwing (or returns true), failing after `timeoutMs`. */
export async function eventually(check: () => unknown | Promise<unknown>, timeoutMs = 5_000, intervalMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const ok = await check();
      if (ok !== false) return;
      last = new Error("condition returned false");
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`not true after ${timeoutMs}ms`, { cause: last });
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** settle lets every pending promise callback and immediate run (a few event-loop turns), without advancing fake time. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** secret builds a minimal Secret for the store (the store does not run admission). */
export function secret(name: string, metadata: Partial<Resource["metadata"]> = {}, namespace = "default"): Resource {
  return { apiVersion: "berth.dev/v1", kind: "Secret", metadata: { name, namespace, ...metadata }, type: "Opaque", data: {} };
}

/** app builds a minimal App for the store. */
export function app(name: string, metadata: Partial<Resource["metadata"]> = {}, namespace = "default"): Resource {
  return { apiVersion: "berth.dev/v1", kind: "App", metadata: { name, namespace, ...metadata }, spec: { image: "nginx:1.27" } };
}

/** ownedBy is an ownerReference to `owner`. */
export function ownedBy(owner: Resource, extra: Partial<OwnerReference> = {}): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid!, ...extra };
}

/** captureLogger is a real pino logger whose JSON lines land in `lines` (parsed), synchronously. */
export function captureLogger(level = "debug"): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: createLogger({ level, destination }), lines };
}

/** LIMIT bounds every test in this folder: a hung wait fails the test instead of hanging the run. */
export const LIMIT = { timeout: 20_000 } as const;
