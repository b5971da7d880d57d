import { z } from "zod";
import { kinds } from "./registry.ts";

/**
 * jsonSchemas renders every kind's zod schema as JSON Schema (draft 2020-12), keyed by kind: the same source
 * that validates writes documents them. Used by `/openapi/v3`-style docs and editor tooling.
 */
export function jsonSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of kinds) out[k.kind] = z.toJSONSchema(k.schema, { io: "input", unrepresentable: "any" });
  return out;
}
