import { z } from "zod";
import { API_VERSION, baseStatus, objectMeta } from "./meta.ts";
import type { KindDefinition } from "./define-kind.ts";

export { foldStringData, secretValue } from "./secret-data.ts";

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
