/**
 * IN_CI is true when the suite runs under CI (`CI=true`): there, every dependency a test needs (Docker, NATS,
 * Pebble, kubectl) is installed and started by scripts/test.sh, so a missing one is a failure, not a skip.
 */
export const IN_CI = process.env.CI === "true";

/** MissingDependencyError fails a test under CI whose dependency cannot be found. */
export class MissingDependencyError extends Error {
  override name = "MissingDependencyError";
}

/**
 * dependencyMissing ends a test whose dependency is not there: under CI it throws MissingDependencyError (the
 * test fails, saying what is missing and how to install it); elsewhere it skips the test, loudly. Call it as
 * `return dependencyMissing(t, reason)`.
 */
export function dependencyMissing(t: { skip(message?: string): void; diagnostic(message: string): void }, reason: string): undefined {
  if (IN_CI) throw new MissingDependencyError(`CI=true, and a dependency of this test is missing: ${reason}`);
  t.diagnostic(reason);
  t.skip(reason);
  return undefined;
}

/**
 * skipUnlessCi is a `test(..., { skip })` option for a dependency checked before the test starts: the skip
 * reason outside CI, and false under CI, where the test must then fail on its own (see dependencyMissing).
 */
export function skipUnlessCi(reason: string | undefined): string | false {
  return reason !== undefined && !IN_CI ? reason : false;
}
