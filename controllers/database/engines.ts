import type { DatabaseSpec } from "../../resources/index.ts";
import { defaultPorts } from "../../resources/index.ts";

/** Engine is one of the engines Berth runs. */
export type Engine = DatabaseSpec["engine"];

/** Credentials are what a Database's Secret holds: the application user, its database, and root's password where there is a root. */
export interface Credentials {
  user: string;
  password: string;
  database: string;
  rootPassword?: string;
}

/** SECRETS_DIR is where the files holding credentials are put into the container before it starts. */
export const SECRETS_DIR = "/run/berth";

/**
 * ENGINE_UID is the uid (and gid) the official images run their engine as; the credential files are owned by
 * it, mode 0400, so the engine's user (and root, which the entrypoints start as) can read them and nobody else.
 */
export const ENGINE_UID = 999;

/** ReadinessCheck is a command run with `docker exec`; exit 0 means the engine accepted a real connection. */
export interface ReadinessCheck {
  cmd: string[];
  /** env carries the password the check needs: an exec's environment is not shown by `docker inspect`. */
  env: string[];
}

/**
 * EngineProfile is everything Berth needs to know about an engine, taken from its official image's
 * documented environment contract (see docs/databases.md): where data lives, how credentials are given (the
 * `*_FILE` variables, so no password is in the container's configuration), and how to check it is up.
 */
export interface EngineProfile {
  engine: Engine;
  /** repository is the official image's name; the tag is `spec.version` or `defaultVersion`. */
  repository: string;
  defaultVersion: string;
  port: number;
  /** dataPath is where the data volume is mounted. */
  dataPath: string;
  /** hasRoot: the engine has a root user with its own password (the Secret then holds `root-password`). */
  hasRoot: boolean;
  /** defaultUser is the user when the engine has a fixed one (redis: `default`). */
  defaultUser?: string;
  /** majorEnv is the official image's variable naming its major version (postgres: PG_MAJOR). */
  majorEnv?: string;
  /**
   * upgradable tells whether data written by major `from` can be opened in place by major `to`. Postgres
   * cannot (pg_upgrade needs both versions' binaries); MongoDB goes one major up at a time and never down.
   */
  upgradable(from: number, to: number): boolean;
  env(c: Credentials): string[];
  /** files are put into SECRETS_DIR before the container starts: name → content. */
  files(c: Credentials): Record<string, string>;
  cmd?: string[];
  readiness(c: Credentials): ReadinessCheck;
  /**
   * setPassword, when the engine has one, makes the user's password the Secret's on data that was initialised
   * with another (engines read the `*_FILE` variables only on an empty volume). It runs inside the container,
   * the password in the exec's environment.
   */
  setPassword?(c: Credentials): ReadinessCheck;
}

const file = (name: string) => `${SECRETS_DIR}/${name}`;

const postgres: EngineProfile = {
  engine: "postgres",
  repository: "postgres",
  defaultVersion: "16",
  port: defaultPorts.postgres,
  dataPath: "/var/lib/postgresql/data",
  hasRoot: false,
  majorEnv: "PG_MAJOR",
  upgradable: (from, to) => from === to,
  env: (c) => [`POSTGRES_USER=${c.user}`, `POSTGRES_DB=${c.database}`, `POSTGRES_PASSWORD_FILE=${file("password")}`, "PGDATA=/var/lib/postgresql/data"],
  files: (c) => ({ password: c.password }),
  setPassword: (c) => ({
    // Over the socket, which the official image trusts locally; psql's :'pw' quotes the value as a literal.
    cmd: ["sh", "-c", `printf '%s\\n' '\\getenv pw NEW_PASSWORD' 'ALTER ROLE :"user" PASSWORD :'"'"'pw'"'"';' | psql -X -q -v ON_ERROR_STOP=1 -v user="$DB_USER" -U "$DB_USER" -d "$DB_NAME"`],
    env: [`NEW_PASSWORD=${c.password}`, `DB_USER=${c.user}`, `DB_NAME=${c.database}`],
  }),
  readiness: (c) => ({
    // Over TCP: the entrypoint's init server listens on the socket only, so this fails until the real server is up.
    // The query goes to the container's own address, where the password is checked (127.0.0.1 is trusted).
    cmd: ["sh", "-c", 'pg_isready -q -h 127.0.0.1 -p 5432 -U "$DB_USER" -d "$DB_NAME" && set -- $(hostname -i 2>/dev/null) 127.0.0.1 && psql -X -w -q -h "$1" -p 5432 -U "$DB_USER" -d "$DB_NAME" -tAc "select 1" >/dev/null'],
    env: [`PGPASSWORD=${c.password}`, `DB_USER=${c.user}`, `DB_NAME=${c.database}`],
  }),
};

