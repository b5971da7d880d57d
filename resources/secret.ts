import { z } from "zod";
import { API_VERSION, baseStatus, objectMeta } from "./meta.ts";
import type { KindDefinition } from "./define-kind.ts";

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * secretSchema follows the Kubernetes Secret: `data` holds base64 values, `stringData` plain ones that the
 * server folds into `data` on write. Values are encrypted at rest and shown only to admins.
 */
export const secretSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("Secret"),
  metadata: objectMeta,
  type: z.string().default("Opaque").describe("Type hints at the keys inside (`Opaque`, `kubernetes.io/tls`, `berth.dev/registry`)."),
  data: z
    .record(z.string().regex(KEY, "a key of letters, digits, '-', '_' and '.'"), z.string().regex(BASE64, "a base64 value"))
    .optional()
    .describe("Data holds base64-encoded values."),
  stringData: z
    .record(z.string().regex(KEY, "a key of letters, digits, '-', '_' and '.'"), z.string())
    .optional()
    .describe("StringData holds plain values; they are merged into data and never stored as written."),
  immutable: z.boolean().optional(),
  status: z.object(baseStatus).optional(),
});

/** secretKind describes Secret; unlike other kinds its desired state lives in `data`, not `spec`. */
export const secretKind: KindDefinition = {
  kind: "Secret",
  plural: "secrets",
  singular: "secret",
  shortNames: [],
  schema: secretSchema,
  statusSchema: z.object(baseStatus),
  specFields: ["data", "type", "immutable"],
  columns: [
    { name: "Type", type: "string", description: "Secret type.", priority: 0, value: (o) => String(o.type ?? "Opaque") },
    { name: "Data", type: "integer", description: "Number of keys.", priority: 0, value: (o) => Object.keys((o.data as object | undefined) ?? {}).length },
  ],
  validateUpdate(previous, next) {
    if (previous.immutable === true && JSON.stringify(previous.data) !== JSON.stringify(next.data))
      return [{ field: "data", message: "is immutable: the Secret is marked immutable" }];
    return [];
  },
};

/** foldStringData moves stringData into data (base64), as Kubernetes does, so only one form is ever stored. */
export function foldStringData<T extends { data?: Record<string, string>; stringData?: Record<string, string> }>(secret: T): T {
  if (!secret.stringData) return secret;
  const data = { ...(secret.data ?? {}) };
  for (const [key, value] of Object.entries(secret.stringData)) data[key] = Buffer.from(value, "utf8").toString("base64");
  const { stringData: _folded, ...rest } = secret;
  return { ...rest, data } as T;
}

/** secretValue decodes one key of a stored Secret, or undefined if the key is missing. */
export function secretValue(secret: { data?: unknown }, key: string): string | undefined {
  const value = (secret.data as Record<string, string> | undefined)?.[key];
  return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
}
