import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../../lib/logger.ts";

/** LogLine is one parsed pino line. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** captureLogger returns a real pino logger whose lines are kept in `lines` for assertions. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(JSON.parse(line) as LogLine);
      callback();
    },
  });
  return { logger: createLogger({ level: "debug", destination }), lines };
}

/** WARN is pino's numeric level for warnings. */
export const WARN = 40;
