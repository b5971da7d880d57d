import { objectPath } from "../lib/api.ts";
import { useCache } from "../lib/cache.ts";
import type { KindInfo } from "../lib/discovery.ts";
import { useEvents } from "../lib/events.ts";
import { html } from "../lib/html.ts";
import { reasonOf, type BerthObject } from "../lib/objects.ts";
import { detailHref, listHref } from "../lib/router.ts";
import { AppReplicas, AppRevisions, AppSummary } from "./app-panel.ts";
import { BackupSummary } from "./backup-panel.ts";
import { BuildSummary } from "./build-panel.ts";
import { Metrics } from "./charts.ts";
import { Conditions, EventsTable, Fields, KeyValues, Notice, ObjectHealth, Section, Time, useNow, type PluralOf } from "./common.ts";
import { DatabaseSummary } from "./database-panel.ts";
import { DomainSummary } from "./domain-panel.ts";
import { LogView } from "./logs.ts";
import { SecretSummary } from "./secret-panel.ts";
import { YamlView } from "./yaml.ts";

interface Tab {
  id: string;
  label: string;
}

function tabsOf(kind: string): Tab[] {
  const tabs: Tab[] = [{ id: "summary", label: "Summary" }];
  if (kind === "App") tabs.push({ id: "logs", label: "Logs" }, { id: "revisions", label: "Revisions" }, { id: "metrics", label: "Metrics" });
  if (kind === "Build") tabs.push({ id: "logs", label: "Build log" });
  tabs.push({ id: "events", label: "Events" }, { id: "related", label: "Related" }, { id: "yaml", label: "YAML" });
  return tabs;
}

/**
 * Detail is one object's page: its state and why, then tabs (links, so the address says which one is open and
 * only the open one streams): a summary suited to the kind, logs and metrics for Apps, events, related objects
 * (owners and owned), and the YAML. It reads the object from the live cache, so it changes as the object does.
 */
export function Detail({ kind, namespace, name, tab, pluralOf }: { kind: KindInfo; namespace: string; name: string; tab: string; pluralOf: PluralOf }) {
  const objects = useCache();
  const now = useNow();
  const obj = objects.get(kind.kind, namespace, name);
  const crumbs = html`<p class="crumbs"><a href=${listHref(kind.plural)}>${kind.kind}s</a> / <a href=${listHref(kind.plural, namespace)}>${namespace}</a> / ${name}</p>`;
  if (!obj) return html`${crumbs}<h1>${kind.kind} ${name}</h1><${Notice} kind="error">${kind.kind} "${name}" does not exist in namespace "${namespace}" (or was deleted).</${Notice}>`;
  const tabs = tabsOf(kind.kind);
  const active = tabs.find((t) => t.id === tab) ?? tabs[0]!;
  const { reason, message } = reasonOf(obj);
  return html`
    ${crumbs}
    <div class="title-row">
      <h1>${kind.kind} <span class="name">${name}</span></h1>
      <${ObjectHealth} object=${obj} />
    </div>
    ${reason || message ? html`<p class="why" data-why>${reason ? html`<strong>${reason}</strong> ` : null}${message}</p>` : null}
    <p class="meta muted">namespace ${namespace} · created <${Time} at=${obj.metadata.creationTimestamp} now=${now} /> ago · generation ${obj.metadata.generation ?? "–"} · resourceVersion <span data-rv>${obj.metadata.resourceVersion}</span>${obj.metadata.deletionTimestamp ? html` · <strong>being deleted</strong>` : null}</p>
    <nav class="tabs" aria-label=${`${kind.kind} sections`}>
      <ul>${tabs.map((t) => html`<li><a href=${detailHref(kind.plural, namespace, name, t.id)} aria-current=${t.id === active.id ? "page" : undefined}>${t.label}</a></li>`)}</ul>
    </nav>
    <div class="tab-body">${body(active.id, kind, obj, now, pluralOf)}</div>`;
}

