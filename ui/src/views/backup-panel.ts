import { html } from "../lib/html.ts";
import { bytes, dateTime, duration, until } from "../lib/format.ts";
import type { BerthObject } from "../lib/objects.ts";
import { Fields, ScrollTable, Section, Time } from "./common.ts";

/** Run is one backup run; fields beyond these (added by newer daemons) are shown too. */
interface Run {
  id: string;
  startedAt: string;
  finishedAt?: string;
  result: string;
  bytes?: number;
  sha256?: string;
  location?: string;
  message?: string;
  step?: string;
  verified?: boolean | string;
  [field: string]: unknown;
}

/** KNOWN are the run fields with a column of their own. */
const KNOWN = new Set(["id", "startedAt", "finishedAt", "result", "bytes", "sha256", "location", "message", "step", "verified", "verification", "durationSeconds"]);

/** BackupSummary: schedule, target and next run, then every run with size, duration, verification and, for failures, the step and error. */
export function BackupSummary({ backup, now }: { backup: BerthObject; now: number }) {
  const spec = (backup.spec ?? {}) as { databaseRef?: { name: string }; schedule?: string; suspend?: boolean; retention?: { keepLast?: number }; target?: { local?: { path: string }; s3?: { bucket: string; prefix?: string; endpoint?: string } } };
  const s = (backup.status ?? {}) as { lastRun?: Run; history?: Run[]; nextRunAt?: string; [field: string]: unknown };
  const runs = [...(s.history ?? [])];
  if (s.lastRun && !runs.some((r) => r.id === s.lastRun!.id)) runs.push(s.lastRun);
  runs.sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
  const extra = [...new Set(runs.flatMap((r) => Object.keys(r).filter((k) => !KNOWN.has(k) && (typeof r[k] !== "object" || r[k] === null))))];
  const target = spec.target?.local ? `local ${spec.target.local.path}` : spec.target?.s3 ? `s3://${spec.target.s3.bucket}/${spec.target.s3.prefix ?? ""}${spec.target.s3.endpoint ? ` (${spec.target.s3.endpoint})` : ""}` : "";
  return html`
    <${Section} title="Backup">
      <${Fields} label="Backup" rows=${[
        ["Database", spec.databaseRef?.name],
        ["Schedule", spec.schedule ?? "on demand"],
        ["Suspended", spec.suspend ? "yes" : undefined],
        ["Keeps", spec.retention?.keepLast ? `last ${spec.retention.keepLast}` : undefined],
        ["Target", target],
        ["Next run", s.nextRunAt ? html`<span data-next-run>${dateTime(s.nextRunAt)} (${until(s.nextRunAt, now)})</span>` : spec.schedule ? html`<span class="muted">not scheduled yet</span>` : undefined],
      ]} />
    </${Section}>
    <${Section} title="Runs">
      ${runs.length === 0
        ? html`<p class="muted">No runs yet.</p>`
        : html`<${ScrollTable} label="Backup runs">
            <table class="runs">
              <thead><tr><th scope="col">Started</th><th scope="col">Result</th><th scope="col">Duration</th><th scope="col">Size</th><th scope="col">Verified</th><th scope="col">Failed step</th><th scope="col">Message</th>${extra.map((k) => html`<th scope="col">${k}</th>`)}</tr></thead>
              <tbody>${runs.map((r) => {
                const ms = r.finishedAt ? Date.parse(r.finishedAt) - Date.parse(r.startedAt) : typeof r.durationSeconds === "number" ? r.durationSeconds * 1000 : undefined;
                const verified = r.verified ?? r.verification;
                return html`<tr data-run=${r.id} class=${r.result === "Failed" ? "failed" : ""}>
                  <td><${Time} at=${r.startedAt} now=${now} /> ago</td>
                  <td><span class=${`badge badge-${r.result === "Succeeded" ? "ready" : r.result === "Failed" ? "failing" : "progressing"}`}>${r.result}</span></td>
                  <td>${ms !== undefined && Number.isFinite(ms) ? duration(ms) : r.result === "Running" ? `${duration(now - Date.parse(r.startedAt))} so far` : ""}</td>
                  <td>${bytes(r.bytes)}</td>
                  <td>${verified === undefined ? "" : typeof verified === "object" ? JSON.stringify(verified) : String(verified)}</td>
                  <td data-step>${r.step ?? ""}</td>
                  <td class="message">${r.message ?? ""}${r.location ? html`<br /><span class="muted">${r.location}</span>` : null}</td>
                  ${extra.map((k) => html`<td>${r[k] === undefined ? "" : String(r[k])}</td>`)}
                </tr>`;
              })}</tbody>
            </table>
          </${ScrollTable}>`}
    </${Section}>`;
}
