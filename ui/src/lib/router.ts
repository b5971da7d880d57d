import { useEffect, useState } from "preact/hooks";

/** Route is what the address's hash names. The UI lives at `/` and routes in the hash, so the shell is its only page. */
export type Route =
  | { page: "overview" }
  | { page: "list"; plural: string; namespace: string; selector: string }
  | { page: "detail"; plural: string; namespace: string; name: string; tab: string };

/** parseRoute reads `#/`, `#/k/<plural>?ns=&l=` and `#/k/<plural>/<namespace>/<name>[/<tab>]`. */
export function parseRoute(hash: string): Route {
  const [path = "", search = ""] = hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const query = new URLSearchParams(search);
  if (parts[0] === "k" && parts[1]) {
    if (parts[2] && parts[3]) return { page: "detail", plural: parts[1], namespace: parts[2], name: parts[3], tab: parts[4] ?? "summary" };
    return { page: "list", plural: parts[1], namespace: query.get("ns") ?? "", selector: query.get("l") ?? "" };
  }
  return { page: "overview" };
}

/** listHref links to a kind's list, optionally filtered. */
export function listHref(plural: string, namespace = "", selector = ""): string {
  const query = new URLSearchParams();
  if (namespace) query.set("ns", namespace);
  if (selector) query.set("l", selector);
  const search = query.toString();
  return `#/k/${plural}${search ? `?${search}` : ""}`;
}

/** detailHref links to an object's page, optionally one of its tabs. */
export function detailHref(plural: string, namespace: string, name: string, tab = ""): string {
  return `#/k/${plural}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}${tab ? `/${tab}` : ""}`;
}

/** useRoute follows the hash. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
