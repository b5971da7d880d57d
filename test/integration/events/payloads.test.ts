import assert from "node:assert/strict";
import { test } from "node:test";
import { admit } from "../../../resources/index.ts";
import { encodeChange, encodeEvent, redactForBus, type ChangeMessage } from "../../../controllers/events/payloads.ts";
import { changeSubject, eventsFilter, subjectToken } from "../../../controllers/events/subjects.ts";
import { compileEventSelector } from "../../../controllers/events/event-selector.ts";
import type { KubeEvent } from "../../../controllers/events/types.ts";

test("subject tokens escape what NATS would read as separators or wildcards", () => {
  assert.equal(subjectToken("web"), "web");
  assert.equal(subjectToken("a.b*c>d e"), "a_b_c_d_e");
  assert.equal(subjectToken(""), "_");
  assert.equal(changeSubject("default", "App", "web"), "berth.changes.default.App.web");
  assert.equal(eventsFilter("prod"), "berth.events.prod.>");
  assert.equal(eventsFilter(), "berth.events.>");
});

test("redactForBus strips a Secret's values and last-applied annotation, and leaves other kinds alone", () => {
  const secret = admit({
    apiVersion: "berth.dev/v1", kind: "Secret",
    metadata: { name: "s", annotations: { "kubectl.kubernetes.io/last-applied-configuration": '{"stringData":{"k":"v"}}' } },
    stringData: { k: "v" },
  });
  const redacted = redactForBus(secret);
  assert.equal(redacted.data, undefined);
  assert.equal(redacted.stringData, undefined);
  assert.equal(redacted.metadata.annotations, undefined);
  assert.deepEqual(secret.data, { k: "dg==" }, "the original is not changed");
  const app = admit({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "web" }, spec: { image: "nginx" } });
  assert.equal(redactForBus(app), app);
});

test("a change too large for one message carries the object's identity only", () => {
  const app = admit({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "web", uid: "u1", resourceVersion: "7", annotations: { big: "x".repeat(5000) } }, spec: { image: "nginx" } });
  const whole = JSON.parse(Buffer.from(encodeChange({ type: "MODIFIED", revision: 7, object: app }, 1_000_000).data).toString()) as ChangeMessage;
  assert.equal(whole.truncated, undefined);
  assert.equal(whole.object.metadata.annotations?.big?.length, 5000);
  const message = encodeChange({ type: "MODIFIED", revision: 7, object: app }, 1000);
  const small = JSON.parse(Buffer.from(message.data).toString()) as ChangeMessage;
  assert.ok(message.data.length < 1000);
  assert.deepEqual(small, { type: "MODIFIED", revision: 7, truncated: true, object: { apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "web", namespace: "default", uid: "u1", resourceVersion: "7" } } });
});

test("event field selectors match Kubernetes' event fields and reject others", () => {
  const event = JSON.parse(Buffer.from(encodeEvent({
    apiVersion: "v1", kind: "Event",
    metadata: { name: "web.1", namespace: "default", uid: "e1", resourceVersion: "1", creationTimestamp: "2026-01-01T00:00:00Z" },
    involvedObject: { apiVersion: "berth.dev/v1", kind: "App", name: "web", namespace: "default", uid: "u1" },
    type: "Warning", reason: "BackOff", message: "m", count: 1, firstTimestamp: "2026-01-01T00:00:00Z", lastTimestamp: "2026-01-01T00:00:00Z",
    source: { component: "app-controller" },
  }).data).toString()) as KubeEvent;
  const matches = (selector: string) => compileEventSelector(selector)(event);
  assert.equal(matches(""), true);
  assert.equal(matches("involvedObject.kind=App,involvedObject.name=web"), true);
  assert.equal(matches("involvedObject.kind=App,involvedObject.name=api"), false);
  assert.equal(matches("type!=Normal"), true);
  assert.equal(matches("source=app-controller"), true);
  assert.equal(matches("involvedObject.resourceVersion="), true, "a missing field compares as empty, as in Kubernetes");
  assert.throws(() => compileEventSelector("message=m"), { name: "BadRequestError" });
  assert.throws(() => compileEventSelector("reason"), { name: "BadRequestError" });
});
