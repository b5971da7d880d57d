import { NotFoundError, secretValue, type DatabaseSpec, type Resource } from "../../resources/index.ts";
import type { ResourceStore } from "../../store/index.ts";
import type { databaseKeys } from "../../resources/index.ts";

/** DatabaseKey is one connection fact an App can take from a Database. */
export type DatabaseKey = (typeof databaseKeys)[number];

/** DatabaseFact is a resolved connection fact, or why it cannot be resolved yet. */
export type DatabaseFact = { ready: true; value: string } | { ready: false; reason: string; message: string };

/**
 * DatabaseResolver resolves `valueFrom.databaseRef` env vars. It answers "not ready" until the Database is
 * Ready with an endpoint and credentials; the App controller then waits (and is re-enqueued when the Database
 * changes) instead of starting replicas with half an environment.
 */
export interface DatabaseResolver {
  resolve(namespace: string, ref: { name: string; key: DatabaseKey }, signal?: AbortSignal): Promise<DatabaseFact>;
}

const SCHEMES: Record<DatabaseSpec["engine"], string> = {
  postgres: "postgres",
  mysql: "mysql",
  mariadb: "mysql",
  redis: "redis",
  mongodb: "mongodb",
};

/**
 * StoreDatabaseResolver reads facts from the store, as published by the Database controller: `status.endpoint`
 * (host and port on the namespace network), `status.secretName` (a Secret with `user` and `password`), the
 * database name from the spec (default: the object's name), and a `Ready=True` condition.
 */
export class StoreDatabaseResolver implements DatabaseResolver {
  private readonly store: ResourceStore;

  constructor(store: ResourceStore) {
    this.store = store;
  }

  async resolve(namespace: string, ref: { name: string; key: DatabaseKey }): Promise<DatabaseFact> {
    const db = await this.get("Database", namespace, ref.name);
    if (!db) return { ready: false, reason: "DatabaseNotFound", message: `Database ${ref.name} does not exist` };
    const ready = db.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
    const endpoint = db.status?.endpoint as { host: string; port: number } | undefined;
    const secretName = db.status?.secretName as string | undefined;
    if (!ready || !endpoint || !secretName) return { ready: false, reason: "DatabaseNotReady", message: `Database ${ref.name} is not ready yet` };
    const spec = db.spec as DatabaseSpec;
    const database = spec.database ?? ref.name;
    if (ref.key === "host") return { ready: true, value: endpoint.host };
    if (ref.key === "port") return { ready: true, value: String(endpoint.port) };
    if (ref.key === "database") return { ready: true, value: database };
    const secret = await this.get("Secret", namespace, secretName);
    const user = secret ? secretValue(secret as { data?: unknown }, "user") : undefined;
    const password = secret ? secretValue(secret as { data?: unknown }, "password") : undefined;
    if (user === undefined || password === undefined) return { ready: false, reason: "DatabaseNotReady", message: `the credentials of Database ${ref.name} are not available yet` };
    if (ref.key === "user") return { ready: true, value: user };
    if (ref.key === "password") return { ready: true, value: password };
    return { ready: true, value: connectionUrl(spec.engine, endpoint, user, password, database) };
  }

  private async get(kind: string, namespace: string, name: string): Promise<Resource | undefined> {
    try {
      return await this.store.get({ kind, namespace, name });
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }
}

/**
 * connectionUrl renders the URL most drivers of `engine` accept. Redis URLs name the user too
 * (`redis://default:pw@cache:6379`): redis-cli 7 sends `redis://:pw@` as an AUTH with an empty user name, which
 * the server refuses, while every client accepts the ACL user `default`.
 */
export function connectionUrl(engine: DatabaseSpec["engine"], endpoint: { host: string; port: number }, user: string, password: string, database: string): string {
  const auth = engine === "redis" && user === "" ? `:${encodeURIComponent(password)}@` : `${encodeURIComponent(user)}:${encodeURIComponent(password)}@`;
  const path = engine === "redis" ? "" : `/${encodeURIComponent(database)}`;
  const query = engine === "mongodb" ? "?authSource=admin" : "";
  return `${SCHEMES[engine]}://${auth}${endpoint.host}:${endpoint.port}${path}${query}`;
}
