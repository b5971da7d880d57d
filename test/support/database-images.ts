import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DockerClient } from "../../controllers/docker/index.ts";
import { inspectImage } from "../../controllers/docker/index.ts";
import { DEBIAN_BASE_IMAGE, ensureDebianBaseImage } from "./debian-base.ts";

/**
 * DATABASE_IMAGES are real database engines built on this machine from Debian's packages (no registry can be
 * reached), each with an entrypoint that honours the official image's environment contract, so a Database
 * whose `spec.image` names one behaves as it would with the official image:
 * - `postgres:15`: POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB (and `*_FILE`), PGDATA=/var/lib/postgresql/data;
 * - `mariadb:10.11`: MARIADB_ROOT_PASSWORD, MARIADB_USER, MARIADB_PASSWORD, MARIADB_DATABASE (MYSQL_* aliases,
 *   `*_FILE`), datadir /var/lib/mysql;
 * - `redis:7`: `redis-server [config]` as the command, data in /data.
 * Each engine runs as uid/gid 999, as in the official images, so files put into the container for it can be
 * owned by that user.
 */
export const DATABASE_IMAGES = {
  postgres: "berth-test/postgres:15",
  mariadb: "berth-test/mariadb:10.11",
  redis: "berth-test/redis:7",
} as const;

/** DatabaseImageEngine is an engine with a locally built image. */
export type DatabaseImageEngine = keyof typeof DATABASE_IMAGES;

/** FILE_ENV is the official images' `file_env`: VAR or VAR_FILE (exclusive), exported as VAR. */
const FILE_ENV = `
file_env() {
  local var="$1" fileVar="$1_FILE" def="\${2:-}"
  if [ "\${!var:-}" ] && [ "\${!fileVar:-}" ]; then
    echo >&2 "error: both $var and $fileVar are set (but are exclusive)"; exit 1
  fi
  local val="$def"
  if [ "\${!var:-}" ]; then val="\${!var}"; elif [ "\${!fileVar:-}" ]; then val="$(< "\${!fileVar}")"; fi
  export "$var"="$val"
  unset "$fileVar"
}
`;

/** APT_PREAMBLE keeps package scripts from starting services during the build. */
const APT_PREAMBLE = `printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d`;

function user(name: string, home: string): string {
  return `groupadd -r -g 999 ${name} && useradd -r -g ${name} -u 999 -d ${home} -s /bin/bash ${name} && mkdir -p ${home} && chown ${name}:${name} ${home}`;
}

const POSTGRES_ENTRYPOINT = `#!/usr/bin/env bash
set -Eeo pipefail
${FILE_ENV}
if [ "\${1:0:1}" = '-' ]; then set -- postgres "$@"; fi
if [ "$1" != postgres ]; then exec "$@"; fi

file_env POSTGRES_PASSWORD
file_env POSTGRES_USER postgres
file_env POSTGRES_DB "$POSTGRES_USER"
file_env POSTGRES_INITDB_ARGS

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chmod 00700 "$PGDATA"
  find "$PGDATA" /var/run/postgresql \\! -user postgres -exec chown postgres:postgres '{}' +
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "$POSTGRES_PASSWORD" ] && [ "\${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
    echo >&2 "error: database is uninitialized and superuser password is not specified (POSTGRES_PASSWORD)"; exit 1
  fi
  eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"' >/dev/null'
  printf '\\nhost all all all %s\\n' "\${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >> "$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start >/dev/null
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc --dbname postgres --set db="$POSTGRES_DB" -q <<<'CREATE DATABASE :"db";'
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) . "$f" ;;
      *.sql) psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --dbname "$POSTGRES_DB" -f "$f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "PostgreSQL init process complete; ready for start up."
fi
unset POSTGRES_PASSWORD
exec "$@"
`;

const POSTGRES_DOCKERFILE = `FROM ${DEBIAN_BASE_IMAGE}
RUN ${user("postgres", "/var/lib/postgresql")} \\
 && ${APT_PREAMBLE} \\
 && mkdir -p /etc/postgresql-common/createcluster.d \\
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/berth.conf \\
 && apt-get update && apt-get install -y --no-install-recommends postgresql-15 \\
 && rm -rf /var/lib/apt/lists/* \\
 && sed -ri "s!^#?(listen_addresses)\\s*=\\s*\\S+.*!\\1 = '*'!" /usr/share/postgresql/15/postgresql.conf.sample \\
 && mkdir -p /var/run/postgresql /docker-entrypoint-initdb.d && chown postgres:postgres /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 0755 /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
`;

