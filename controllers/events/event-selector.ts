import { BadRequestError } from "../../resources/index.ts";
import { fieldValue } from "../../store/index.ts";
import type { KubeEvent } from "./types.ts";

/** EVENT_FIELDS are the fields an event field selector may name, as the Kubernetes API server allows for events. */
export const EVENT_FIELDS = [
  "metadata.name", "metadata.namespace",
  "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
  "involvedObject.apiVersion", "involvedObject.resourceVersion",
  "reason", "type", "source", "reportingComponent",
] as const;

interface Clause {
  path: string;
  negate: boolean;
  value: string;
}

/** EventMatcher tests one event against a compiled field selector. */
export type EventMatcher = (event: KubeEvent) => boolean;

/**
 * compileEventSelector parses a field selector (`involvedObject.kind=App,type!=Normal`) for events; it throws
 * BadRequestError for a clause it cannot parse or a field events cannot be selected by.
 */
export function compileEventSelector(selector?: string): EventMatcher {
  const clauses = (selector ?? "").split(",").map((c) => c.trim()).filter((c) => c !== "").map(parseClause);
  if (clauses.length === 0) return () => true;
  return (event) => clauses.every((c) => (valueOf(event, c.path) === c.value) !== c.negate);
}

function parseClause(clause: string): Clause {
  const match = /^([A-Za-z.]+)\s*(!=|==|=)\s*(.*)$/.exec(clause);
  if (!match) throw new BadRequestError(`invalid field selector: "${clause}"`);
  const [, path = "", op, value = ""] = match;
  if (!(EVENT_FIELDS as readonly string[]).includes(path))
    throw new BadRequestError(`field label not supported: ${path} (events can be selected by ${EVENT_FIELDS.join(", ")})`);
  return { path, negate: op === "!=", value: value.trim() };
}

function valueOf(event: KubeEvent, path: string): string {
  if (path === "source") return event.source.component;
  if (path === "reportingComponent") return event.source.component;
  return fieldValue(event, path) ?? "";
}
