import type { Operation } from "fast-json-patch";
import { BadRequestError, ValidationError } from "../resources/index.ts";
import { lazyModule } from "../resources/lazy-module.ts";
import { UnsupportedMediaTypeError } from "./http-errors.ts";

/** The patch and YAML libraries are loaded by the first patch that needs them. */
const fastJsonPatch = lazyModule<typeof import("fast-json-patch")>("fast-json-patch");
const yaml = lazyModule<typeof import("yaml")>("yaml");

/** PatchType is a patch format the API accepts, named after kubectl's `--type`. */
export type PatchType = "merge" | "json" | "apply";

const TYPES: Record<string, PatchType> = {
  "application/merge-patch+json": "merge",
  "application/json-patch+json": "json",
  "application/apply-patch+yaml": "apply",
};

/** patchTypeOf reads the Content-Type of a PATCH; strategic merge (kubectl patch's default) is 415, as for CRDs. */
export function patchTypeOf(contentType: string | undefined): PatchType {
  const base = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  const type = TYPES[base];
  if (type) return type;
  throw new UnsupportedMediaTypeError(
    `the body of the request was in an unknown format - accepted media types include: ${Object.keys(TYPES).join(", ")}`,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** mergePatch applies an RFC 7386 JSON merge patch: `null` deletes a key, objects merge, everything else (arrays too) replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** jsonPatch applies an RFC 6902 operation list; a failing operation (e.g. `test`) is 422, a malformed list is 400. */
export function jsonPatch(document: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new BadRequestError("a JSON patch must be a list of operations");
  const jsonpatch = fastJsonPatch();
  const error = jsonpatch.validate(operations as Operation[]);
  if (error) throw new BadRequestError(`invalid JSON patch: ${error.message.split("\n")[0]}`);
  try {
    return jsonpatch.applyPatch(structuredClone(document), operations as Operation[], true, true).newDocument;
  } catch (cause) {
    if (!(cause instanceof jsonpatch.JsonPatchError)) throw cause;
    const path = (cause.operation as { path?: string } | undefined)?.path ?? "";
    throw new ValidationError(`the JSON patch could not be applied: ${cause.message.split("\n")[0]}`, [{ field: path.replace(/^\//, "").replaceAll("/", "."), message: cause.message.split("\n")[0]! }], { cause });
  }
}

/** parseApplyBody reads a server-side apply body: YAML or JSON (JSON is YAML), which must be a mapping. */
export function parseApplyBody(body: unknown): Record<string, unknown> {
  let parsed: unknown = body;
  if (typeof body === "string") {
    try {
      parsed = yaml().parse(body);
    } catch (cause) {
      throw new BadRequestError(`the apply body is not valid YAML or JSON: ${(cause as Error).message.split("\n")[0]}`, { cause });
    }
  }
  if (!isObject(parsed)) throw new BadRequestError("the apply body must be a mapping (an object)");
  return parsed;
}

/** applyPatch patches a document by type (server-side apply is treated as a merge of the applied fields). */
export function applyPatch(type: PatchType, document: unknown, body: unknown): unknown {
  if (type === "json") return jsonPatch(document, body);
  if (type === "apply") return mergePatch(document, parseApplyBody(body));
  if (!isObject(body)) throw new BadRequestError("a merge patch must be a JSON object");
  return mergePatch(document, body);
}
