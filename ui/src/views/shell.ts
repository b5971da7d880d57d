import { useEffect, useState } from "preact/hooks";
import { ApiError, signOut, token } from "../lib/api.ts";
import { cache, useCache } from "../lib/cache.ts";
import { discoverKinds, type KindInfo } from "../lib/discovery.ts";
import { events } from "../lib/events.ts";
import { html } from "../lib/html.ts";
import { healthOf } from "../lib/objects.ts";
import { listHref, useRoute, type Route } from "../lib/router.ts";
import { Detail } from "./detail.ts";
import { List } from "./list.ts";
import { Login } from "./login.ts";
import { Overview } from "./overview.ts";
import { Notice } from "./common.ts";

/** Shell is the whole UI: the sign-in form until a token works, then the header, the kinds and the page. */
export function Shell() {
  const [kinds, setKinds] = useState<KindInfo[] | undefined>(undefined);
  const [error, setError] = useState("");
  useEffect(() => {
    const onSignedOut = () => {
      cache.stop();
      events.stop();
      setKinds(undefined);
    };
    window.addEventListener("berth:signed-out", onSignedOut);
    // A token kept from earlier in this tab: check it again (it may have been revoked), and meanwhile start
    // following the objects, so a reload does not wait for one round trip before the other.
    if (token()) {
      cache.start();
      events.start();
      void discoverWithRetry(setKinds, setError);
    }
    return () => window.removeEventListener("berth:signed-out", onSignedOut);
  }, []);
  useEffect(() => {
    if (!kinds) return;
    cache.start();
    events.start();
  }, [kinds]);
  if (!token() || !kinds) {
    if (token() && !error) return html`<p class="boot">Loading Berth…</p>`;
    return html`<${Login} onSignedIn=${(k: KindInfo[]) => { setError(""); setKinds(k); }} />`;
  }
  return html`<${Signed} kinds=${kinds} />`;
}

function Signed({ kinds }: { kinds: KindInfo[] }) {
  const route = useRoute();
  const objects = useCache();
  useEffect(() => {
    document.title = titleOf(route, kinds);
  }, [route, kinds]);
  const pluralOf = (kind: string) => kinds.find((k) => k.kind === kind)?.plural ?? `${kind.toLowerCase()}s`;
  const current = route.page === "overview" ? "" : route.plural;
  return html`
    <a class="skip" href="#main" onClick=${(e: Event) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>Skip to content</a>
    <header class="top">
      <a class="brand" href="#/">Berth</a>
      <p class=${`conn conn-${objects.state}`} role="status" aria-live="polite" data-connection=${objects.state}>
        ${objects.state === "live" ? "Live" : objects.state === "offline" ? "Offline" : "Reconnecting…"}
      </p>
      <button type="button" class="link-button" onClick=${signOut}>Sign out</button>
    </header>
    <nav class="kinds" aria-label="Kinds">
      <ul>
        <li><a href="#/" aria-current=${route.page === "overview" ? "page" : undefined}>Overview</a></li>
        ${kinds.map((k) => {
          const items = [...objects.kind(k.kind).values()];
          const failing = items.filter((o) => healthOf(o) === "Failing").length;
          return html`<li><a href=${listHref(k.plural)} aria-current=${current === k.plural ? "page" : undefined}>
            ${k.kind}s <span class="count">${items.length}<span class="sr-only"> objects</span>${failing ? html` <span class="count-failing">${failing}!<span class="sr-only"> failing</span></span>` : null}</span>
          </a></li>`;
        })}
      </ul>
    </nav>
    <main id="main" tabindex="-1">
      ${!objects.synced ? html`<p class="boot" role="status">Loading objects…</p>` : page(route, kinds, pluralOf)}
    </main>`;
}

/**
 * discoverWithRetry reads the kinds, trying again while the API cannot be reached (a restarting daemon, a
 * network blip): only an answer from the API (a rejected token signs out) stops it.
 */
async function discoverWithRetry(onKinds: (kinds: KindInfo[]) => void, onError: (message: string) => void): Promise<void> {
  for (let attempt = 1; token(); attempt++) {
    try {
      onKinds(await discoverKinds());
      return;
    } catch (err) {
      if (err instanceof ApiError) {
        onError(err.message);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** attempt)));
    }
  }
}

function page(route: Route, kinds: KindInfo[], pluralOf: (kind: string) => string) {
  if (route.page === "overview") return html`<${Overview} kinds=${kinds} pluralOf=${pluralOf} />`;
  const kind = kinds.find((k) => k.plural === route.plural);
  if (!kind) return html`<${Notice} kind="error">Unknown kind "${route.plural}".</${Notice}>`;
  if (route.page === "list") return html`<${List} key=${`${kind.plural}|${route.namespace}|${route.selector}`} kind=${kind} namespace=${route.namespace} selector=${route.selector} />`;
  return html`<${Detail} key=${`${kind.plural}/${route.namespace}/${route.name}`} kind=${kind} namespace=${route.namespace} name=${route.name} tab=${route.tab} pluralOf=${pluralOf} />`;
}

function titleOf(route: Route, kinds: KindInfo[]): string {
  if (route.page === "overview") return "Overview · Berth";
  const kind = kinds.find((k) => k.plural === route.plural)?.kind ?? route.plural;
  return route.page === "list" ? `${kind}s · Berth` : `${kind} ${route.name} · Berth`;
}