const MARIADB_ENTRYPOINT = `#!/usr/bin/env bash
set -Eeo pipefail
${FILE_ENV}
# mariadb_file_env reads MARIADB_X, falling back to its MYSQL_X alias (each with a _FILE variant).
mariadb_file_env() {
  local alias="MYSQL_$1"
  file_env "$alias" "\${2:-}"
  file_env "MARIADB_$1" "\${!alias}"
}
if [ "\${1:0:1}" = '-' ]; then set -- mariadbd "$@"; fi
if [ "$1" != mariadbd ] && [ "$1" != mysqld ]; then exec "$@"; fi

DATADIR=/var/lib/mysql
SOCKET=/run/mysqld/mysqld.sock
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$DATADIR" /run/mysqld
  find "$DATADIR" /run/mysqld \\! -user mysql -exec chown mysql:mysql '{}' +
  exec setpriv --reuid=mysql --regid=mysql --init-groups "$BASH_SOURCE" "$@"
fi

mariadb_file_env ROOT_PASSWORD
mariadb_file_env ROOT_HOST '%'
mariadb_file_env USER
mariadb_file_env PASSWORD
mariadb_file_env DATABASE
mariadb_file_env ALLOW_EMPTY_ROOT_PASSWORD
mariadb_file_env RANDOM_ROOT_PASSWORD

sql_escape() { sed -e 's/\\\\/\\\\\\\\/g' -e "s/'/\\\\\\\\'/g" <<<"$1"; }

if [ ! -d "$DATADIR/mysql" ]; then
  if [ -z "$MARIADB_ROOT_PASSWORD" ] && [ -z "$MARIADB_ALLOW_EMPTY_ROOT_PASSWORD" ] && [ -z "$MARIADB_RANDOM_ROOT_PASSWORD" ]; then
    echo >&2 "error: database is uninitialized and password option is not specified (MARIADB_ROOT_PASSWORD, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD or MARIADB_RANDOM_ROOT_PASSWORD)"; exit 1
  fi
  if [ -n "$MARIADB_RANDOM_ROOT_PASSWORD" ]; then
    MARIADB_ROOT_PASSWORD="$(head -c 24 /dev/urandom | base64)"
    echo "GENERATED ROOT PASSWORD: $MARIADB_ROOT_PASSWORD"
  fi
  mariadb-install-db --datadir="$DATADIR" --rpm --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve --cross-bootstrap >/dev/null
  "$@" --skip-networking --socket="$SOCKET" --skip-log-bin --loose-innodb_buffer_pool_load_at_startup=0 &
  pid=$!
  for i in $(seq 300); do
    if mariadb --protocol=socket --socket="$SOCKET" -uroot -e 'SELECT 1' >/dev/null 2>&1; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo >&2 "error: the temporary server did not start"; exit 1; fi
    sleep 0.1
  done
  root="$(sql_escape "$MARIADB_ROOT_PASSWORD")"
  {
    echo "SET @@SESSION.SQL_LOG_BIN=0;"
    echo "DELETE FROM mysql.global_priv WHERE user NOT IN ('mariadb.sys', 'root') OR host NOT IN ('localhost');"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$root';"
    if [ "$MARIADB_ROOT_HOST" != localhost ]; then
      echo "CREATE USER 'root'@'$MARIADB_ROOT_HOST' IDENTIFIED BY '$root';"
      echo "GRANT ALL ON *.* TO 'root'@'$MARIADB_ROOT_HOST' WITH GRANT OPTION;"
      echo "GRANT PROXY ON ''@'%' TO 'root'@'$MARIADB_ROOT_HOST' WITH GRANT OPTION;"
    fi
    if [ -n "$MARIADB_DATABASE" ]; then echo "CREATE DATABASE IF NOT EXISTS \\\`$MARIADB_DATABASE\\\`;"; fi
    if [ -n "$MARIADB_USER" ] && [ -n "$MARIADB_PASSWORD" ]; then
      echo "CREATE USER '$MARIADB_USER'@'%' IDENTIFIED BY '$(sql_escape "$MARIADB_PASSWORD")';"
      if [ -n "$MARIADB_DATABASE" ]; then echo "GRANT ALL ON \\\`$(sed 's/_/\\\\_/g' <<<"$MARIADB_DATABASE")\\\`.* TO '$MARIADB_USER'@'%';"; fi
    fi
    echo "FLUSH PRIVILEGES;"
  } | mariadb --protocol=socket --socket="$SOCKET" -uroot --binary-mode
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) . "$f" ;;
      *.sql) MYSQL_PWD="$MARIADB_ROOT_PASSWORD" mariadb --protocol=socket --socket="$SOCKET" -uroot "$MARIADB_DATABASE" < "$f" ;;
    esac
  done
  kill "$pid"; wait "$pid"
  echo "MariaDB init process done. Ready for start up."
fi
unset MARIADB_ROOT_PASSWORD MARIADB_PASSWORD MYSQL_ROOT_PASSWORD MYSQL_PASSWORD
exec "$@"
`;

