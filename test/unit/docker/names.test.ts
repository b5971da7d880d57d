import { test } from "node:test";
import assert from "node:assert/strict";
import {
  LABELS, NameConflictError, assertOwnedBy, legacyObjectName, namespaceNetworkName, objectName, ownedBy, ownerLabels,
} from "../../../controllers/docker/index.ts";
import { formatCidr, freeSubnet, overlaps, parseAddressPool, parseCidr } from "../../../controllers/docker/address-pool.ts";

test("names: objects whose namespace and name join to the same text get different names", () => {
  const a = { kind: "App", namespace: "shop-x", name: "c" };
  const b = { kind: "App", namespace: "shop", name: "x-c" };
  assert.equal(legacyObjectName(a, 1, 0), legacyObjectName(b, 1, 0), "the old scheme was ambiguous");
  assert.notEqual(objectName(a, 1, 0), objectName(b, 1, 0));
  assert.match(objectName(a, 1, 0), /^berth-shop-x-c-[0-9a-f]{6}-1-0$/);
  assert.notEqual(objectName({ kind: "Database", namespace: "shop", name: "web" }), objectName({ kind: "App", namespace: "shop", name: "web" }), "kinds differ too");
  assert.notEqual(namespaceNetworkName("shop-x"), namespaceNetworkName("shop"));
  assert.match(namespaceNetworkName("shop"), /^berth-shop-[0-9a-f]{6}$/);
  assert.equal(objectName(a, 1, 0), objectName({ ...a }, 1, 0), "deterministic");
});

test("ownership: only an owner label naming exactly the object proves ownership", () => {
  const owner = { kind: "App", namespace: "shop", name: "web" };
  assert.equal(ownedBy(ownerLabels(owner), owner), true);
  assert.equal(ownedBy({ ...ownerLabels(owner), [LABELS.owner]: "App/shop-x/web" }, owner), false);
  assert.equal(ownedBy(undefined, owner), false);
  assert.throws(() => assertOwnedBy("container", "n", { [LABELS.owner]: "App/other/web" }, owner), (err: unknown) => err instanceof NameConflictError && /belongs to App\/other\/web/.test(err.message));
  assert.throws(() => assertOwnedBy("volume", "n", {}, owner), /no Berth owner label/);
});

test("address pool: /24s carved from a /16, skipping every subnet already taken, and none past the end", () => {
  const pool = parseAddressPool("10.212.0.0/16");
  assert.equal(pool.subnetPrefix, 24);
  assert.equal(formatCidr(freeSubnet(pool, [])!), "10.212.0.0/24");
  const taken = [parseCidr("10.212.0.0/24"), parseCidr("10.212.1.128/25"), parseCidr("172.17.0.0/16")];
  assert.equal(formatCidr(freeSubnet(pool, taken)!), "10.212.2.0/24");
  assert.equal(freeSubnet(pool, [parseCidr("10.0.0.0/8")]), undefined, "a wider network covering the pool takes all of it");
  const all = Array.from({ length: 256 }, (_, i) => parseCidr(`10.212.${i}.0/24`));
  assert.equal(freeSubnet(pool, all), undefined);
  assert.equal(overlaps(parseCidr("10.212.3.0/24"), parseCidr("10.212.0.0/16")), true);
  assert.equal(overlaps(parseCidr("10.213.0.0/24"), parseCidr("10.212.0.0/16")), false);
  assert.equal(parseAddressPool("10.0.0.0/8/26").subnetPrefix, 26);
  assert.throws(() => parseAddressPool("10.0.0.0/33"), RangeError);
  assert.throws(() => parseAddressPool("10.0.0.0/16/8"), /subnet size/);
  assert.throws(() => parseAddressPool("fd00::/64"), RangeError);
});
