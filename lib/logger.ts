import { pino, type Logger } from "pino";

export type { Logger };

/** SECRET_PATHS are redacted in every log line, whatever logs them: values of Secrets and credentials. */
const SECRET_PATHS = ["*.data", "*.stringData", "*.token", "*.password", "*.authorization", "*.headers.authorization", "req.headers.authorization"];

/**
 * createLogger returns the one structured JSON-lines logger of a process. Child loggers carry context
 * (`controller`, `key`, `reconcileId`). Level from `BERTH_LOG_LEVEL` (default `info`).
 */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream; name?: string } = {}): Logger {
  const level = options.level ?? process.env.BERTH_LOG_LEVEL ?? "info";
  return pino(
    { level, base: options.name ? { name: options.name } : null, redact: { paths: SECRET_PATHS, censor: "[redacted]" }, timestamp: pino.stdTimeFunctions.isoTime },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/** silentLogger discards everything (for unit tests that do not assert on logs). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
