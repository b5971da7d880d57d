import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { admit, type Resource } from "../../../resources/index.ts";
import type { ResourceStore } from "../../../store/index.ts";

const FIXTURES = fileURLToPath(new URL("../../../../test/fixtures/webhooks/", import.meta.url));

/** fixture is a provider's documented payload, as the exact bytes it would send. */
export function fixture(name: string): string {
  return readFileSync(`${FIXTURES}${name}.json`, "utf8");
}

/** SECRET is the shared secret of the test Apps' webhooks. */
export const SECRET = "It's a Secret to Everybody";

/** PUSHED is the commit the push fixtures move main to; PR_HEAD the head of pull request 7. */
export const PUSHED = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
export const PR_HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

const hmac = (secret: string, body: string) => createHmac("sha256", secret).update(body).digest("hex");

/** Kind of event in a provider's terms: the event header's value for a push, a pull request, a ping. */
export type Delivery = "push" | "pull" | "ping";

/** PROVIDER_EVENTS are the event header names and values each provider sends. */
const EVENTS: Record<string, { header: string; push: string; pull: string; ping?: string }> = {
  github: { header: "X-GitHub-Event", push: "push", pull: "pull_request", ping: "ping" },
  gitea: { header: "X-Gitea-Event", push: "push", pull: "pull_request" },
  forgejo: { header: "X-Forgejo-Event", push: "push", pull: "pull_request" },
  gitlab: { header: "X-Gitlab-Event", push: "Push Hook", pull: "Merge Request Hook" },
  bitbucket: { header: "X-Event-Key", push: "repo:push", pull: "pullrequest:created" },
};

/** DELIVERY_HEADERS are where each provider puts the delivery id. */
const DELIVERY_HEADERS: Record<string, string> = {
  github: "X-GitHub-Delivery", gitea: "X-Gitea-Delivery", forgejo: "X-Forgejo-Delivery", gitlab: "X-Gitlab-Event-UUID", bitbucket: "X-Request-UUID",
};

/**
 * signedHeaders are the headers a provider sends with `body`: content type, event, delivery id and the
 * signature made with `secret` (`null`: no signature header at all).
 */
export function signedHeaders(provider: string, body: string, secret: string | null, event: string, deliveryId: string = randomUUID()): Record<string, string> {
  const events = EVENTS[provider]!;
  const headers: Record<string, string> = { "Content-Type": "application/json", [events.header]: event, [DELIVERY_HEADERS[provider]!]: deliveryId };
  if (secret === null) return headers;
  if (provider === "github") headers["X-Hub-Signature-256"] = `sha256=${hmac(secret, body)}`;
  if (provider === "gitea") headers["X-Gitea-Signature"] = hmac(secret, body);
  if (provider === "forgejo") headers["X-Forgejo-Signature"] = hmac(secret, body);
  if (provider === "bitbucket") headers["X-Hub-Signature"] = `sha256=${hmac(secret, body)}`;
  if (provider === "gitlab") headers["X-Gitlab-Token"] = secret;
  return headers;
}

/** eventName is the provider's event header value for a kind of delivery. */
export function eventName(provider: string, kind: Delivery): string {
  const events = EVENTS[provider]!;
  return kind === "ping" ? events.ping! : events[kind];
}

/** FIXTURES_OF name each provider's push, pull-request-opened and pull-request-closed payloads. */
export const FIXTURES_OF: Record<string, { push: string; opened: string; closed: string; closedEvent?: string }> = {
  github: { push: "github-push", opened: "github-pull-request-opened", closed: "github-pull-request-closed" },
  gitea: { push: "gitea-push", opened: "gitea-pull-request-opened", closed: "gitea-pull-request-closed" },
  forgejo: { push: "gitea-push", opened: "gitea-pull-request-opened", closed: "gitea-pull-request-closed" },
  gitlab: { push: "gitlab-push", opened: "gitlab-merge-request-open", closed: "gitlab-merge-request-merge" },
  bitbucket: { push: "bitbucket-push", opened: "bitbucket-pullrequest-created", closed: "bitbucket-pullrequest-fulfilled", closedEvent: "pullrequest:fulfilled" },
};

/** createHookedApp stores the webhook Secret and an App that builds `main` from git, with previews as given. */
export async function createHookedApp(store: ResourceStore, namespace: string, name: string, previews: Record<string, unknown> = { enabled: true, maxActive: 5 }): Promise<Resource> {
  await store.create(admit({ apiVersion: "berth.dev/v1", kind: "Secret", metadata: { name: `${name}-hook`, namespace }, stringData: { token: SECRET } }));
  return store.create(admit({
    apiVersion: "berth.dev/v1",
    kind: "App",
    metadata: { name, namespace },
    spec: {
      port: 8080,
      build: {
        git: { url: "https://git.example.com/org/web.git", ref: "main" },
        webhook: { secretRef: { name: `${name}-hook`, key: "token" } },
        previews,
      },
    },
  }));
}
