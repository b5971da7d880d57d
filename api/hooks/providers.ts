import type { IncomingHttpHeaders } from "node:http";
import type { HookEvent, PullAction, PushChange } from "./hook-event.ts";
import { hmacSha256Matches, tokenMatches } from "./signatures.ts";

/** Verdict is the outcome of checking a delivery's signature; `problem` never contains the secret or the signature. */
export type Verdict = { ok: true } | { ok: false; problem: string };

/** Provider knows one git host's webhook format: how deliveries are signed, identified and shaped. */
export interface Provider {
  /** name is the provider's segment of the hook URL (`/hooks/<name>/NS/APP`). */
  readonly name: string;
  /** verify checks the delivery against the shared secret, over the exact bytes received. */
  verify(headers: IncomingHttpHeaders, raw: Buffer, secret: string): Verdict;
  /** deliveryId is the provider's id of this delivery (the same on a redelivery), if it sends one. */
  deliveryId(headers: IncomingHttpHeaders): string | undefined;
  /** event reads the parsed payload into a provider-neutral HookEvent. */
  event(headers: IncomingHttpHeaders, payload: unknown): HookEvent;
}

type Json = Record<string, unknown>;
const ZERO_SHA = /^0+$/;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function obj(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** hmacHeader verifies `<header>: [prefix]<hex>` (GitHub and Bitbucket: `sha256=`; Gitea and Forgejo: bare hex). */
function hmacHeader(headers: IncomingHttpHeaders, raw: Buffer, secret: string, names: readonly string[], prefix: string): Verdict {
  const name = names.find((n) => header(headers, n) !== undefined);
  const value = name ? header(headers, name)! : undefined;
  if (value === undefined) return { ok: false, problem: `no ${names.map(displayName).join(" or ")} header` };
  if (prefix && !value.startsWith(prefix)) return { ok: false, problem: `${displayName(name!)} is not of the form ${prefix}<hex>` };
  return hmacSha256Matches(secret, raw, value.slice(prefix.length)) ? { ok: true } : { ok: false, problem: `its ${displayName(name!)} does not match the shared secret` };
}

/** displayName writes a header name as providers document it (`x-hub-signature-256` → `X-Hub-Signature-256`). */
function displayName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase()).replace("Github", "GitHub").replace("Uuid", "UUID");
}

/** pushOf reads a GitHub-style push (GitHub, Gitea, Forgejo, GitLab): `ref` and `after`, nothing when the ref was deleted. */
function pushOf(payload: Json): HookEvent {
  const ref = str(payload.ref);
  const after = str(payload.after) ?? str(payload.checkout_sha);
  if (!ref || !after || ZERO_SHA.test(after) || payload.deleted === true) return { type: "push", changes: [] };
  return { type: "push", changes: [{ ref, commit: after }] };
}

/** pullOf reads a GitHub-style pull_request event (GitHub, Gitea, Forgejo). */
function pullOf(payload: Json, name: string): HookEvent {
  const action = ({ opened: "open", reopened: "open", synchronize: "update", synchronized: "update", closed: "close" } as Record<string, PullAction>)[String(payload.action)];
  const pull = obj(payload.pull_request);
  const number = Number(payload.number ?? pull.number);
  const commit = str(obj(pull.head).sha);
  if (!action || !Number.isInteger(number) || number <= 0 || (!commit && action !== "close")) return { type: "ignored", name: `${name} ${String(payload.action)}` };
  return { type: "pull", action, number, headRef: `refs/pull/${number}/head`, commit: commit ?? "" };
}

/** github: `X-Hub-Signature-256: sha256=<hex>`, `X-GitHub-Event`, `X-GitHub-Delivery`. */
const github: Provider = {
  name: "github",
  verify: (headers, raw, secret) => hmacHeader(headers, raw, secret, ["x-hub-signature-256"], "sha256="),
  deliveryId: (headers) => header(headers, "x-github-delivery"),
  event(headers, payload) {
    const name = header(headers, "x-github-event") ?? "";
    if (name === "ping") return { type: "ping" };
    if (name === "push") return pushOf(obj(payload));
    if (name === "pull_request") return pullOf(obj(payload), name);
    return { type: "ignored", name };
  },
};

