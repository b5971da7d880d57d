import { ageOf } from "../../lib/human-duration.ts";
import { LAST_APPLIED } from "../last-applied.ts";
import { isPlainObject } from "../three-way-merge.ts";
import { TablePrinter } from "./table.ts";

/** EventLike is the part of a core/v1 Event that describe prints. */
export interface EventLike {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  source?: { component?: string };
}

type Obj = Record<string, unknown>;

/** SPECIAL_TITLES are labels whose words are acronyms, as kubectl prints them. */
const SPECIAL_TITLES: Record<string, string> = { uid: "UID", apiVersion: "API Version", url: "URL", imageID: "Image ID", id: "ID", tls: "TLS", cpu: "CPU", sha256: "SHA256" };

/** titleOf turns a field name into kubectl's describe label: `creationTimestamp` → `Creation Timestamp`. */
export function titleOf(key: string): string {
  const special = SPECIAL_TITLES[key];
  if (special) return special;
  const spaced = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

function scalarText(value: unknown): string {
  if (value === null || value === undefined) return "<none>";
  return String(value);
}

/** block renders a map as aligned `Label:  value` lines, nesting maps and lists by two spaces, as kubectl's generic describer does. */
function block(value: Obj, indent: number, lines: string[], now: number): void {
  const entries = Object.entries(value);
  const width = Math.max(0, ...entries.filter(([, v]) => !isNested(v)).map(([k]) => titleOf(k).length + 1));
  const pad = " ".repeat(indent);
  for (const [key, child] of entries) {
    const label = `${titleOf(key)}:`;
    if (key === "conditions" && Array.isArray(child) && child.every(isPlainObject)) {
      lines.push(`${pad}${label}`);
      lines.push(...conditionsTable(child as Obj[], now).map((l) => `${pad}  ${l}`));
    } else if (isPlainObject(child)) {
      lines.push(`${pad}${label}`);
      block(child, indent + 2, lines, now);
    } else if (Array.isArray(child) && child.some((c) => isPlainObject(c) || Array.isArray(c))) {
      lines.push(`${pad}${label}`);
      for (const item of child) {
        if (isPlainObject(item)) block(item, indent + 2, lines, now);
        else lines.push(`${pad}  ${scalarText(item)}`);
      }
    } else if (Array.isArray(child)) {
      lines.push(`${pad}${label.padEnd(width + 2)}${child.length === 0 ? "<none>" : child.map(scalarText).join(", ")}`);
    } else {
      lines.push(`${pad}${label.padEnd(width + 2)}${scalarText(child)}`);
    }
  }
}

function isNested(value: unknown): boolean {
  return isPlainObject(value) || (Array.isArray(value) && value.some((c) => isPlainObject(c) || Array.isArray(c)));
}

function conditionsTable(conditions: Obj[], now: number): string[] {
  const rows = conditions.map((c) => [scalarText(c.type), scalarText(c.status), scalarText(c.reason), ageOf(c.lastTransitionTime as string | undefined, now), String(c.message ?? "")]);
  const header = ["Type", "Status", "Reason", "Age", "Message"];
  const rule = header.map((h) => "-".repeat(h.length));
  return new TablePrinter().format([header, rule, ...rows]).trimEnd().split("\n");
}

function mapLines(label: string, map: unknown, skip: readonly string[] = []): string[] {
  const entries = isPlainObject(map) ? Object.entries(map).filter(([k]) => !skip.includes(k)) : [];
  if (entries.length === 0) return [`${label}<none>`];
  const pad = " ".repeat(label.length);
  return entries.map(([k, v], i) => `${i === 0 ? label : pad}${k}=${String(v)}`);
}

/** eventsSection renders the `Events:` part: a table of the object's events, oldest first. */
export function eventsSection(events: readonly EventLike[], now: number = Date.now()): string[] {
  if (events.length === 0) return ["Events:  <none>"];
  const sorted = [...events].sort((a, b) => Date.parse(a.lastTimestamp ?? "") - Date.parse(b.lastTimestamp ?? ""));
  const rows = sorted.map((e) => {
    const last = ageOf(e.lastTimestamp, now);
    const age = (e.count ?? 1) > 1 ? `${last} (x${e.count} over ${ageOf(e.firstTimestamp, now)})` : last;
    return [e.type ?? "", e.reason ?? "", age, e.source?.component ?? "", e.message ?? ""];
  });
  const header = ["Type", "Reason", "Age", "From", "Message"];
  const table = new TablePrinter().format([header, header.map((h) => "-".repeat(h.length)), ...rows]).trimEnd().split("\n");
  return ["Events:", ...table.map((l) => `  ${l}`)];
}

/**
 * describeObject renders an object for `berth describe`: name, namespace, labels and annotations (without the
 * last-applied configuration, as kubectl), then every other field as an indented block with conditions as a
 * table, then the events. A Secret shows its keys and their sizes, never their values.
 */
export function describeObject(object: Obj, events: readonly EventLike[], now: number = Date.now()): string {
  const metadata = isPlainObject(object.metadata) ? object.metadata : {};
  const lines = [`Name:         ${scalarText(metadata.name)}`, `Namespace:    ${scalarText(metadata.namespace)}`];
  lines.push(...mapLines("Labels:       ", metadata.labels));
  lines.push(...mapLines("Annotations:  ", metadata.annotations, [LAST_APPLIED]));
  if (object.kind === "Secret") {
    lines.push("", `Type:  ${scalarText(object.type ?? "Opaque")}`, "", "Data", "====");
    const data = isPlainObject(object.data) ? object.data : {};
    for (const [key, value] of Object.entries(data)) lines.push(`${key}:  ${Buffer.from(String(value), "base64").length} bytes`);
  } else {
    const { annotations: _a, labels: _l, name: _n, namespace: _ns, managedFields: _m, ...restMeta } = metadata;
    const rest: Obj = { apiVersion: object.apiVersion, kind: object.kind, metadata: restMeta };
    for (const [key, value] of Object.entries(object)) if (!["apiVersion", "kind", "metadata"].includes(key)) rest[key] = value;
    const body: string[] = [];
    block(rest, 0, body, now);
    lines.push(...body);
  }
  lines.push(...eventsSection(events, now));
  return `${lines.join("\n")}\n`;
}
