import { html } from "../lib/html.ts";
import { bytes } from "../lib/format.ts";
import type { BerthObject } from "../lib/objects.ts";
import { useStats } from "../lib/stats.ts";
import { Fields, Notice, ScrollTable, Section, Time } from "./common.ts";

interface AppStatus {
  replicas?: number;
  readyReplicas?: number;
  updatedReplicas?: number;
  revision?: number;
  image?: string;
  url?: string;
  endpoints?: Array<{ replica: string; host: string; port: number }>;
  history?: Array<{ revision: number; image: string; specHash: string; createdAt: string; [field: string]: unknown }>;
}

function statusOf(app: BerthObject): AppStatus {
  return (app.status ?? {}) as AppStatus;
}

/** AppSummary: where the App is reached, what runs, and how many replicas are ready. */
export function AppSummary({ app }: { app: BerthObject }) {
  const s = statusOf(app);
  const spec = (app.spec ?? {}) as { image?: string; replicas?: number; port?: number; build?: { git?: { url?: string } } };
  return html`<${Section} title="App">
    <${Fields} label="App" rows=${[
      ["URL", s.url ? html`<a href=${s.url} rel="noreferrer noopener" target="_blank" data-url>${s.url}</a>` : html`<span class="muted">none yet</span>`],
      ["Replicas", html`<span data-replicas>${s.readyReplicas ?? 0}/${spec.replicas ?? 0} ready</span>${s.updatedReplicas !== undefined ? html` <span class="muted">(${s.updatedReplicas} updated)</span>` : null}`],
      ["Image", spec.image ?? spec.build?.git?.url],
      ["Running image", s.image && s.image !== spec.image ? s.image : undefined],
      ["Revision", s.revision],
      ["Port", spec.port],
    ]} />
  </${Section}>`;
}

/** AppReplicas lists the current revision's replicas with their readiness and usage. */
export function AppReplicas({ app }: { app: BerthObject }) {
  const { samples, error } = useStats(app.metadata.namespace, app.metadata.name, 5_000, 1);
  const latest = samples[samples.length - 1];
  const endpoints = statusOf(app).endpoints ?? [];
  const ready = new Set(endpoints.map((e) => e.replica));
  return html`<${Section} title="Replicas">
    ${error ? html`<${Notice} kind="error">${error}</${Notice}>` : null}
    ${!latest
      ? html`<p class="muted">Reading replicas…</p>`
      : latest.items.length === 0
        ? html`<p class="muted">No replicas are running.</p>`
        : html`<${ScrollTable} label="Replicas">
            <table>
              <thead><tr><th scope="col">Replica</th><th scope="col">Container</th><th scope="col">Ready</th><th scope="col">Address</th><th scope="col">CPU</th><th scope="col">Memory</th></tr></thead>
              <tbody>${latest.items.map((r) => {
                const endpoint = endpoints.find((e) => e.replica === r.container);
                return html`<tr data-replica=${r.replica}>
                  <th scope="row">${r.replica}</th>
                  <td>${r.container}</td>
                  <td>${ready.has(r.container) ? html`<span class="cond cond-true">Ready</span>` : html`<span class="cond cond-false">Not ready</span>`}</td>
                  <td>${endpoint ? `${endpoint.host}:${endpoint.port}` : ""}</td>
                  <td>${r.cpuPercent !== undefined ? `${r.cpuPercent.toFixed(1)} %` : r.error ?? ""}</td>
                  <td>${r.memoryBytes !== undefined ? bytes(r.memoryBytes) : ""}</td>
                </tr>`;
              })}</tbody>
            </table>
          </${ScrollTable}>`}
  </${Section}>`;
}

/** AppRevisions is the rollout history (`berth rollout history`): status.history, newest first. */
export function AppRevisions({ app, now }: { app: BerthObject; now: number }) {
  const s = statusOf(app);
  const history = [...(s.history ?? [])].sort((a, b) => b.revision - a.revision);
  return html`<${Section} title="Rollout history">
    ${history.length === 0
      ? html`<p class="muted">No revisions yet.</p>`
      : html`<${ScrollTable} label="Revisions">
          <table class="revisions">
            <thead><tr><th scope="col">Revision</th><th scope="col">Image</th><th scope="col">Created</th><th scope="col">Spec hash</th><th scope="col">State</th></tr></thead>
            <tbody>${history.map(
              (h) => html`<tr data-revision=${h.revision} class=${h.revision === s.revision ? "current" : ""}>
                <th scope="row">${h.revision}</th>
                <td>${h.image}</td>
                <td><${Time} at=${h.createdAt} now=${now} /></td>
                <td><code>${h.specHash.slice(0, 12)}</code></td>
                <td>${h.revision === s.revision ? html`<strong>current</strong>` : ""}</td>
              </tr>`,
            )}</tbody>
          </table>
        </${ScrollTable}>`}
  </${Section}>`;
}
