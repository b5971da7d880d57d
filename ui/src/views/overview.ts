import { useCache } from "../lib/cache.ts";
import type { KindInfo } from "../lib/discovery.ts";
import { useEvents } from "../lib/events.ts";
import { html } from "../lib/html.ts";
import { healthOf, reasonOf, type BerthObject, type Health } from "../lib/objects.ts";
import { detailHref, listHref } from "../lib/router.ts";
import { EventsTable, HealthBadge, ScrollTable, Section, useNow, type PluralOf } from "./common.ts";

const HEALTHS: Health[] = ["Ready", "Progressing", "Failing", "Unknown"];
/** MAX_ATTENTION bounds the "needs attention" list; the kind lists have the rest. */
const MAX_ATTENTION = 50;

type Counts = Record<Health, number> & { total: number };

function emptyCounts(): Counts {
  return { total: 0, Ready: 0, Progressing: 0, Failing: 0, Unknown: 0 };
}

/**
 * Overview answers "is everything fine?" at a glance: per kind the count of objects in each state, the same
 * per namespace, what is rolling out or failing now, and the latest Warning events. Everything is computed from
 * the live cache, so it changes as the controllers act.
 */
export function Overview({ kinds, pluralOf }: { kinds: KindInfo[]; pluralOf: PluralOf }) {
  const objects = useCache();
  const log = useEvents();
  const now = useNow();
  const byKind = new Map<string, Counts>();
  const byNamespace = new Map<string, Map<string, Counts>>();
  const attention: BerthObject[] = [];
  for (const k of kinds) byKind.set(k.kind, emptyCounts());
  for (const obj of objects.all()) {
    const health = healthOf(obj);
    const kindCounts = byKind.get(obj.kind) ?? byKind.set(obj.kind, emptyCounts()).get(obj.kind)!;
    kindCounts.total++;
    kindCounts[health]++;
    let ns = byNamespace.get(obj.metadata.namespace);
    if (!ns) byNamespace.set(obj.metadata.namespace, (ns = new Map()));
    const nsCounts = ns.get(obj.kind) ?? ns.set(obj.kind, emptyCounts()).get(obj.kind)!;
    nsCounts.total++;
    nsCounts[health]++;
    if (health === "Progressing" || health === "Failing") attention.push(obj);
  }
  attention.sort((a, b) => (healthOf(a) === healthOf(b) ? a.metadata.name.localeCompare(b.metadata.name) : healthOf(a) === "Progressing" ? -1 : 1));
  const warnings = log.list((e) => e.type === "Warning").slice(0, 10);
  const namespaces = [...byNamespace.keys()].sort();
  return html`
    <h1>Overview</h1>
    <ul class="cards" aria-label="Objects by kind">
      ${kinds.map((k) => {
        const c = byKind.get(k.kind)!;
        return html`<li class="card" data-kind=${k.kind}>
          <h2><a href=${listHref(k.plural)}>${k.kind}s</a></h2>
          <p class="card-total"><span class="big" data-count="total">${c.total}</span> total</p>
          <ul class="card-states">
            ${HEALTHS.filter((h) => c[h] > 0).map((h) => html`<li><${HealthBadge} health=${h} /> <span data-count=${h}>${c[h]}</span></li>`)}
          </ul>
        </li>`;
      })}
    </ul>
    <${Section} title="In progress and failing">
      ${attention.length === 0
        ? html`<p class="muted" data-attention="none">Nothing is rolling out or failing.</p>`
        : html`<ul class="attention">
            ${attention.slice(0, MAX_ATTENTION).map((obj) => {
              const { reason, message } = reasonOf(obj);
              return html`<li data-object=${`${obj.kind}/${obj.metadata.namespace}/${obj.metadata.name}`}>
                <${HealthBadge} health=${healthOf(obj)} />
                <a href=${detailHref(pluralOf(obj.kind), obj.metadata.namespace, obj.metadata.name)}>${obj.kind.toLowerCase()}/${obj.metadata.name}</a>
                <span class="muted">${obj.metadata.namespace}</span>
                ${reason ? html`<span class="reason">${reason}</span>` : null}
                ${message ? html`<span class="message">${message}</span>` : null}
              </li>`;
            })}
            ${attention.length > MAX_ATTENTION ? html`<li class="muted">and ${attention.length - MAX_ATTENTION} more</li>` : null}
          </ul>`}
    </${Section}>
    <${Section} title="By namespace">
      <${ScrollTable} label="Ready objects by namespace and kind">
        <table class="matrix">
          <thead><tr><th scope="col">Namespace</th>${kinds.map((k) => html`<th scope="col">${k.kind}s</th>`)}</tr></thead>
          <tbody>${namespaces.map(
            (ns) => html`<tr>
              <th scope="row">${ns}</th>
              ${kinds.map((k) => {
                const c = byNamespace.get(ns)!.get(k.kind);
                if (!c) return html`<td class="muted">–</td>`;
                const state: Health = c.Failing ? "Failing" : c.Progressing ? "Progressing" : c.Ready === c.total ? "Ready" : "Unknown";
                return html`<td><a href=${listHref(k.plural, ns)} class=${`cell cell-${state.toLowerCase()}`}>${c.Ready}/${c.total}<span class="sr-only"> ${k.kind}s ready in ${ns}</span></a></td>`;
              })}
            </tr>`,
          )}</tbody>
        </table>
      </${ScrollTable}>
    </${Section}>
    <${Section} title="Recent warnings">
      <${EventsTable} items=${warnings} now=${now} pluralOf=${pluralOf} label="Recent warning events" />
    </${Section}>`;
}