/** MYSQL_CHECK pings then queries, with the client's mariadb-* or mysql* names (MariaDB 11 images have only the former). */
const MYSQL_CHECK = [
  "sh", "-c",
  'if command -v mariadb-admin >/dev/null; then a=mariadb-admin; q=mariadb; else a=mysqladmin; q=mysql; fi; ' +
    '$a ping -h 127.0.0.1 -P 3306 -u"$DB_USER" --silent >/dev/null && $q -h 127.0.0.1 -P 3306 -u"$DB_USER" -D "$DB_NAME" -e "select 1" >/dev/null',
];

/** mysqlSetPassword alters the user as root over the socket; the SQL is built by shell builtins, so the password is on no command line. */
const mysqlSetPassword = (c: Credentials): ReadinessCheck => ({
  cmd: [
    "sh", "-c",
    'if command -v mariadb >/dev/null; then q=mariadb; else q=mysql; fi; ' +
      `esc() { printf '%s' "$1" | sed -e 's/\\\\/\\\\\\\\/g' -e "s/'/\\\\\\\\'/g"; }; ` +
      `printf "ALTER USER '%s'@'%%' IDENTIFIED BY '%s';\\n" "$(esc "$DB_USER")" "$(esc "$NEW_PASSWORD")" | MYSQL_PWD="$ROOT_PASSWORD" $q -uroot`,
  ],
  env: [`NEW_PASSWORD=${c.password}`, `ROOT_PASSWORD=${c.rootPassword ?? ""}`, `DB_USER=${c.user}`],
});

const mysqlReadiness = (c: Credentials): ReadinessCheck => ({ cmd: MYSQL_CHECK, env: [`MYSQL_PWD=${c.password}`, `DB_USER=${c.user}`, `DB_NAME=${c.database}`] });

const mysql: EngineProfile = {
  engine: "mysql",
  repository: "mysql",
  defaultVersion: "8.4",
  port: defaultPorts.mysql,
  dataPath: "/var/lib/mysql",
  hasRoot: true,
  majorEnv: "MYSQL_MAJOR",
  // MySQL upgrades its data dictionary in place on start (8.0 → 8.4); it cannot go back down.
  upgradable: (from, to) => to >= from,
  env: (c) => [`MYSQL_ROOT_PASSWORD_FILE=${file("root-password")}`, `MYSQL_USER=${c.user}`, `MYSQL_PASSWORD_FILE=${file("password")}`, `MYSQL_DATABASE=${c.database}`],
  files: (c) => ({ password: c.password, "root-password": c.rootPassword ?? "" }),
  readiness: mysqlReadiness,
  setPassword: mysqlSetPassword,
};

