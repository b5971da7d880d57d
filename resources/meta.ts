import { z } from "zod";

/** API_GROUP is the group every Berth kind belongs to. */
export const API_GROUP = "berth.dev";
/** API_VERSION is the apiVersion every Berth object carries. */
export const API_VERSION = "berth.dev/v1";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** dnsLabel is a name that can become a container or host name: at most 63 lowercase letters, digits and dashes. */
export const dnsLabel = z
  .string()
  .max(63)
  .regex(DNS_LABEL, "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit");

/** qualifiedKey checks a label or annotation key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
function isQualifiedKey(key: string): boolean {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length > 0 && name.length <= 63 && LABEL_NAME.test(name);
}

const labels = z
  .record(z.string(), z.string())
  .superRefine((map, ctx) => {
    for (const [key, value] of Object.entries(map)) {
      if (!isQualifiedKey(key)) ctx.addIssue({ code: "custom", path: [key], message: `invalid label key "${key}"` });
      if (value.length > 63 || (value !== "" && !LABEL_NAME.test(value)))
        ctx.addIssue({ code: "custom", path: [key], message: `invalid label value "${value}"` });
    }
  })
  .describe("Labels are identifying key/value pairs that selectors (`-l app=web`) match on.");

const annotations = z
  .record(z.string(), z.string())
  .superRefine((map, ctx) => {
    for (const key of Object.keys(map))
      if (!isQualifiedKey(key)) ctx.addIssue({ code: "custom", path: [key], message: `invalid annotation key "${key}"` });
    const size = Object.entries(map).reduce((n, [k, v]) => n + k.length + v.length, 0);
    if (size > 256 * 1024) ctx.addIssue({ code: "custom", message: "annotations may hold at most 256 KiB in total" });
  })
  .describe("Annotations are free-form key/value notes kept exactly as written (kubectl keeps its last-applied configuration here).");

/** OwnerReference ties a dependent object to its owner, for cascading deletion. */
export const ownerReference = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});
export type OwnerReference = z.infer<typeof ownerReference>;

/**
 * objectMeta is the metadata every object carries. Users set name, namespace, labels, annotations, finalizers
 * and ownerReferences; the store owns uid, resourceVersion, generation and the timestamps, and overwrites
 * whatever a client sends for them.
 */
export const objectMeta = z.object({
  name: dnsLabel.optional().describe("Name is unique per kind and namespace; it becomes container and host names, so it is a DNS label."),
  generateName: z.string().max(50).optional().describe("GenerateName asks the server for a unique name with this prefix when name is empty."),
  namespace: dnsLabel.optional().describe("Namespace is the project or environment the object belongs to (default: `default`)."),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  deletionGracePeriodSeconds: z.number().int().optional(),
  labels: labels.optional(),
  annotations: annotations.optional(),
  finalizers: z.array(z.string().min(1)).optional(),
  ownerReferences: z.array(ownerReference).optional(),
});
export type ObjectMeta = z.infer<typeof objectMeta>;

/** conditionStatus is the tri-state value of a condition. */
export const conditionStatus = z.enum(["True", "False", "Unknown"]);

/** condition follows metav1.Condition: one entry per `type`, `lastTransitionTime` moves only when `status` flips. */
export const condition = z.object({
  type: z.string().min(1).max(316),
  status: conditionStatus,
  reason: z.string().regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/, "reason must be PascalCase"),
  message: z.string().max(32 * 1024).default(""),
  lastTransitionTime: z.string(),
  observedGeneration: z.number().int().optional(),
});
export type Condition = z.infer<typeof condition>;

/** baseStatus is what every kind's status has: the generation acted on, and conditions (every kind has `Ready`). */
export const baseStatus = {
  observedGeneration: z.number().int().optional(),
  conditions: z.array(condition).optional(),
};

/** secretKeyRef points at one key of a Secret in the same namespace. */
export const secretKeyRef = z.strictObject({
  name: dnsLabel.describe("Name of the Secret."),
  key: z.string().min(1).describe("Key inside the Secret's data."),
});

/** localObjectRef names another object of a known kind in the same namespace. */
export const localObjectRef = z.strictObject({ name: dnsLabel });

/** resourceLimits are Docker limits: cpu in cores (`0.5`, `500m`), memory with a unit (`512Mi`, `1G`). */
export const resourceLimits = z.strictObject({
  cpu: z
    .union([z.number().positive(), z.string().regex(/^(\d+(\.\d+)?|\d+m)$/, "cpu is cores (`0.5`) or millicores (`500m`)")])
    .optional()
    .describe("CPU limit in cores (`0.5`) or millicores (`500m`)."),
  memory: z
    .string()
    .regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T|k|m|g|b)?$/, "memory is a size such as `512Mi` or `1G`")
    .optional()
    .describe("Memory limit, e.g. `512Mi` or `1G`."),
});

/** Resource is the wire shape every stored object has, whatever its kind. */
export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { name: string; namespace: string };
  spec?: unknown;
  status?: { observedGeneration?: number; conditions?: Condition[]; [field: string]: unknown };
  [field: string]: unknown;
}
