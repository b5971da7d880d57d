import { z } from "zod";
import { dnsLabel, localObjectRef, resourceLimits } from "./meta.ts";
import { defineKind, readyColumn, reasonColumn } from "./define-kind.ts";
import type { FieldCause } from "./errors.ts";

/** databaseEngines are the engines Berth manages; each has an official image whose environment contract Berth follows. */
export const databaseEngines = ["postgres", "mysql", "mariadb", "redis", "mongodb"] as const;

/** defaultPorts are the ports each engine listens on inside its container. */
export const defaultPorts: Record<(typeof databaseEngines)[number], number> = {
  postgres: 5432,
  mysql: 3306,
  mariadb: 3306,
  redis: 6379,
  mongodb: 27017,
};

/** databaseSpec is what a user declares about a Database. */
export const databaseSpec = z.strictObject({
  engine: z.enum(databaseEngines),
  version: z.string().optional().describe("Version is the image tag of the engine's official image (`16`, `11.4`)."),
  image: z.string().optional().describe("Image overrides the engine's official image; it must honour the same environment contract."),
  database: dnsLabel.optional().describe("Database name to create (default: the object's name)."),
  user: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional().describe("User to create (default: the object's name)."),
  storage: z
    .strictObject({ volume: dnsLabel.optional().describe("Volume is the Docker volume's name (default: derived from the object).") })
    .default({})
    .describe("Storage is a named volume kept across restarts and upgrades."),
  deletionPolicy: z.enum(["Retain", "Delete"]).default("Retain").describe("DeletionPolicy says whether the data volume is deleted with the Database."),
  resources: resourceLimits.optional(),
  expose: z.strictObject({ port: z.number().int().min(1).max(65535) }).optional().describe("Expose publishes the database on this host port."),
  credentials: z
    .strictObject({ secretRef: localObjectRef.optional().describe("SecretRef names a Secret with `user`/`password`; absent → generated into `<name>-credentials`.") })
    .optional(),
  restoreFrom: z
    .strictObject({ backup: dnsLabel, snapshot: z.string().optional().describe("Snapshot id (default: the latest successful one).") })
    .optional()
    .describe("RestoreFrom fills a new Database from a Backup's snapshot before it is Ready."),
});

export type DatabaseSpec = z.infer<typeof databaseSpec>;

/** immutableDatabaseFields cannot change after creation: the data on disk depends on them. */
function validateDatabaseUpdate(previous: { spec?: unknown }, next: { spec?: unknown }): FieldCause[] {
  const a = previous.spec as DatabaseSpec;
  const b = next.spec as DatabaseSpec;
  const causes: FieldCause[] = [];
  if (a.engine !== b.engine) causes.push({ field: "spec.engine", message: "is immutable" });
  if ((a.storage.volume ?? "") !== (b.storage.volume ?? "")) causes.push({ field: "spec.storage.volume", message: "is immutable" });
  return causes;
}

export const { definition: databaseKind, schema: databaseSchema } = defineKind({
  kind: "Database",
  plural: "databases",
  shortNames: ["db"],
  spec: databaseSpec,
  status: {
    endpoint: z.object({ host: z.string(), port: z.number().int() }).optional(),
    secretName: z.string().optional(),
    image: z.string().optional(),
    volume: z.string().optional().describe("Volume is the Docker volume holding the data."),
  },
  validateUpdate: validateDatabaseUpdate,
  columns: [
    readyColumn,
    { name: "Engine", type: "string", description: "Engine and version.", priority: 0, value: (o) => { const s = o.spec as DatabaseSpec; return s.version ? `${s.engine}:${s.version}` : s.engine; } },
    { name: "Endpoint", type: "string", description: "Host and port inside the namespace network.", priority: 1, value: (o) => { const e = o.status?.endpoint as { host: string; port: number } | undefined; return e ? `${e.host}:${e.port}` : ""; } },
    reasonColumn,
  ],
});
