import type { Credentials, Engine } from "../database/engines.ts";

// The dump and restore tools log in with the Database's own credentials (its credentials Secret).
export type { Credentials, Engine };

/** ToolCommand is one command to exec in the database's container: argv without secrets, secrets in env. */
export interface ToolCommand {
  tool: string;
  cmd: string[];
  env: Record<string, string>;
}

/** FORMATS names the file suffix of each engine's dump, for snapshot file names. */
export const FORMATS: Record<Engine, string> = {
  postgres: "pgdump",
  mysql: "sql",
  mariadb: "sql",
  redis: "rdb",
  mongodb: "archive.gz",
};

/**
 * mysqlClient runs the MariaDB tool if the image has it, else the MySQL one: MariaDB 11 dropped the `mysql*`
 * names, MySQL never had the `mariadb*` ones. Names come from the environment so argv holds no value at all.
 */
function mysqlShell(mariadb: string, mysql: string, args: string): string[] {
  return ["sh", "-c", `exec "$(command -v ${mariadb} || command -v ${mysql})" ${args}`];
}

/** mysqlLogin logs in as root when the engine has a root password (it can read routines), else as the user. */
function mysqlLogin(c: Credentials): Record<string, string> {
  return c.rootPassword
    ? { MYSQL_PWD: c.rootPassword, BERTH_USER: "root", BERTH_DATABASE: c.database }
    : { MYSQL_PWD: c.password, BERTH_USER: c.user, BERTH_DATABASE: c.database };
}

/** dumpCommand is the engine's own dump tool writing the whole database to stdout (Redis is read as a file instead). */
export function dumpCommand(engine: Engine, c: Credentials): ToolCommand {
  switch (engine) {
    case "postgres":
      return { tool: "pg_dump", cmd: ["sh", "-c", 'exec pg_dump -Fc -U "$BERTH_USER" -d "$BERTH_DATABASE"'], env: { PGPASSWORD: c.password, BERTH_USER: c.user, BERTH_DATABASE: c.database } };
    case "mysql":
    case "mariadb":
      return {
        tool: "mariadb-dump",
        cmd: mysqlShell("mariadb-dump", "mysqldump", '--single-transaction --quick --routines --triggers --events -u "$BERTH_USER" "$BERTH_DATABASE"'),
        env: mysqlLogin(c),
      };
    case "mongodb":
      return {
        tool: "mongodump",
        cmd: ["sh", "-c", 'exec mongodump --archive --gzip --quiet --authenticationDatabase admin -u "$BERTH_USER" -d "$BERTH_DATABASE" --config "$BERTH_CONFIG"'],
        env: { BERTH_USER: c.user, BERTH_DATABASE: c.database, BERTH_CONFIG: MONGO_CONFIG },
      };
    case "redis":
      throw new Error("redis is dumped with BGSAVE and read as a file, not through a dump tool");
  }
}

/** MONGO_CONFIG is where the Mongo tools read their password from (a YAML `password:` written for the run). */
export const MONGO_CONFIG = "/tmp/berth-mongo-tools.yaml";

/** listCommand lists a dump with the engine's tool, reading it on stdin; undefined where a header check does instead. */
export function listCommand(engine: Engine, c: Credentials): ToolCommand | undefined {
  switch (engine) {
    case "postgres":
      return { tool: "pg_restore --list", cmd: ["pg_restore", "--list"], env: {} };
    case "mongodb":
      return {
        tool: "mongorestore --dryRun",
        cmd: ["sh", "-c", 'exec mongorestore --archive --gzip --dryRun --quiet --authenticationDatabase admin -u "$BERTH_USER" --config "$BERTH_CONFIG"'],
        env: { BERTH_USER: c.user, BERTH_CONFIG: MONGO_CONFIG },
      };
    default:
      return undefined;
  }
}

