import { useState } from "preact/hooks";
import { useCache } from "../lib/cache.ts";
import { html } from "../lib/html.ts";
import type { BerthObject } from "../lib/objects.ts";
import { detailHref } from "../lib/router.ts";
import { Fields, Notice, Section, type PluralOf } from "./common.ts";
import { decode } from "./secret-panel.ts";

interface DatabaseSpec {
  engine: string;
  version?: string;
  image?: string;
  database?: string;
  user?: string;
  storage?: { volume?: string };
  expose?: { port: number };
  credentials?: { secretRef?: { name: string } };
}

/**
 * DatabaseSummary: engine, endpoint, volume and credentials. The credentials' Secret reaches the page with its
 * values only for admins (the API blanks them for everyone else), so only admins get a reveal button.
 */
export function DatabaseSummary({ db, pluralOf }: { db: BerthObject; pluralOf: PluralOf }) {
  const objects = useCache();
  const [reveal, setReveal] = useState(false);
  const spec = db.spec as unknown as DatabaseSpec;
  const s = (db.status ?? {}) as { endpoint?: { host: string; port: number }; secretName?: string; image?: string; volume?: string };
  const secretName = s.secretName ?? spec.credentials?.secretRef?.name ?? `${db.metadata.name}-credentials`;
  const secret = objects.get("Secret", db.metadata.namespace, secretName);
  const data = (secret?.data as Record<string, string> | undefined) ?? {};
  const hasValues = Object.values(data).some((v) => v !== "");
  return html`
    <${Section} title="Database">
      <${Fields} label="Database" rows=${[
        ["Engine", spec.version ? `${spec.engine} ${spec.version}` : spec.engine],
        ["Image", s.image ?? spec.image],
        ["Endpoint", s.endpoint ? html`<code data-endpoint>${s.endpoint.host}:${s.endpoint.port}</code>` : html`<span class="muted">not ready yet</span>`],
        ["Host port", spec.expose ? String(spec.expose.port) : undefined],
        ["Database name", spec.database ?? db.metadata.name],
        ["User", spec.user ?? db.metadata.name],
        ["Volume", s.volume ?? spec.storage?.volume ?? html`<span class="muted">not created yet</span>`],
      ]} />
    </${Section}>
    <${Section} title="Credentials">
      ${secret
        ? html`<p>Secret <a href=${detailHref(pluralOf("Secret"), db.metadata.namespace, secretName)}>${secretName}</a></p>`
        : html`<p class="muted">Secret ${secretName} does not exist yet.</p>`}
      ${secret && !hasValues ? html`<${Notice}>Credentials are shown to admins only.</${Notice}>` : null}
      ${hasValues
        ? html`<p><button type="button" onClick=${() => setReveal(!reveal)} aria-pressed=${reveal}>${reveal ? "Hide credentials" : "Reveal credentials"}</button></p>
            ${reveal ? html`<${Fields} label="Credentials" rows=${Object.keys(data).sort().map((k) => [k, html`<code>${decode(data[k]!)}</code>`])} />` : null}`
        : null}
    </${Section}>`;
}
