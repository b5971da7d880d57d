import { z } from "zod";
import { API_VERSION, baseStatus, objectMeta, type Resource } from "./meta.ts";
import { ValidationError, type FieldCause } from "./errors.ts";

/** PrinterColumn is one column of `berth get` / `kubectl get` output, computed on the server (Table). */
export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  description: string;
  /** priority 1 columns appear only with `-o wide`. */
  priority: 0 | 1;
  value(obj: Resource): string | number | boolean;
}

/** KindDefinition is everything the generic machinery (store, API, CLI, docs) knows about one kind. */
export interface KindDefinition {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  /** schema validates a whole object as written by a user (status is validated but ignored by main writes). */
  readonly schema: z.ZodType;
  /** statusSchema validates writes to the `/status` subresource. */
  readonly statusSchema: z.ZodType;
  /** specFields are the top-level fields whose change bumps `metadata.generation` (`spec`; `data` for Secret). */
  readonly specFields: readonly string[];
  /** columns are the server-side Table columns after NAME (AGE is appended by the API). */
  readonly columns: readonly PrinterColumn[];
  /** validateUpdate holds cross-version rules such as immutable fields; it returns the offending fields. */
  validateUpdate?(previous: Resource, next: Resource): FieldCause[];
}

/** KindOptions are the inputs of defineKind; `spec` and `status` are the kind-specific zod shapes. */
export interface KindOptions<Spec extends z.ZodType, Status extends z.ZodRawShape> {
  kind: string;
  plural: string;
  shortNames?: string[];
  spec: Spec;
  status: Status;
  columns?: PrinterColumn[];
  validateUpdate?: KindDefinition["validateUpdate"];
}

/** defineKind builds the full object and status schemas of a kind from its spec and status shapes. */
export function defineKind<Spec extends z.ZodType, Status extends z.ZodRawShape>(options: KindOptions<Spec, Status>) {
  const statusSchema = z.object({ ...baseStatus, ...options.status });
  const schema = z.object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(options.kind),
    metadata: objectMeta,
    spec: options.spec,
    status: statusSchema.optional(),
  });
  const definition: KindDefinition = {
    kind: options.kind,
    plural: options.plural,
    singular: options.kind.toLowerCase(),
    shortNames: options.shortNames ?? [],
    schema,
    statusSchema,
    specFields: ["spec"],
    columns: options.columns ?? [],
    ...(options.validateUpdate ? { validateUpdate: options.validateUpdate } : {}),
  };
  return { definition, schema, statusSchema };
}

/** formatPath renders a zod issue path the way users write it: `spec.env[0].name`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** causesOf turns zod issues into field causes, naming unknown keys individually. */
export function causesOf(error: z.ZodError, prefix: readonly PropertyKey[] = []): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) causes.push({ field: formatPath([...prefix, ...issue.path, key]), message: "unknown field" });
    } else if (issue.code === "invalid_union" && issue.errors.length > 0) {
      // Report the branch that got furthest: its first issue usually names the real mistake.
      const best = issue.errors.reduce((a, b) => (a.length <= b.length ? a : b));
      causes.push(...causesOf(new z.ZodError(best), [...prefix, ...issue.path]));
    } else {
      causes.push({ field: formatPath([...prefix, ...issue.path]), message: issue.message });
    }
  }
  return causes;
}

/** describeCauses renders causes as one line: `spec.replicas: expected number, received string`. */
export function describeCauses(causes: readonly FieldCause[]): string {
  return causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join("; ");
}

/**
 * parseObject validates a raw object against its kind and returns it with defaults filled in. Unknown fields
 * in spec are errors (a typo must not be silently dropped); unknown metadata fields are dropped.
 */
export function parseObject(definition: KindDefinition, raw: unknown): Resource {
  const result = definition.schema.safeParse(raw);
  if (!result.success) {
    const causes = causesOf(result.error);
    throw new ValidationError(`${definition.kind} is invalid: ${describeCauses(causes)}`, causes);
  }
  return result.data as Resource;
}

/** parseStatus validates a status written through the `/status` subresource. */
export function parseStatus(definition: KindDefinition, raw: unknown): Resource["status"] {
  const result = definition.statusSchema.safeParse(raw ?? {});
  if (!result.success) {
    const causes = causesOf(result.error, ["status"]);
    throw new ValidationError(`${definition.kind} status is invalid: ${describeCauses(causes)}`, causes);
  }
  return result.data as Resource["status"];
}

/** conditionOf finds a condition by type. */
export function conditionOf(obj: Resource, type: string) {
  return obj.status?.conditions?.find((c) => c.type === type);
}

/** readyColumn is the READY column every kind shows: the status of its Ready condition. */
export const readyColumn: PrinterColumn = {
  name: "Ready",
  type: "string",
  description: "Status of the Ready condition.",
  priority: 0,
  value: (obj) => conditionOf(obj, "Ready")?.status ?? "Unknown",
};

/** reasonColumn is the REASON column shown with `-o wide`: why the object is (not) Ready. */
export const reasonColumn: PrinterColumn = {
  name: "Reason",
  type: "string",
  description: "Reason of the Ready condition.",
  priority: 1,
  value: (obj) => conditionOf(obj, "Ready")?.reason ?? "",
};
