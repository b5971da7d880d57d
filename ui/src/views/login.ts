import { useState } from "preact/hooks";
import { ApiError, setToken, signOut } from "../lib/api.ts";
import { discoverKinds, type KindInfo } from "../lib/discovery.ts";
import { html } from "../lib/html.ts";

/**
 * Login asks for an API token (`berth token create`, or the admin token in ~/.berth/config.yaml) and checks it
 * against discovery before keeping it in sessionStorage for this tab.
 */
export function Login({ onSignedIn }: { onSignedIn: (kinds: KindInfo[]) => void }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const input = (event.currentTarget as HTMLFormElement).elements.namedItem("token") as HTMLInputElement;
    const value = input.value.trim();
    if (!value) {
      setError("Enter a token.");
      return;
    }
    setBusy(true);
    setError("");
    setToken(value);
    try {
      onSignedIn(await discoverKinds());
    } catch (err) {
      signOut();
      setError(err instanceof ApiError && err.code === 401 ? "That token is not valid." : `Could not reach the API: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return html`<main id="main" class="login">
    <h1>Berth</h1>
    <form onSubmit=${submit} class="login-form" aria-describedby="login-help">
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="off" spellcheck=${false} required aria-invalid=${error ? "true" : "false"} aria-describedby=${error ? "login-error" : undefined} />
      <p id="login-help" class="muted">A token from <code>berth token create</code>, or the one in <code>~/.berth/config.yaml</code>. It is kept in this tab only.</p>
      ${error ? html`<p id="login-error" class="notice notice-error" role="alert">${error}</p>` : null}
      <button type="submit" disabled=${busy}>${busy ? "Signing in…" : "Sign in"}</button>
    </form>
  </main>`;
}
