import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { html } from "../lib/html.ts";
import { age, dateTime, flatten } from "../lib/format.ts";
import { healthOf, type BerthObject, type Condition, type Health } from "../lib/objects.ts";
import type { KubeEvent } from "../lib/events.ts";
import { detailHref } from "../lib/router.ts";

/** useNow re-renders every `periodMs` so ages stay true without any data changing. */
export function useNow(periodMs = 10_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(timer);
  }, [periodMs]);
  return now;
}

/** HealthBadge shows a state in words and colour (never colour alone). */
export function HealthBadge({ health }: { health: Health }) {
  return html`<span class=${`badge badge-${health.toLowerCase()}`} data-health=${health}>${health}</span>`;
}

/** ObjectHealth is the badge of one object. */
export function ObjectHealth({ object }: { object: BerthObject }) {
  return html`<${HealthBadge} health=${healthOf(object)} />`;
}

/** Time shows an age with the full date as a tooltip. */
export function Time({ at, now }: { at: string | undefined; now?: number }) {
  if (!at) return html`<span class="muted">—</span>`;
  return html`<time datetime=${at} title=${dateTime(at)}>${age(at, now)}</time>`;
}

/** Section is a titled block of a page. */
export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  const headingId = `h-${(id ?? title).toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return html`<section class="section" aria-labelledby=${headingId}><h2 id=${headingId}>${title}</h2>${children}</section>`;
}

/** ScrollTable wraps a wide table so it scrolls on its own at phone width, reachable by keyboard. */
export function ScrollTable({ label, children }: { label: string; children: ComponentChildren }) {
  return html`<div class="table-wrap" role="region" aria-label=${label} tabindex="0">${children}</div>`;
}

/** KeyValues prints `path: value` rows of any nested value (a kind's spec or status the UI has no panel for). */
export function KeyValues({ value, label, skip = [] }: { value: unknown; label: string; skip?: string[] }) {
  const rows = flatten(value).filter(([k]) => !skip.some((s) => k === s || k.startsWith(`${s}.`) || k.startsWith(`${s}[`)));
  if (rows.length === 0) return html`<p class="muted">Nothing set.</p>`;
  return html`<dl class="kv" aria-label=${label}>${rows.map(([k, v]) => html`<div class="kv-row"><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`;
}

/** Fields prints labelled values, skipping empty ones. */
export function Fields({ rows, label }: { rows: Array<[string, ComponentChildren]>; label: string }) {
  const shown = rows.filter(([, v]) => v !== undefined && v !== null && v !== "");
  return html`<dl class="kv" aria-label=${label}>${shown.map(([k, v]) => html`<div class="kv-row"><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`;
}

/** Conditions lists an object's conditions with their reasons, messages and ages. */
export function Conditions({ conditions, now }: { conditions: Condition[] | undefined; now: number }) {
  if (!conditions?.length) return html`<p class="muted">No conditions reported yet.</p>`;
  return html`<${ScrollTable} label="Conditions">
    <table class="conditions">
      <thead><tr><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Message</th><th scope="col">Since</th></tr></thead>
      <tbody>${conditions.map(
        (c) => html`<tr data-condition=${c.type}>
          <th scope="row">${c.type}</th>
          <td><span class=${`cond cond-${c.status.toLowerCase()}`}>${c.status}</span></td>
          <td>${c.reason}</td>
          <td class="message">${c.message}</td>
          <td><${Time} at=${c.lastTransitionTime} now=${now} /></td>
        </tr>`,
      )}</tbody>
    </table>
  </${ScrollTable}>`;
}

/** pluralOf maps a kind to its URL plural (discovery's, else the lowercase kind plus "s"). */
export type PluralOf = (kind: string) => string;

/** EventsTable lists events, newest first, Warnings marked. */
export function EventsTable({ items, now, pluralOf, showObject = true, label = "Events" }: { items: KubeEvent[]; now: number; pluralOf: PluralOf; showObject?: boolean; label?: string }) {
  if (items.length === 0) return html`<p class="muted">No events.</p>`;
  return html`<${ScrollTable} label=${label}>
    <table class="events">
      <thead><tr><th scope="col">Last seen</th><th scope="col">Type</th><th scope="col">Reason</th>${showObject ? html`<th scope="col">Object</th>` : null}<th scope="col">Message</th><th scope="col">Count</th></tr></thead>
      <tbody>${items.map(
        (e) => html`<tr class=${e.type === "Warning" ? "warning" : ""}>
          <td><${Time} at=${e.lastTimestamp} now=${now} /></td>
          <td>${e.type === "Warning" ? html`<span class="badge badge-failing">Warning</span>` : "Normal"}</td>
          <td>${e.reason}</td>
          ${showObject
            ? html`<td><a href=${detailHref(pluralOf(e.involvedObject.kind), e.involvedObject.namespace ?? e.metadata.namespace, e.involvedObject.name)}>${e.involvedObject.kind.toLowerCase()}/${e.involvedObject.name}</a>${e.involvedObject.namespace ? html` <span class="muted">(${e.involvedObject.namespace})</span>` : null}</td>`
            : null}
          <td class="message">${e.message}</td>
          <td>${e.count}</td>
        </tr>`,
      )}</tbody>
    </table>
  </${ScrollTable}>`;
}

/** Notice is a message block: an error (role alert) or information. */
export function Notice({ kind = "info", children }: { kind?: "info" | "error"; children: ComponentChildren }) {
  return kind === "error" ? html`<p class="notice notice-error" role="alert">${children}</p>` : html`<p class="notice">${children}</p>`;
}
