import type { Request, Response } from "express";
import type { Logger } from "pino";
import type { EventLog } from "../controllers/events/types.ts";
import { NotFoundError, kinds, type KindDefinition } from "../resources/index.ts";
import type { ResourceStore } from "../store/index.ts";
import type { TokenStore } from "./auth/token-store.ts";
import type { Verb } from "./auth/authorize.ts";
import type { Target } from "./status.ts";
import type { WatchRegistry } from "./watch-registry.ts";

/** ApiContext is what every route shares: the dependencies of the server and its live watches. */
export interface ApiContext {
  store: ResourceStore;
  eventLog: EventLog;
  tokens: TokenStore;
  logger: Logger;
  watches: WatchRegistry;
  /** bookmarkIntervalMs is the period of BOOKMARK events on watches that allow them. */
  bookmarkIntervalMs: number;
}

/** Scope is what a resource URL names: a kind, maybe a namespace (absent: all namespaces), maybe an object. */
export interface Scope {
  definition: KindDefinition;
  namespace?: string;
  name?: string;
}

const byPlural = new Map(kinds.map((k) => [k.plural, k]));

/** isKindPlural says whether a URL segment is the plural of a kind (routes let other paths fall through). */
export function isKindPlural(plural: string): boolean {
  return byPlural.has(plural);
}

/** kindOfPlural is the kind a URL segment names, if any. */
export function kindOfPlural(plural: string): KindDefinition | undefined {
  return byPlural.get(plural);
}

/** kindForPlural resolves the plural of a URL; kubectl's message for an unknown type comes from this 404. */
export function kindForPlural(plural: string): KindDefinition {
  const found = byPlural.get(plural);
  if (!found) throw new NotFoundError("the server could not find the requested resource");
  return found;
}

/** scopeOf reads the scope from route params and notes the target for error Statuses. */
export function scopeOf(req: Request, res: Response): Scope {
  const params = req.params as Record<string, string | undefined>;
  const definition = kindForPlural(params.plural ?? "");
  const scope: Scope = { definition, ...(params.namespace ? { namespace: params.namespace } : {}), ...(params.name ? { name: params.name } : {}) };
  res.locals.target = { plural: definition.plural, kind: definition.kind, ...(scope.name ? { name: scope.name } : {}) } satisfies Target;
  return scope;
}

/** noteRequest records the verb and resource of a request for metrics and request logs. */
export function noteRequest(res: Response, verb: Verb | string, resource: string): void {
  res.locals.verb = verb;
  res.locals.resource = resource;
}
