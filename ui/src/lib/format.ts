/** age prints how long ago a timestamp was, the way `berth get` does (`5s`, `3m`, `2h`, `4d`). */
export function age(timestamp: string | undefined, now = Date.now()): string {
  const then = Date.parse(timestamp ?? "");
  if (!Number.isFinite(then)) return "";
  return duration(Math.max(0, now - then));
}

/** duration prints milliseconds as a short human duration. */
export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 && m < 10 ? `${m}m${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 && h < 10 ? `${h}h${m % 60}m` : `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

/** until prints how far in the future a timestamp is (`in 3d`), or how long ago it passed. */
export function until(timestamp: string | undefined, now = Date.now()): string {
  const then = Date.parse(timestamp ?? "");
  if (!Number.isFinite(then)) return "";
  return then >= now ? `in ${duration(then - now)}` : `${duration(now - then)} ago`;
}

/** bytes prints a size in binary units. */
export function bytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** dateTime prints a timestamp in the reader's locale, with its ISO form kept for a tooltip. */
export function dateTime(timestamp: string | undefined): string {
  const then = Date.parse(timestamp ?? "");
  return Number.isFinite(then) ? new Date(then).toLocaleString() : "";
}

/** flatten turns nested values into `path: value` rows for generic display (spec, status of any kind). */
export function flatten(value: unknown, prefix = "", out: Array<[string, string]> = []): Array<[string, string]> {
  if (value === null || value === undefined) return out;
  if (Array.isArray(value)) {
    if (value.length === 0) out.push([prefix, "[]"]);
    else if (value.every((v) => typeof v !== "object" || v === null)) out.push([prefix, value.map(String).join(", ")]);
    else value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
    return out;
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) out.push([prefix, "{}"]);
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    return out;
  }
  out.push([prefix, String(value)]);
  return out;
}
