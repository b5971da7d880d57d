import { useState } from "preact/hooks";
import { html } from "../lib/html.ts";
import type { BerthObject } from "../lib/objects.ts";
import { Fields, Notice, ScrollTable, Section } from "./common.ts";

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
const MASK = "••••••••";

/** masked copies an object with a Secret's values (and the last-applied manifest that repeats them) hidden. */
export function masked(obj: BerthObject): BerthObject {
  if (obj.kind !== "Secret") return obj;
  const data = obj.data as Record<string, string> | undefined;
  const annotations = obj.metadata.annotations;
  return {
    ...obj,
    ...(data ? { data: Object.fromEntries(Object.keys(data).map((k) => [k, data[k] ? MASK : ""])) } : {}),
    metadata: { ...obj.metadata, ...(annotations?.[LAST_APPLIED] ? { annotations: { ...annotations, [LAST_APPLIED]: MASK } } : {}) },
  };
}

/** decode reads a base64 value as UTF-8 text. */
export function decode(value: string): string {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(value), (c) => c.charCodeAt(0)));
  } catch {
    return value;
  }
}

/**
 * SecretSummary lists a Secret's keys. The API sends values to admins only (everyone else gets empty strings),
 * so only an admin has anything to reveal, and even then values stay masked until asked for.
 */
export function SecretSummary({ secret }: { secret: BerthObject }) {
  const data = (secret.data as Record<string, string> | undefined) ?? {};
  const keys = Object.keys(data).sort();
  const canReveal = keys.some((k) => data[k] !== "");
  const [shown, setShown] = useState(new Set<string>());
  const toggle = (key: string) => {
    const next = new Set(shown);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    setShown(next);
  };
  return html`<${Section} title="Secret">
    <${Fields} label="Secret" rows=${[["Type", String(secret.type ?? "Opaque")], ["Keys", String(keys.length)]]} />
    ${!canReveal && keys.length ? html`<${Notice}>Values are shown to admins only.</${Notice}>` : null}
    <${ScrollTable} label="Secret keys">
      <table class="secret">
        <thead><tr><th scope="col">Key</th><th scope="col">Value</th>${canReveal ? html`<th scope="col"><span class="sr-only">Reveal</span></th>` : null}</tr></thead>
        <tbody>${keys.map(
          (k) => html`<tr>
            <th scope="row">${k}</th>
            <td><code>${shown.has(k) ? decode(data[k]!) : data[k] ? MASK : "(hidden)"}</code></td>
            ${canReveal ? html`<td><button type="button" onClick=${() => toggle(k)} aria-pressed=${shown.has(k)} aria-label=${`${shown.has(k) ? "Hide" : "Reveal"} ${k}`}>${shown.has(k) ? "Hide" : "Reveal"}</button></td>` : null}
          </tr>`,
        )}</tbody>
      </table>
    </${ScrollTable}>
  </${Section}>`;
}
