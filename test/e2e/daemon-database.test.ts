import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "nats";
import { REPO, startDaemon, eventually, removeDirs } from "../support/daemon.ts";
import { runCli } from "../support/run-cli.ts";
import { connectTestDocker, randomNamespace, cleanupNamespace, SKIP_NO_DOCKER } from "../support/docker.ts";
import { dependencyMissing } from "../support/ci.ts";
import { startTestNats } from "../support/nats.ts";
import { ensureDatabaseImage } from "../support/database-images.ts";
import { containerNameOf } from "../../controllers/database/index.ts";
import { listContainers, ownerFilter, tailLogs } from "../../controllers/docker/index.ts";

/**
 * The example Database and an App reading its DATABASE_URL, through berthd and the `berth` CLI only. No
 * registry is reachable here, so the example's `version: "16"` becomes the local Postgres image, and the App
 * runs psql from that image instead of nginx.
 */
test("berthd: the example Database becomes Ready, an App connects with its DATABASE_URL, and the password is in no log, event, NATS message or container configuration", { timeout: 240_000 }, async (t) => {
  const docker = await connectTestDocker();
  if (!docker) return dependencyMissing(t, SKIP_NO_DOCKER);
  const image = await ensureDatabaseImage(docker, "postgres");
  const namespace = randomNamespace("e2e-db");
  const nats = await startTestNats(t);
  const seen: string[] = [];
  const nc = await connect({ servers: nats.url });
  nc.subscribe(">", { callback: (_err, msg) => seen.push(`${msg.subject} ${new TextDecoder().decode(msg.data)}`) });
  const daemon = await startDaemon({ args: ["--nats-url", nats.url] });
  const work = await mkdtemp(join(tmpdir(), "berth-e2e-db-"));
  t.after(async () => {
    await daemon.stop();
    await nc.close();
    await cleanupNamespace(docker, namespace);
    await removeDirs(daemon.dataDir, daemon.clientDir, work);
  });
  const berth = (...args: string[]) => runCli([...args, "-n", namespace], { env: { ...daemon.env, HOME: work } });

  const example = await readFile(join(REPO, "examples", "database.yaml"), "utf8");
  assert.match(example, /version: "16"/);
  await writeFile(join(work, "database.yaml"), example.replace(/version: "16".*/, `image: ${image}`));
  await writeFile(join(work, "app.yaml"), [
    "apiVersion: berth.dev/v1",
    "kind: App",
    "metadata: {name: web}",
    "spec:",
    `  image: ${image}`,
    "  command: [sh, -c, 'while true; do echo \"db: $(psql \"$DATABASE_URL\" -X -w -tAc \"select current_user || chr(64) || current_database()\" 2>&1)\"; sleep 0.5; done']",
    "  env:",
    "    - name: DATABASE_URL",
    "      valueFrom: {databaseRef: {name: main, key: url}}",
    "",
  ].join("\n"));
  const applied = await berth("apply", "-f", work);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /database\.berth\.dev\/main created/);

  const started = Date.now();
  const table = await eventually(async () => {
    const out = (await berth("get", "databases")).stdout;
    if (!/^main\s+True\s+postgres\s/m.test(out)) throw new Error(out);
    return out;
  }, { timeoutMs: 120_000, what: "berth get databases to show main Ready" });
  t.diagnostic(`apply → Ready (seen by the CLI) in ${Date.now() - started}ms`);
  assert.match(table, /^NAME\s+READY\s+ENGINE\s+AGE/m);
  const wide = (await berth("get", "databases", "-o", "wide")).stdout;
  assert.match(wide, /^main\s+True\s+postgres\s+\S+\s+main:5432\s+Ready$/m);

  // The App starts once the Database is Ready, and reaches it as user app, database app.
  await eventually(async () => {
    const [c] = await listContainers(docker, ownerFilter({ kind: "App", namespace, name: "web" }), undefined, false);
    return c !== undefined && (await tailLogs(docker, c.id, 10)).includes("db: app@app");
  }, { timeoutMs: 60_000, what: "the App to log its connection" });

  const secret = JSON.parse((await berth("get", "secret", "main-credentials", "-o", "json")).stdout) as { data: Record<string, string> };
  const password = Buffer.from(secret.data.password!, "base64").toString("utf8");
  assert.ok(password.length >= 40);

  const info = await docker.getContainer(containerNameOf({ kind: "Database", namespace, name: "main" })).inspect();
  assert.ok(!JSON.stringify(info).includes(password), "docker inspect of the Database's container shows no password");
  const events = await berth("events");
  assert.equal(events.code, 0, events.stderr);
  assert.match(events.stdout, /Database\/main|database\/main|main/);
  assert.ok(!events.stdout.includes(password), "no event carries the password");
  const described = await berth("describe", "database", "main");
  assert.ok(!described.stdout.includes(password));
  assert.ok(!daemon.logs().includes(password), "berthd's log never shows the password");
  await nc.flush();
  assert.ok(seen.length > 0, "NATS carried messages");
  assert.ok(seen.some((m) => m.includes("main-credentials")), "the Secret's change was published (without its values)");
  assert.deepEqual(seen.filter((m) => m.includes(password)).map((m) => m.split(" ")[0]), [], "no NATS message carries the password");

  const deleted = await berth("delete", "database", "main");
  assert.equal(deleted.code, 0, deleted.stderr);
  await eventually(async () => (await berth("get", "database", "main")).code === 1, { timeoutMs: 60_000, what: "the Database to be gone" });
});
