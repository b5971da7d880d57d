import {
  API_VERSION, BadRequestError, ConflictError, NotFoundError, admit, parseStatus, type Resource,
} from "../resources/index.ts";
import type { ResourceStore } from "../store/index.ts";
import type { Scope } from "./context.ts";
import { dryRunCreate, dryRunUpdate } from "./dry-run.ts";
import { applyPatch, parseApplyBody, type PatchType } from "./patching.ts";

/** WriteResult is a stored (or, for dry runs, would-be) object and whether the write created it. */
export interface WriteResult {
  object: Resource;
  created: boolean;
}

/** PATCH_ATTEMPTS bounds retries of a patch that lost a race with another writer (patches without a resourceVersion are unconditional). */
const PATCH_ATTEMPTS = 5;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * prepareBody checks that a body is an object of the URL's kind, namespace and name, filling in what it leaves
 * out (apiVersion, kind, namespace, and the name on object URLs). Mismatches are 400, as in Kubernetes.
 */
export function prepareBody(scope: Scope, body: unknown): Record<string, unknown> & { metadata: Record<string, unknown> } {
  if (!isRecord(body)) throw new BadRequestError("the request body must be a JSON object");
  const kind = scope.definition.kind;
  if (body.kind !== undefined && body.kind !== kind) throw new BadRequestError(`the kind in the body (${JSON.stringify(body.kind)}) does not match the kind of the URL ("${kind}")`);
  if (body.apiVersion !== undefined && body.apiVersion !== API_VERSION) throw new BadRequestError(`the API version in the data (${JSON.stringify(body.apiVersion)}) does not match the expected API version (${API_VERSION})`);
  const metadata = isRecord(body.metadata) ? { ...body.metadata } : {};
  if (metadata.namespace !== undefined && metadata.namespace !== "" && metadata.namespace !== scope.namespace)
    throw new BadRequestError("the namespace of the provided object does not match the namespace sent on the request");
  if (scope.name !== undefined) {
    if (metadata.name !== undefined && metadata.name !== "" && metadata.name !== scope.name)
      throw new BadRequestError(`the name of the object (${String(metadata.name)}) does not match the name on the URL (${scope.name})`);
    metadata.name = scope.name;
  }
  metadata.namespace = scope.namespace;
  return { ...body, apiVersion: API_VERSION, kind, metadata };
}

/** createObject admits and stores a new object (POST). */
export async function createObject(store: ResourceStore, scope: Scope, body: unknown, dryRun: boolean): Promise<Resource> {
  const obj = admit(prepareBody(scope, body));
  return dryRun ? dryRunCreate(store, obj) : store.create(obj);
}

/** replaceObject admits and stores a whole object (PUT); its status is ignored, its resourceVersion is a precondition. */
export async function replaceObject(store: ResourceStore, scope: Scope, body: unknown, dryRun: boolean): Promise<Resource> {
  const obj = admit(prepareBody(scope, body));
  return dryRun ? dryRunUpdate(store, obj, "main") : store.update(obj);
}

/** replaceStatus validates and stores only the status of a body (PUT .../status). */
export async function replaceStatus(store: ResourceStore, scope: Scope, body: unknown, dryRun: boolean): Promise<Resource> {
  const prepared = prepareBody(scope, body);
  const status = parseStatus(scope.definition, prepared.status);
  const rv = prepared.metadata.resourceVersion;
  const obj: Resource = {
    apiVersion: API_VERSION,
    kind: scope.definition.kind,
    metadata: { name: scope.name!, namespace: scope.namespace!, ...(typeof rv === "string" && rv !== "" ? { resourceVersion: rv } : {}) },
    ...(status !== undefined ? { status } : {}),
  };
  return dryRun ? dryRunUpdate(store, obj, "status") : store.updateStatus(obj);
}

/**
 * patchObject reads the object, applies the patch and writes the result through the same admission as PUT.
 * Server-side apply (`application/apply-patch+yaml`) creates a missing object; on an existing one it is a merge
 * of the applied fields (no managedFields or field-ownership conflicts: fields dropped from a manifest are not
 * removed). A patch that carries its own resourceVersion is a precondition; one that does not is retried
 * when another write gets in between the read and the write.
 */
export async function patchObject(
  store: ResourceStore, scope: Scope, type: PatchType, body: unknown, dryRun: boolean, subresource: "main" | "status",
): Promise<WriteResult> {
  const key = { kind: scope.definition.kind, namespace: scope.namespace!, name: scope.name! };
  for (let attempt = 1; ; attempt++) {
    let stored: Resource;
    try {
      stored = await store.get(key);
    } catch (error) {
      if (error instanceof NotFoundError && type === "apply" && subresource === "main")
        return { object: await createObject(store, scope, parseApplyBody(body), dryRun), created: true };
      throw error;
    }
    const patched = prepareBody(scope, applyPatch(type, stored, body));
    const conditional = patched.metadata.resourceVersion !== stored.metadata.resourceVersion;
    try {
      const object = subresource === "main" ? await replaceObject(store, scope, patched, dryRun) : await replaceStatus(store, scope, patched, dryRun);
      return { object, created: false };
    } catch (error) {
      if (!(error instanceof ConflictError) || conditional || attempt >= PATCH_ATTEMPTS) throw error;
    }
  }
}
