import { test } from "node:test";
import assert from "node:assert/strict";
import { BerthError } from "../../../lib/errors.ts";
import { ConflictError, ValidationError } from "../../../resources/errors.ts";
import { DockerError, ImageNotFoundError } from "../../../controllers/docker/errors.ts";
import { ReconcileTimeoutError } from "../../../controllers/runtime/errors.ts";
import { UnauthorizedError } from "../../../api/http-errors.ts";
import { ServerError, UsageError, errorLine } from "../../../cli/errors.ts";

test("every layer's errors share the base class and keep their names, messages, causes and fields", () => {
  const cause = new Error("socket hang up");
  const errors = [
    new ValidationError("spec.replicas: expected number", [{ field: "spec.replicas", message: "expected number" }]),
    new ConflictError("stale resourceVersion", { cause }),
    new DockerError("no such container", 404, { cause }),
    new ImageNotFoundError("nginx:9", "image nginx:9 not found"),
    new ReconcileTimeoutError("App/default/web", 30_000),
    new UnauthorizedError("no token"),
    new UsageError("unknown kind"),
    new ServerError(409, { reason: "Conflict", message: "the object has been modified" }),
  ];
  for (const error of errors) {
    assert.ok(error instanceof BerthError && error instanceof Error, error.name);
    assert.equal(error.name, error.constructor.name);
    assert.match(String(error), new RegExp(`^${error.name}: `));
    assert.ok(error.stack?.includes(error.message));
  }
  assert.equal(errors[1]!.cause, cause);
  assert.deepEqual((errors[0] as ValidationError).causes, [{ field: "spec.replicas", message: "expected number" }]);
  assert.equal((errors[2] as DockerError).statusCode, 404);
  assert.equal((errors[3] as ImageNotFoundError).image, "nginx:9");
  assert.equal((errors[4] as ReconcileTimeoutError).message, "reconcile of App/default/web timed out after 30000ms");
  assert.equal((errors[7] as ServerError).code, 409);
  assert.equal(errorLine(errors[7]), "Error from server (Conflict): the object has been modified");
  // Classes stay distinct: a Docker error is not a resources error.
  assert.ok(!(errors[2] instanceof ConflictError));
});
