/**
 * DetectionError is a source directory whose stack is recognised but cannot be built as it is: a Node app
 * with neither a start script nor a `main`, a Python app with no entry point. Its message says what to add.
 */
export class DetectionError extends Error {
  override name = "DetectionError";
}
