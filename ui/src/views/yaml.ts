import { useEffect, useState } from "preact/hooks";
import { html } from "../lib/html.ts";
import type { BerthObject } from "../lib/objects.ts";
import { Notice } from "./common.ts";
import { masked } from "./secret-panel.ts";

/**
 * YamlView prints the object as `berth get -o yaml` would; the YAML library is loaded only when this opens.
 * A Secret's values (and the applied manifest that repeats them) are masked unless an admin reveals them.
 */
export function YamlView({ obj }: { obj: BerthObject }) {
  const [text, setText] = useState<string | undefined>(undefined);
  const [error, setError] = useState("");
  const [reveal, setReveal] = useState(false);
  const secretValues = obj.kind === "Secret" && Object.values((obj.data as Record<string, string> | undefined) ?? {}).some((v) => v !== "");
  useEffect(() => {
    import("yaml").then(
      ({ stringify }) => setText(stringify(reveal ? obj : masked(obj), { lineWidth: 0 })),
      (err: Error) => setError(err.message),
    );
  }, [obj, reveal]);
  return html`
    ${secretValues ? html`<p><button type="button" onClick=${() => setReveal(!reveal)} aria-pressed=${reveal}>${reveal ? "Hide values" : "Reveal values"}</button></p>` : null}
    ${error ? html`<${Notice} kind="error">${error}</${Notice}>` : null}
    <pre class="yaml" tabindex="0" aria-label="YAML"><code>${text ?? "…"}</code></pre>`;
}
