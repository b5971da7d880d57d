import { test } from "node:test";
import assert from "node:assert/strict";
import { kinds } from "../../../resources/index.ts";
import { kindNames, lookupKind, parseRefs, qualifiedName, quotedName, resourcePath } from "../../../cli/kind-names.ts";
import { UsageError } from "../../../cli/errors.ts";

test("the CLI's kind table matches the registry (it exists only so the CLI starts without zod)", () => {
  assert.deepEqual(
    kindNames.map((k) => ({ kind: k.kind, plural: k.plural, singular: k.singular, shortNames: [...k.shortNames] })),
    kinds.map((k) => ({ kind: k.kind, plural: k.plural, singular: k.singular, shortNames: [...k.shortNames] })),
  );
});

test("kinds resolve from kubectl-style names, plurals and short names, case-insensitively", () => {
  const cases: [string, string][] = [
    ["app", "App"], ["apps", "App"], ["App", "App"], ["apps.berth.dev", "App"],
    ["db", "Database"], ["database", "Database"], ["databases", "Database"],
    ["dom", "Domain"], ["domains", "Domain"], ["bk", "Backup"], ["backups", "Backup"],
    ["secret", "Secret"], ["SECRETS", "Secret"],
  ];
  for (const [typed, kind] of cases) assert.equal(lookupKind(typed)?.kind, kind, typed);
  assert.equal(lookupKind("pods"), undefined);
});

test("positional arguments work as `KIND NAME...` and as `KIND/NAME...`", () => {
  const spaced = parseRefs(["db", "main", "other"]);
  assert.equal(spaced.kind?.kind, "Database");
  assert.deepEqual(spaced.refs.map((r) => r.name), ["main", "other"]);
  const slashed = parseRefs(["app/web", "dom/www"]);
  assert.deepEqual(slashed.refs.map((r) => `${r.kind.kind}/${r.name}`), ["App/web", "Domain/www"]);
  assert.equal(parseRefs(["apps"]).refs.length, 0);
  assert.throws(() => parseRefs(["app/"]), UsageError);
  assert.throws(() => parseRefs(["pods", "x"]), /the server doesn't have a resource type "pods"/);
});

test("names and paths are printed the way kubectl prints them", () => {
  const app = lookupKind("app")!;
  assert.equal(qualifiedName(app, "web"), "app.berth.dev/web");
  assert.equal(quotedName(app, "web"), 'app.berth.dev "web"');
  assert.equal(resourcePath(app, "prod", "web"), "/apis/berth.dev/v1/namespaces/prod/apps/web");
  assert.equal(resourcePath(app, undefined), "/apis/berth.dev/v1/apps");
});
