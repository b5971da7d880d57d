import { BadRequestError, type Resource } from "../resources/index.ts";

/** Requirement is one clause of a label selector. */
interface Requirement {
  key: string;
  op: "=" | "!=" | "in" | "notin" | "exists" | "!exists";
  values: string[];
}

/** Matcher tests an object against parsed selectors. */
export type Matcher = (obj: Resource) => boolean;

const SET_CLAUSE = /^\s*([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)\s*$/;

/** splitClauses splits on commas that are not inside parentheses. */
function splitClauses(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of selector) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      out.push(current);
      current = "";
    } else current += ch;
  }
  out.push(current);
  return out.map((c) => c.trim()).filter((c) => c !== "");
}

/** parseLabelSelector parses Kubernetes label selector syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`. */
export function parseLabelSelector(selector: string): Requirement[] {
  return splitClauses(selector).map((clause) => {
    const set = SET_CLAUSE.exec(clause);
    if (set) return { key: set[1]!, op: set[2] as "in" | "notin", values: set[3]!.split(",").map((v) => v.trim()).filter(Boolean) };
    const neq = clause.split("!=");
    if (neq.length === 2) return { key: neq[0]!.trim(), op: "!=", values: [neq[1]!.trim()] };
    const eq = clause.split(/==?/);
    if (eq.length === 2) return { key: eq[0]!.trim(), op: "=", values: [eq[1]!.trim()] };
    if (/^![^\s=!]+$/.test(clause)) return { key: clause.slice(1), op: "!exists", values: [] };
    if (/^[^\s=!()]+$/.test(clause)) return { key: clause, op: "exists", values: [] };
    throw new BadRequestError(`unable to parse requirement: "${clause}"`);
  });
}

function matchesRequirement(value: string | undefined, r: Requirement): boolean {
  switch (r.op) {
    case "=": return value === r.values[0];
    case "!=": return value !== r.values[0];
    case "in": return value !== undefined && r.values.includes(value);
    case "notin": return value === undefined || !r.values.includes(value);
    case "exists": return value !== undefined;
    case "!exists": return value === undefined;
  }
}

/** fieldValue reads a dotted path (`metadata.name`, `spec.appRef.name`) as a string. */
export function fieldValue(obj: unknown, path: string): string | undefined {
  let cur: unknown = obj;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return undefined;
  return typeof cur === "object" ? JSON.stringify(cur) : String(cur);
}

/**
 * compileSelectors turns label and field selectors into one matcher. Field selectors support `=`, `==` and `!=`
 * on any dotted path; a missing field compares as the empty string, as in Kubernetes.
 */
export function compileSelectors(labelSelector?: string, fieldSelector?: string): Matcher {
  const labels = labelSelector ? parseLabelSelector(labelSelector) : [];
  const fields = fieldSelector
    ? splitClauses(fieldSelector).map((clause) => {
        const neq = clause.split("!=");
        if (neq.length === 2) return { path: neq[0]!.trim(), negate: true, value: neq[1]!.trim() };
        const eq = clause.split(/==?/);
        if (eq.length === 2) return { path: eq[0]!.trim(), negate: false, value: eq[1]!.trim() };
        throw new BadRequestError(`invalid field selector: "${clause}"`);
      })
    : [];
  if (labels.length === 0 && fields.length === 0) return () => true;
  return (obj) => {
    const objLabels = obj.metadata.labels ?? {};
    for (const r of labels) if (!matchesRequirement(objLabels[r.key], r)) return false;
    for (const f of fields) if (((fieldValue(obj, f.path) ?? "") === f.value) === f.negate) return false;
    return true;
  };
}
