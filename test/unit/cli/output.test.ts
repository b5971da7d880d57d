import { test } from "node:test";
import assert from "node:assert/strict";
import { TablePrinter, cellText, formatTable, tableView, type ServerTable } from "../../../cli/output/table.ts";
import { asList, formatObject } from "../../../cli/output/objects.ts";
import { describeObject, eventsSection, titleOf } from "../../../cli/output/describe-format.ts";
import { eventHeaders, eventRow } from "../../../cli/verbs/events.ts";
import { LAST_APPLIED } from "../../../cli/last-applied.ts";

const table: ServerTable = {
  kind: "Table",
  columnDefinitions: [
    { name: "Name", format: "name", priority: 0 },
    { name: "Ready", priority: 0 },
    { name: "Age", priority: 0 },
    { name: "Reason", priority: 1 },
  ],
  rows: [
    { cells: ["web", "True", "5m", "ReplicasReady"], object: { metadata: { name: "web", namespace: "default" } } },
    { cells: ["api-server", "Unknown", "10s", null], object: { metadata: { name: "api-server", namespace: "prod" } } },
  ],
};

test("tables look like kubectl's: upper-case headers, columns padded by three, no trailing blanks", () => {
  assert.equal(
    formatTable(tableView(table)),
    ["NAME         READY     AGE", "web          True      5m", "api-server   Unknown   10s", ""].join("\n"),
  );
});

test("-o wide adds priority-1 columns, -A adds NAMESPACE, get all prefixes names; a missing cell prints <none>", () => {
  const view = tableView(table, { wide: true, withNamespace: true, namePrefix: "app.berth.dev/" });
  assert.deepEqual(view.headers, ["NAMESPACE", "NAME", "READY", "AGE", "REASON"]);
  assert.deepEqual(view.rows[0], ["default", "app.berth.dev/web", "True", "5m", "ReplicasReady"]);
  assert.deepEqual(view.rows[1], ["prod", "app.berth.dev/api-server", "Unknown", "10s", "<none>"]);
  assert.equal(cellText(3), "3");
  assert.equal(cellText(undefined), "<none>");
});

test("a TablePrinter keeps its widths so rows printed later by a watch line up", () => {
  const printer = new TablePrinter();
  const first = printer.format([["NAME", "READY", "AGE"], ["web", "True", "1s"]]);
  const later = printer.format([["web", "False", "2s"]]);
  assert.equal(first.split("\n")[0]!.indexOf("READY"), later.indexOf("False"));
  assert.equal(first.split("\n")[0]!.indexOf("AGE"), later.indexOf("2s"));
});

test("-o yaml and -o json print sorted keys, lists as kind List, YAML with kubectl's quoting", async () => {
  const obj = { spec: { image: "x" }, metadata: { name: "a", creationTimestamp: "2026-01-01T00:00:00Z" }, kind: "App", apiVersion: "berth.dev/v1" };
  const yaml = await formatObject(asList([obj]), "yaml");
  assert.equal(yaml, [
    "apiVersion: v1", "items:", "- apiVersion: berth.dev/v1", "  kind: App", "  metadata:", '    creationTimestamp: "2026-01-01T00:00:00Z"', "    name: a",
    "  spec:", "    image: x", "kind: List", "metadata:", '  resourceVersion: ""', "",
  ].join("\n"));
  const json = await formatObject(obj, "json");
  assert.ok(json.startsWith('{\n    "apiVersion": "berth.dev/v1",\n    "kind": "App",'));
  assert.deepEqual(JSON.parse(json), obj);
});

test("describe shows metadata, spec and status as blocks, conditions as a table, and events last", () => {
  const now = Date.parse("2026-01-01T01:00:00Z");
  const text = describeObject({
    apiVersion: "berth.dev/v1", kind: "App",
    metadata: { name: "web", namespace: "default", uid: "u-1", labels: { app: "web", tier: "front" }, annotations: { [LAST_APPLIED]: "{}\n", note: "hi" } },
    spec: { image: "nginx", replicas: 2, command: ["a", "b"], env: [{ name: "A", value: "1" }] },
    status: { observedGeneration: 1, conditions: [{ type: "Ready", status: "True", reason: "ReplicasReady", message: "2/2 ready", lastTransitionTime: "2026-01-01T00:55:00Z" }] },
  }, [{ type: "Normal", reason: "Scaled", message: "scaled to 2", count: 3, firstTimestamp: "2026-01-01T00:50:00Z", lastTimestamp: "2026-01-01T00:59:00Z", source: { component: "app-controller" } }], now);
  const lines = text.split("\n");
  assert.deepEqual(lines.slice(0, 5), ["Name:         web", "Namespace:    default", "Labels:       app=web", "              tier=front", "Annotations:  note=hi"]);
  assert.ok(!text.includes(LAST_APPLIED), "the last-applied configuration is not shown");
  assert.ok(lines.includes("API Version:  berth.dev/v1"));
  assert.ok(lines.includes("  UID:  u-1"));
  assert.ok(lines.includes("  Command:   a, b"));
  assert.ok(lines.includes("    Name:   A"));
  assert.match(text, /  Conditions:\n    Type    Status   Reason          Age   Message\n    ----    ------   ------          ---   -------\n    Ready   True     ReplicasReady   5m    2\/2 ready\n/);
  assert.match(text, /Events:\n  Type     Reason   Age                 From             Message\n  ----     ------   ---                 ----             -------\n  Normal   Scaled   60s \(x3 over 10m\)   app-controller   scaled to 2\n$/);
  assert.equal(eventsSection([]).join("\n"), "Events:  <none>");
  assert.equal(titleOf("progressDeadlineSeconds"), "Progress Deadline Seconds");
});

test("describe never prints a Secret's values, only their sizes", () => {
  const text = describeObject({ apiVersion: "berth.dev/v1", kind: "Secret", metadata: { name: "s", namespace: "default" }, type: "Opaque", data: { password: Buffer.from("hunter22").toString("base64") } }, []);
  assert.ok(text.includes("password:  8 bytes"));
  assert.ok(!text.includes(Buffer.from("hunter22").toString("base64")) && !text.includes("hunter22"));
});

test("event rows are LAST SEEN, TYPE, REASON, OBJECT, MESSAGE (NAMESPACE first with -A)", () => {
  const now = Date.parse("2026-01-01T00:01:00Z");
  const event = { metadata: { namespace: "prod" }, involvedObject: { kind: "App", name: "web" }, type: "Warning", reason: "Unhealthy", message: "probe\nfailed", lastTimestamp: "2026-01-01T00:00:30Z" };
  assert.deepEqual(eventRow(event, false, now), ["30s", "Warning", "Unhealthy", "app/web", "probe failed"]);
  assert.deepEqual(eventRow(event, true, now)[0], "prod");
  assert.deepEqual(eventHeaders(true), ["NAMESPACE", "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]);
});
