import { UsageError } from "./errors.ts";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** parseDuration reads a flag duration as kubectl does: `500ms`, `30s`, `5m`, `1h30m`; a bare number is seconds. */
export function parseDuration(text: string, flag = "--timeout"): number {
  const value = text.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== value) throw new UsageError(`invalid ${flag} value "${text}": use a duration such as 30s, 5m or 1h`);
  return parts.reduce((total, p) => total + Number(p[1]) * UNITS[p[2]!]!, 0);
}
