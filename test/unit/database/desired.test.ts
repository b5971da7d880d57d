import { test } from "node:test";
import assert from "node:assert/strict";
import { databaseSpec } from "../../../resources/index.ts";
import { ENGINES, buildDatabaseContainer, containerNameOf, defaultVolumeName, imageOf, majorOf, type Engine } from "../../../controllers/database/index.ts";
import { LABELS, objectName } from "../../../controllers/docker/index.ts";

const ref = { kind: "Database", namespace: "shop", name: "main" };
const credentials = { user: "app", password: "s3cret-pw-value", database: "app", rootPassword: "r00t-pw-value" };

test("database images: the official image at spec.version, or spec.image as is", () => {
  assert.equal(imageOf(databaseSpec.parse({ engine: "postgres" })), "postgres:16");
  assert.equal(imageOf(databaseSpec.parse({ engine: "postgres", version: "15.4" })), "postgres:15.4");
  assert.equal(imageOf(databaseSpec.parse({ engine: "mongodb", version: "6" })), "mongo:6");
  assert.equal(imageOf(databaseSpec.parse({ engine: "mariadb" })), "mariadb:11");
  assert.equal(imageOf(databaseSpec.parse({ engine: "mysql" })), "mysql:8.4");
  assert.equal(imageOf(databaseSpec.parse({ engine: "redis", version: "7", image: "registry.local:5000/redis:7.2" })), "registry.local:5000/redis:7.2");
});

test("database majors: the image's version variable first, then the tag", () => {
  assert.equal(majorOf(ENGINES.postgres, "postgres:16.4", []), 16);
  assert.equal(majorOf(ENGINES.postgres, "registry.local:5000/pg:latest", ["PG_MAJOR=15"]), 15);
  assert.equal(majorOf(ENGINES.postgres, "registry.local:5000/pg:latest", []), undefined);
  assert.equal(majorOf(ENGINES.mongodb, "mongo:7", ["MONGO_MAJOR=7.0"]), 7);
  assert.equal(majorOf(ENGINES.redis, "redis:7-alpine", []), 7);
  assert.equal(ENGINES.postgres.upgradable(15, 16), false);
  assert.equal(ENGINES.mariadb.upgradable(10, 11), true);
  assert.equal(ENGINES.mariadb.upgradable(11, 10), false);
  assert.equal(ENGINES.mongodb.upgradable(6, 8), false);
});

test("database container: names, labels, network alias, volume, limits; no password anywhere in the create request", () => {
  for (const engine of Object.keys(ENGINES) as Engine[]) {
    const spec = databaseSpec.parse({ engine, resources: { cpu: "500m", memory: "256Mi" }, expose: { port: 15432 } });
    const profile = ENGINES[engine];
    const { spec: container, hash } = buildDatabaseContainer({ ref, uid: "u-1", spec, profile, image: imageOf(spec), credentials, network: "berth-shop-abc123", volume: defaultVolumeName(ref), instance: "i-1" });
    const json = JSON.stringify(container);
    assert.ok(!json.includes(credentials.password) && !json.includes(credentials.rootPassword), `${engine}: ${json}`);
    assert.equal(container.name, objectName(ref));
    assert.equal(container.name, containerNameOf(ref));
    assert.equal(defaultVolumeName(ref), objectName(ref, "data"));
    assert.equal(container.Labels![LABELS.owner], "Database/shop/main");
    assert.equal(container.Labels![LABELS.instance], "i-1");
    assert.equal(container.Labels!["berth.dev/uid"], "u-1");
    assert.equal(container.Labels![LABELS.specHash], hash);
    assert.deepEqual(container.NetworkingConfig!.EndpointsConfig!["berth-shop-abc123"]!.Aliases, ["main"]);
    assert.deepEqual(container.HostConfig!.Mounts, [{ Type: "volume", Source: defaultVolumeName(ref), Target: profile.dataPath }]);
    assert.equal(container.HostConfig!.NanoCpus, 5e8);
    assert.equal(container.HostConfig!.Memory, 256 * 1024 ** 2);
    assert.deepEqual(container.HostConfig!.PortBindings, { [`${profile.port}/tcp`]: [{ HostPort: "15432" }] });
    assert.equal(container.HostConfig!.RestartPolicy!.Name, "no");
    // Every password is handed over as a file the `*_FILE` variables (or redis' config) point at.
    const files = profile.files(credentials);
    assert.ok(Object.values(files).some((content) => content.includes(credentials.password)), engine);
    for (const check of [profile.readiness(credentials), ...(profile.setPassword ? [profile.setPassword(credentials)] : [])])
      assert.ok(!JSON.stringify(check.cmd).includes(credentials.password), `${engine}: a check's command line holds no password`);
  }
});

test("database container: new credentials are a new container; the same spec is the same hash", () => {
  const spec = databaseSpec.parse({ engine: "postgres" });
  const build = (c: typeof credentials) => buildDatabaseContainer({ ref, uid: "u", spec, profile: ENGINES.postgres, image: "postgres:16", credentials: c, network: "n", volume: "v", instance: "i" }).hash;
  assert.equal(build(credentials), build({ ...credentials }));
  assert.notEqual(build(credentials), build({ ...credentials, password: "other" }));
});
