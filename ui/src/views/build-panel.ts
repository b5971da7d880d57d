import { html } from "../lib/html.ts";
import { bytes, dateTime, duration } from "../lib/format.ts";
import type { BerthObject } from "../lib/objects.ts";
import { detailHref } from "../lib/router.ts";
import { Fields, KeyValues, Section, type PluralOf } from "./common.ts";

interface BuildStatus {
  phase?: string;
  image?: string;
  startedAt?: string;
  finishedAt?: string;
  failedStep?: string;
  stack?: string;
  log?: { bytes: number; truncated: boolean };
  [field: string]: unknown;
}

/** KNOWN are the status fields shown in the summary; any other is listed after them. */
const KNOWN = ["phase", "image", "imageID", "startedAt", "finishedAt", "failedStep", "stack", "log", "conditions", "observedGeneration"];

/** BuildSummary: the App built, the commit, the phase and how long it took, the step that failed, the image made. */
export function BuildSummary({ build, now, pluralOf }: { build: BerthObject; now: number; pluralOf: PluralOf }) {
  const spec = (build.spec ?? {}) as { appRef?: { name: string }; source?: { url: string; ref: string; commit: string }; strategy?: string; cancelled?: boolean };
  const s = (build.status ?? {}) as BuildStatus;
  const started = Date.parse(s.startedAt ?? "");
  const finished = Date.parse(s.finishedAt ?? "");
  const took = Number.isFinite(started) ? duration((Number.isFinite(finished) ? finished : now) - started) : undefined;
  return html`
    <${Section} title="Build">
      <${Fields} label="Build" rows=${[
        ["Phase", html`<span data-phase>${s.phase ?? "Pending"}</span>${spec.cancelled && s.phase !== "Cancelled" ? " (cancelling)" : ""}`],
        ["App", spec.appRef ? html`<a href=${detailHref(pluralOf("App"), build.metadata.namespace, spec.appRef.name)}>${spec.appRef.name}</a>` : undefined],
        ["Commit", spec.source ? html`<code data-commit>${spec.source.commit.slice(0, 12)}</code> <span class="muted">${spec.source.ref} · ${spec.source.url}</span>` : undefined],
        ["Strategy", spec.strategy],
        ["Stack", s.stack],
        ["Failed step", s.failedStep ? html`<span class="error-text" data-failed-step>${s.failedStep}</span>` : undefined],
        ["Started", s.startedAt ? dateTime(s.startedAt) : undefined],
        ["Took", took ? `${took}${Number.isFinite(finished) ? "" : " so far"}` : undefined],
        ["Image", s.image],
        ["Log", s.log ? `${bytes(s.log.bytes)}${s.log.truncated ? " (truncated)" : ""}` : undefined],
      ]} />
    </${Section}>
    ${Object.keys(s).some((k) => !KNOWN.includes(k)) ? html`<${Section} title="More status"><${KeyValues} value=${s} label="More status" skip=${KNOWN} /></${Section}>` : null}`;
}