const mariadb: EngineProfile = {
  engine: "mariadb",
  repository: "mariadb",
  defaultVersion: "11",
  port: defaultPorts.mariadb,
  dataPath: "/var/lib/mysql",
  hasRoot: true,
  upgradable: (from, to) => to >= from,
  env: (c) => [
    `MARIADB_ROOT_PASSWORD_FILE=${file("root-password")}`, `MARIADB_USER=${c.user}`, `MARIADB_PASSWORD_FILE=${file("password")}`, `MARIADB_DATABASE=${c.database}`,
    // The official image runs mariadb-upgrade on a data directory of an older version.
    "MARIADB_AUTO_UPGRADE=1",
  ],
  files: (c) => ({ password: c.password, "root-password": c.rootPassword ?? "" }),
  readiness: mysqlReadiness,
  setPassword: mysqlSetPassword,
};

const redis: EngineProfile = {
  engine: "redis",
  repository: "redis",
  defaultVersion: "7",
  port: defaultPorts.redis,
  dataPath: "/data",
  hasRoot: false,
  defaultUser: "default",
  upgradable: (from, to) => to >= from,
  env: () => [],
  // An append-only file flushed every second: a killed container loses at most the last second of writes.
  files: (c) => ({ "redis.conf": `requirepass ${c.password}\ndir /data\nappendonly yes\nappendfsync everysec\n` }),
  cmd: ["redis-server", file("redis.conf")],
  readiness: (c) => ({ cmd: ["sh", "-c", '[ "$(redis-cli -h 127.0.0.1 -p 6379 ping)" = PONG ]'], env: [`REDISCLI_AUTH=${c.password}`] }),
};

const mongodb: EngineProfile = {
  engine: "mongodb",
  repository: "mongo",
  defaultVersion: "7",
  port: defaultPorts.mongodb,
  dataPath: "/data/db",
  hasRoot: false,
  majorEnv: "MONGO_MAJOR",
  upgradable: (from, to) => to === from || to === from + 1,
  env: (c) => [`MONGO_INITDB_ROOT_USERNAME=${c.user}`, `MONGO_INITDB_ROOT_PASSWORD_FILE=${file("password")}`, `MONGO_INITDB_DATABASE=${c.database}`],
  files: (c) => ({ password: c.password }),
  readiness: (c) => ({
    cmd: [
      "mongosh", "--norc", "--quiet", "--host", "127.0.0.1", "--port", "27017", "--eval",
      // The entrypoint's init server also listens on 127.0.0.1:27017, without --auth: only the real one enforces it.
      "const a = db.getSiblingDB('admin'); a.auth(process.env.DB_USER, process.env.DB_PASSWORD); const o = a.runCommand({ getCmdLineOpts: 1 }); " +
        "quit(a.runCommand({ ping: 1 }).ok === 1 && ((o.parsed || {}).security || {}).authorization === 'enabled' ? 0 : 1)",
    ],
    env: [`DB_USER=${c.user}`, `DB_PASSWORD=${c.password}`],
  }),
};

/** ENGINES maps each engine to its profile. */
export const ENGINES: Record<Engine, EngineProfile> = { postgres, mysql, mariadb, redis, mongodb };

/** imageOf is the image a Database runs: `spec.image`, else the official image at `spec.version` (or the default). */
export function imageOf(spec: DatabaseSpec): string {
  if (spec.image) return spec.image;
  const profile = ENGINES[spec.engine];
  return `${profile.repository}:${spec.version ?? profile.defaultVersion}`;
}

/**
 * majorOf reads the engine's major version from the image: the official images' version variable (PG_MAJOR)
 * when there is one, else the tag's leading number (`postgres:16.4` → 16). Undefined when neither says.
 */
export function majorOf(profile: EngineProfile, image: string, imageEnv: readonly string[]): number | undefined {
  const fromEnv = profile.majorEnv ? imageEnv.find((e) => e.startsWith(`${profile.majorEnv}=`))?.slice(profile.majorEnv.length + 1) : undefined;
  const tag = /:([^/:@]+)(?:@.*)?$/.exec(image)?.[1];
  for (const candidate of [fromEnv, tag]) {
    const match = candidate ? /^v?(\d+)/.exec(candidate) : null;
    if (match) return Number(match[1]);
  }
  return undefined;
}