/** restoreCommand loads a dump read on stdin into the running database, replacing what it holds. */
export function restoreCommand(engine: Engine, c: Credentials): ToolCommand {
  switch (engine) {
    case "postgres":
      return {
        tool: "pg_restore",
        cmd: ["sh", "-c", 'exec pg_restore --clean --if-exists --no-owner --no-privileges --exit-on-error --single-transaction -U "$BERTH_USER" -d "$BERTH_DATABASE"'],
        env: { PGPASSWORD: c.password, BERTH_USER: c.user, BERTH_DATABASE: c.database },
      };
    case "mysql":
    case "mariadb":
      return { tool: "mariadb", cmd: mysqlShell("mariadb", "mysql", '-u "$BERTH_USER" "$BERTH_DATABASE"'), env: mysqlLogin(c) };
    case "mongodb":
      return {
        tool: "mongorestore",
        cmd: ["sh", "-c", 'exec mongorestore --archive --gzip --drop --quiet --authenticationDatabase admin -u "$BERTH_USER" --config "$BERTH_CONFIG"'],
        env: { BERTH_USER: c.user, BERTH_CONFIG: MONGO_CONFIG },
      };
    case "redis":
      throw new Error("redis is restored by replacing dump.rdb while the server is stopped");
  }
}

/** countTablesCommand prints how many tables (keys, for Redis) the database holds: what `verify: restore` checks. */
export function countTablesCommand(engine: Engine, c: Credentials): ToolCommand {
  switch (engine) {
    case "postgres":
      return {
        tool: "psql",
        cmd: ["sh", "-c", `exec psql -tA -U "$BERTH_USER" -d "$BERTH_DATABASE" -c "select count(*) from information_schema.tables where table_schema not in ('pg_catalog','information_schema')"`],
        env: { PGPASSWORD: c.password, BERTH_USER: c.user, BERTH_DATABASE: c.database },
      };
    case "mysql":
    case "mariadb":
      return {
        tool: "mariadb",
        cmd: mysqlShell("mariadb", "mysql", `-N -u "$BERTH_USER" "$BERTH_DATABASE" -e "select count(*) from information_schema.tables where table_schema = database()"`),
        env: mysqlLogin(c),
      };
    case "redis":
      return { tool: "redis-cli", cmd: ["redis-cli", "DBSIZE"], env: redisEnv(c) };
    case "mongodb":
      return {
        tool: "mongosh",
        cmd: ["sh", "-c", `exec mongosh --quiet -u "$BERTH_USER" -p "$(sed -n 's/^password: *//p' "$BERTH_CONFIG")" --authenticationDatabase admin "$BERTH_DATABASE" --eval "db.getCollectionNames().length"`],
        env: { BERTH_USER: c.user, BERTH_DATABASE: c.database, BERTH_CONFIG: MONGO_CONFIG },
      };
  }
}

/** redisEnv authenticates redis-cli through REDISCLI_AUTH (redis-cli's own variable) when there is a password. */
export function redisEnv(c: Credentials): Record<string, string> {
  return c.password ? { REDISCLI_AUTH: c.password } : {};
}

/** headerCheck is what a dump without a listing tool must start and end with. */
export interface HeaderCheck {
  starts: RegExp;
  ends?: RegExp;
  what: string;
}

/** headerCheckFor is the header (and footer) check of an engine's dump format. */
export function headerCheckFor(engine: Engine): HeaderCheck | undefined {
  switch (engine) {
    case "redis":
      return { starts: /^REDIS\d{4}/, what: "an RDB file (REDIS magic)" };
    case "mysql":
    case "mariadb":
      return { starts: /^(\/\*[^\n]*\*\/\s*\n)*-- (MariaDB|MySQL) dump/, ends: /-- Dump completed[^\n]*\n?$/, what: "a complete SQL dump (`-- Dump completed` footer)" };
    case "postgres":
      return { starts: /^PGDMP/, what: "a pg_dump custom-format archive (PGDMP magic)" };
    default:
      return undefined;
  }
}