function body(tab: string, kind: KindInfo, obj: BerthObject, now: number, pluralOf: PluralOf) {
  const { namespace, name } = obj.metadata;
  switch (tab) {
    case "logs":
      return html`<${LogView} path=${`${objectPath(kind.plural, namespace, name)}/log`} label=${`${kind.kind} ${name}`} endsWhenDone=${kind.kind !== "App"} />`;
    case "revisions":
      return html`<${AppRevisions} app=${obj} now=${now} />`;
    case "metrics":
      return html`<${Metrics} app=${obj} />`;
    case "events":
      return html`<${ObjectEvents} obj=${obj} now=${now} pluralOf=${pluralOf} />`;
    case "related":
      return html`<${Related} obj=${obj} pluralOf=${pluralOf} />`;
    case "yaml":
      return html`<${YamlView} obj=${obj} />`;
    default:
      return html`<${Summary} kind=${kind} obj=${obj} now=${now} pluralOf=${pluralOf} />`;
  }
}

function Summary({ kind, obj, now, pluralOf }: { kind: KindInfo; obj: BerthObject; now: number; pluralOf: PluralOf }) {
  const specific = (() => {
    switch (kind.kind) {
      case "App":
        return html`<${AppSummary} app=${obj} /><${AppReplicas} app=${obj} />`;
      case "Domain":
        return html`<${DomainSummary} domain=${obj} now=${now} pluralOf=${pluralOf} />`;
      case "Database":
        return html`<${DatabaseSummary} db=${obj} pluralOf=${pluralOf} />`;
      case "Backup":
        return html`<${BackupSummary} backup=${obj} now=${now} />`;
      case "Secret":
        return html`<${SecretSummary} secret=${obj} />`;
      case "Build":
        return html`<${BuildSummary} build=${obj} now=${now} pluralOf=${pluralOf} />`;
      default:
        return html`<${Section} title="Status"><${KeyValues} value=${obj.status} label="Status" skip=${["conditions"]} /></${Section}>`;
    }
  })();
  const labels = Object.entries(obj.metadata.labels ?? {});
  return html`
    ${specific}
    <${Section} title="Conditions"><${Conditions} conditions=${obj.status?.conditions} now=${now} /></${Section}>
    ${kind.kind === "Secret" ? null : html`<${Section} title="Spec"><${KeyValues} value=${obj.spec} label="Spec" /></${Section}>`}
    ${labels.length ? html`<${Section} title="Labels"><${Fields} label="Labels" rows=${labels.map(([k, v]) => [k, v])} /></${Section}>` : null}`;
}

function ObjectEvents({ obj, now, pluralOf }: { obj: BerthObject; now: number; pluralOf: PluralOf }) {
  const log = useEvents();
  const items = log.list((e) => e.involvedObject.kind === obj.kind && e.involvedObject.name === obj.metadata.name && (e.involvedObject.namespace ?? e.metadata.namespace) === obj.metadata.namespace);
  return html`<${Section} title="Events"><${EventsTable} items=${items} now=${now} pluralOf=${pluralOf} showObject=${false} label=${`Events of ${obj.kind} ${obj.metadata.name}`} /></${Section}>`;
}

function Related({ obj, pluralOf }: { obj: BerthObject; pluralOf: PluralOf }) {
  const objects = useCache();
  const owned: BerthObject[] = [];
  for (const other of objects.all()) {
    if (other.metadata.namespace !== obj.metadata.namespace) continue;
    if (other.metadata.ownerReferences?.some((r) => (obj.metadata.uid ? r.uid === obj.metadata.uid : r.kind === obj.kind && r.name === obj.metadata.name))) owned.push(other);
  }
  const owners = obj.metadata.ownerReferences ?? [];
  const link = (kind: string, name: string) => html`<a href=${detailHref(pluralOf(kind), obj.metadata.namespace, name)}>${kind.toLowerCase()}/${name}</a>`;
  return html`
    <${Section} title="Owned objects">
      ${owned.length === 0 ? html`<p class="muted">None.</p>` : html`<ul class="plain">${owned.map((o) => html`<li>${link(o.kind, o.metadata.name)} <${ObjectHealth} object=${o} /></li>`)}</ul>`}
    </${Section}>
    <${Section} title="Owners">
      ${owners.length === 0 ? html`<p class="muted">None.</p>` : html`<ul class="plain">${owners.map((r) => html`<li>${link(r.kind, r.name)}${r.controller ? " (controller)" : ""}</li>`)}</ul>`}
    </${Section}>`;
}
