import { test } from "node:test";
import assert from "node:assert/strict";
import { DockerError, isStaleTask } from "../../../controllers/docker/index.ts";

// The messages are Docker's own, as dockerode reports them after a dockerd restart left containerd's state behind.
test("isStaleTask recognises Docker's stale containerd task on start", () => {
  const id = "b27e32db4a9f89c5068e3ac83d8ab7746cb2775fb23b30d8085bb6f8a3951bdf";
  assert.ok(isStaleTask(new DockerError(`start container ${id}: (HTTP code 500) server error - task ${id}: already exists `, 500)));
  assert.ok(isStaleTask(new DockerError(`start container ${id}: (HTTP code 500) server error - container "${id}": already exists`, 500)));
  assert.ok(isStaleTask(new DockerError(`start container ${id}: (HTTP code 500) server error - OCI runtime create failed: container with id exists: id already in use`, 500)));
});

test("isStaleTask leaves every other start failure alone", () => {
  assert.equal(isStaleTask(new DockerError("start container x: (HTTP code 500) server error - driver failed programming external connectivity: Bind for 0.0.0.0:80 failed: port is already allocated", 500)), false);
  assert.equal(isStaleTask(new DockerError("start container x: (HTTP code 404) no such container", 404)), false);
  assert.equal(isStaleTask(new DockerError("create container x: (HTTP code 409) conflict - name already exists", 409)), false);
  assert.equal(isStaleTask(new Error("already exists")), false);
  assert.equal(isStaleTask(undefined), false);
});