const MARIADB_DOCKERFILE = `FROM ${DEBIAN_BASE_IMAGE}
RUN ${user("mysql", "/var/lib/mysql")} \\
 && ${APT_PREAMBLE} \\
 && apt-get update && apt-get install -y --no-install-recommends mariadb-server mariadb-client \\
 && rm -rf /var/lib/apt/lists/* /var/lib/mysql/* \\
 && mkdir -p /run/mysqld /docker-entrypoint-initdb.d && chown mysql:mysql /run/mysqld /var/lib/mysql \\
 && printf '[mariadbd]\\nbind-address = 0.0.0.0\\nskip-name-resolve\\nhost-cache-size = 0\\n' > /etc/mysql/mariadb.conf.d/99-berth.cnf
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 0755 /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/mysql
ENTRYPOINT ["docker-entrypoint.sh"]
EXPOSE 3306
CMD ["mariadbd"]
`;

const REDIS_ENTRYPOINT = `#!/usr/bin/env bash
set -e
# As the official image: a first argument that is a flag or a config file is given to redis-server.
if [ "\${1#-}" != "$1" ] || [ "\${1%.conf}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \\! -user redis -exec chown redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
# The official image is built with protected mode off; Debian's is not, so without a config file say it here.
if [ "$1" = redis-server ] && [ "\${2%.conf}" = "\${2:-}" ]; then set -- "$@" --protected-mode no; fi
umask 0077
exec "$@"
`;

const REDIS_DOCKERFILE = `FROM ${DEBIAN_BASE_IMAGE}
RUN ${user("redis", "/data")} \\
 && ${APT_PREAMBLE} \\
 && apt-get update && apt-get install -y --no-install-recommends redis-server redis-tools \\
 && rm -rf /var/lib/apt/lists/*
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 0755 /usr/local/bin/docker-entrypoint.sh
VOLUME /data
WORKDIR /data
ENTRYPOINT ["docker-entrypoint.sh"]
EXPOSE 6379
CMD ["redis-server"]
`;

const RECIPES: Record<DatabaseImageEngine, { dockerfile: string; entrypoint: string }> = {
  postgres: { dockerfile: POSTGRES_DOCKERFILE, entrypoint: POSTGRES_ENTRYPOINT },
  mariadb: { dockerfile: MARIADB_DOCKERFILE, entrypoint: MARIADB_ENTRYPOINT },
  redis: { dockerfile: REDIS_DOCKERFILE, entrypoint: REDIS_ENTRYPOINT },
};

/**
 * BUILD_SCRIPT builds the image unless its tag exists. It runs under `flock`, so callers that ask at the same
 * time (test files in parallel, other processes) build it once: the second waits, then finds the tag.
 */
const BUILD_SCRIPT = `
set -euo pipefail
docker image inspect "$TAG" >/dev/null 2>&1 && exit 0
docker build -q -t "$TAG" "$CONTEXT" >"$CONTEXT/build.log" 2>&1 || { tail -n 40 "$CONTEXT/build.log" >&2; exit 1; }
`;

/**
 * ensureDatabaseImage returns the tag of the engine's local image, building it (from the Debian base image,
 * which it builds too if missing) unless the tag exists; about a minute the first time, nothing afterwards.
 */
export async function ensureDatabaseImage(docker: DockerClient, engine: DatabaseImageEngine, timeoutMs = 600_000): Promise<string> {
  const tag = DATABASE_IMAGES[engine];
  if (await inspectImage(docker, tag)) return tag;
  await ensureDebianBaseImage(timeoutMs);
  const context = await mkdtemp(join(tmpdir(), `berth-${engine}-image-`));
  try {
    await writeFile(join(context, "Dockerfile"), RECIPES[engine].dockerfile);
    await writeFile(join(context, "entrypoint.sh"), RECIPES[engine].entrypoint, { mode: 0o755 });
    await runLocked(`/tmp/berth-database-image-${engine}.lock`, { TAG: tag, CONTEXT: context }, timeoutMs);
  } finally {
    await rm(context, { recursive: true, force: true });
  }
  return tag;
}

function runLocked(lock: string, env: Record<string, string>, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("flock", [lock, "bash", "-c", BUILD_SCRIPT], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
      timeout: timeoutMs,
      killSignal: "SIGKILL",
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`building ${env.TAG} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`));
    });
  });
}
