import type { ProxyLog } from "./log.ts";
import type { LogRecord } from "./ipc.ts";

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;

/**
 * threadLog is a proxy thread's logger: each record at or above `level` is posted to the daemon's thread, which
 * writes it with its own logger (one output, one format, secrets redacted there). A thread thus loads no logging
 * library. An error in the fields is sent as its name, message, code and stack (what the daemon's logger prints).
 */
export function threadLog(level: string, post: (record: LogRecord) => void): ProxyLog {
  const threshold = LEVELS[level as keyof typeof LEVELS] ?? LEVELS.info;
  const make = (name: LogRecord["level"]) => (first: unknown, second?: unknown) => {
    if (LEVELS[name] < threshold) return;
    const fields = typeof first === "object" && first !== null ? plain(first as Record<string, unknown>) : {};
    const message = typeof first === "string" ? first : typeof second === "string" ? second : "";
    post({ type: "log", level: name, fields, message });
  };
  return { debug: make("debug"), info: make("info"), warn: make("warn"), error: make("error") } as ProxyLog;
}

function plain(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) out[key] = { type: value.name, message: value.message, stack: value.stack, ...("code" in value ? { code: (value as { code: unknown }).code } : {}) };
    else if (typeof value !== "function" && typeof value !== "symbol") out[key] = value;
  }
  return out;
}
