import { BadRequestError } from "../resources/index.ts";

/** QuerySource is what the readers need of a request: its parsed query (express's `req.query`, or the fast path's). */
export interface QuerySource {
  query: Record<string, unknown>;
}

/** queryParam reads one query parameter as a string (the first, if repeated); unknown parameters are simply never read. */
export function queryParam(req: QuerySource, name: string): string | undefined {
  const value = req.query[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === "string" ? first : undefined;
}

/** isWatch: `?watch=true` or `?watch=1` turns a list into a watch. */
export function isWatch(req: QuerySource): boolean {
  const value = queryParam(req, "watch");
  return value === "true" || value === "1";
}

/** flag reads a boolean parameter (`true`/`1`). */
export function flag(req: QuerySource, name: string): boolean {
  const value = queryParam(req, name);
  return value === "true" || value === "1";
}

/** nonNegativeInt reads an integer parameter; a malformed one is a 400. */
export function nonNegativeInt(req: QuerySource, name: string): number | undefined {
  const value = queryParam(req, name);
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new BadRequestError(`${name}: must be a non-negative integer, got "${value}"`);
  return n;
}

/** isDryRun reads `dryRun`: `All` validates without storing; any other value is refused, as Kubernetes does. */
export function isDryRun(req: QuerySource): boolean {
  const value = queryParam(req, "dryRun");
  if (value === undefined || value === "") return false;
  if (value === "All") return true;
  throw new BadRequestError(`dryRun: Unsupported value: "${value}": supported values: "All"`);
}