/** gitea serves Gitea and Forgejo (and Gogs' headers): a bare hex HMAC in `X-Gitea-Signature` or `X-Forgejo-Signature`. */
const gitea: Provider = {
  name: "gitea",
  verify: (headers, raw, secret) => hmacHeader(headers, raw, secret, ["x-gitea-signature", "x-forgejo-signature", "x-gogs-signature"], ""),
  deliveryId: (headers) => header(headers, "x-gitea-delivery") ?? header(headers, "x-forgejo-delivery") ?? header(headers, "x-gogs-delivery"),
  event(headers, payload) {
    const name = header(headers, "x-gitea-event") ?? header(headers, "x-forgejo-event") ?? header(headers, "x-gogs-event") ?? "";
    if (name === "push") return pushOf(obj(payload));
    if (name.startsWith("pull_request")) return pullOf(obj(payload), name);
    return { type: "ignored", name };
  },
};

/** gitlab: the secret itself in `X-Gitlab-Token`, `X-Gitlab-Event`, `X-Gitlab-Event-UUID`. */
const gitlab: Provider = {
  name: "gitlab",
  verify(headers, _raw, secret) {
    const token = header(headers, "x-gitlab-token");
    if (token === undefined) return { ok: false, problem: "no X-Gitlab-Token header" };
    return tokenMatches(secret, token) ? { ok: true } : { ok: false, problem: "its X-Gitlab-Token does not match the shared secret" };
  },
  deliveryId: (headers) => header(headers, "x-gitlab-event-uuid"),
  event(headers, payload) {
    const name = header(headers, "x-gitlab-event") ?? "";
    const body = obj(payload);
    if (name === "Push Hook" || name === "Tag Push Hook") return pushOf(body);
    if (name !== "Merge Request Hook") return { type: "ignored", name };
    const attributes = obj(body.object_attributes);
    const action = ({ open: "open", reopen: "open", update: "update", close: "close", merge: "close" } as Record<string, PullAction>)[String(attributes.action)];
    const number = Number(attributes.iid);
    const commit = str(obj(attributes.last_commit).id);
    if (!action || !Number.isInteger(number) || number <= 0 || (!commit && action !== "close")) return { type: "ignored", name: `${name} ${String(attributes.action)}` };
    // An update without `oldrev` changed the title, labels or reviewers, not the commits.
    if (action === "update" && attributes.oldrev === undefined) return { type: "ignored", name: `${name} update without new commits` };
    return { type: "pull", action, number, headRef: `refs/merge-requests/${number}/head`, commit: commit ?? "" };
  },
};

/** bitbucket (Cloud): `X-Hub-Signature: sha256=<hex>`, `X-Event-Key`, `X-Request-UUID`. */
const bitbucket: Provider = {
  name: "bitbucket",
  verify: (headers, raw, secret) => hmacHeader(headers, raw, secret, ["x-hub-signature"], "sha256="),
  deliveryId: (headers) => header(headers, "x-request-uuid"),
  event(headers, payload) {
    const name = header(headers, "x-event-key") ?? "";
    const body = obj(payload);
    if (name === "diagnostics:ping") return { type: "ping" };
    if (name === "repo:push") {
      const changes: PushChange[] = [];
      for (const change of Array.isArray(obj(body.push).changes) ? (obj(body.push).changes as unknown[]) : []) {
        const moved = obj(obj(change).new);
        const ref = str(moved.name);
        const commit = str(obj(moved.target).hash);
        // A deleted branch has `new: null`; branches and tags are the only kinds of ref.
        if (ref && commit) changes.push({ ref: moved.type === "tag" ? `refs/tags/${ref}` : `refs/heads/${ref}`, commit });
      }
      return { type: "push", changes };
    }
    const action = ({ "pullrequest:created": "open", "pullrequest:updated": "update", "pullrequest:fulfilled": "close", "pullrequest:rejected": "close" } as Record<string, PullAction>)[name];
    if (!action) return { type: "ignored", name };
    const pull = obj(body.pullrequest);
    const source = obj(pull.source);
    const number = Number(pull.id);
    const branch = str(obj(source.branch).name);
    const commit = str(obj(source.commit).hash);
    if (!Number.isInteger(number) || number <= 0 || (action !== "close" && (!branch || !commit))) return { type: "ignored", name };
    // Bitbucket has no refs for pull requests: the preview follows the source branch.
    return { type: "pull", action, number, headRef: branch ? `refs/heads/${branch}` : "", commit: commit ?? "" };
  },
};

/** PROVIDERS are the git hosts whose webhooks Berth accepts, by URL segment (`forgejo` is the same as `gitea`). */
export const PROVIDERS: ReadonlyMap<string, Provider> = new Map([
  ...[github, gitea, gitlab, bitbucket].map((p) => [p.name, p] as const),
  // Forgejo is a fork of Gitea with the same format; either URL works.
  ["forgejo", gitea] as const,
]);
