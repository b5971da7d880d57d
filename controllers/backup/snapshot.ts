import type { Engine } from "./engines.ts";
import { FORMATS } from "./engines.ts";

/** Manifest is the small JSON file written next to each snapshot once it is complete and verified. */
export interface Manifest {
  id: string;
  engine: Engine;
  database: string;
  /** file is the snapshot's file name (or object key's last part), next to the manifest. */
  file: string;
  /** bytes and sha256 are of the stored bytes (encrypted ones when encrypted). */
  bytes: number;
  sha256: string;
  verified: boolean;
  encrypted: boolean;
  created: string;
}

/**
 * snapshotId names a snapshot by its start time in UTC, `20261207-200512-123`: ids sort by time as strings,
 * and one Backup never runs twice in the same millisecond (runs of one Backup do not overlap).
 */
export function snapshotId(at: Date): string {
  const iso = at.toISOString(); // 2026-12-07T20:05:12.123Z
  return `${iso.slice(0, 10).replaceAll("-", "")}-${iso.slice(11, 19).replaceAll(":", "")}-${iso.slice(20, 23)}`;
}

/** SNAPSHOT_ID matches what snapshotId makes, for input checks. */
export const SNAPSHOT_ID = /^\d{8}-\d{6}-\d{3}$/;

/** snapshotFile is the snapshot's file name: the id, the engine's format, and `.enc` when encrypted. */
export function snapshotFile(id: string, engine: Engine, encrypted: boolean): string {
  return `${id}.${FORMATS[engine]}${encrypted ? ".enc" : ""}`;
}

/** manifestFile is the manifest's file name next to the snapshot. */
export function manifestFile(id: string): string {
  return `${id}.json`;
}

/** parseManifest reads a manifest, or undefined when the text is not one. */
export function parseManifest(text: string): Manifest | undefined {
  try {
    const m = JSON.parse(text) as Partial<Manifest>;
    if (typeof m.id !== "string" || !SNAPSHOT_ID.test(m.id) || typeof m.file !== "string" || typeof m.sha256 !== "string" || typeof m.bytes !== "number") return undefined;
    return m as Manifest;
  } catch {
    return undefined;
  }
}
