import { ServerError, UsageError } from "../errors.ts";
import { parseRefs, qualifiedName } from "../kind-names.ts";
import { parseDuration } from "../duration.ts";
import { waitFor, type Observed } from "../wait-for.ts";
import type { CliSession } from "../session.ts";

/** WaitCondition is a parsed `--for`: an object's deletion, or a condition type reaching a status. */
export type WaitCondition = { kind: "delete" } | { kind: "condition"; type: string; status: string };

/** parseFor reads `--for=delete`, `--for=condition=Ready` or `--for=condition=Ready=False`. */
export function parseFor(text: string): WaitCondition {
  if (text === "delete") return { kind: "delete" };
  const match = /^condition=([^=]+)(?:=(.+))?$/.exec(text);
  if (!match) throw new UsageError(`unrecognized condition "${text}": use --for=condition=Ready, --for=condition=Ready=False or --for=delete`);
  const status = match[2] ?? "True";
  const normalised = status.toLowerCase() === "true" ? "True" : status.toLowerCase() === "false" ? "False" : status.toLowerCase() === "unknown" ? "Unknown" : status;
  return { kind: "condition", type: match[1]!, status: normalised };
}

interface Condition {
  type?: string;
  status?: string;
  observedGeneration?: number;
}

/**
 * conditionMet says whether an object has the condition with the wanted status, for its current generation: a
 * Ready=True left from before a spec change (condition or status observedGeneration behind metadata.generation)
 * does not count, since the controllers have not acted on the change yet.
 */
export function conditionMet(object: Observed | undefined, type: string, status: string): boolean {
  if (!object) return false;
  const objectStatus = object.status as { observedGeneration?: number; conditions?: Condition[] } | undefined;
  const condition = objectStatus?.conditions?.find((c) => c.type === type);
  if (!condition || condition.status !== status) return false;
  const generation = object.metadata?.generation;
  const observed = condition.observedGeneration ?? objectStatus?.observedGeneration;
  return generation === undefined || observed === undefined || observed >= generation;
}

/** runWait is `berth wait --for=condition=Ready KIND/NAME... --timeout=60s` (or `--for=delete`). */
export async function runWait(session: CliSession, args: string[], options: Record<string, unknown>): Promise<number> {
  const condition = parseFor(String(options.for));
  const { refs } = parseRefs(args);
  if (refs.length === 0) throw new UsageError("give the objects to wait for: KIND/NAME or KIND NAME...");
  const deadline = Date.now() + parseDuration(String(options.timeout ?? "30s"));
  const namespace = await session.namespace(options.namespace as string | undefined);
  const client = await session.client();
  for (const ref of refs) {
    const target = { kind: ref.kind, namespace, name: ref.name };
    if (condition.kind === "delete") {
      await waitFor(client, target, (o) => o === undefined, deadline);
      session.io.out(`${qualifiedName(ref.kind, ref.name)} deleted\n`);
    } else {
      let seen = false;
      await waitFor(client, target, (o) => {
        if (o === undefined && !seen) throw new ServerError(404, { reason: "NotFound", message: `${ref.kind.plural}.berth.dev "${ref.name}" not found` });
        seen = true;
        return conditionMet(o, condition.type, condition.status);
      }, deadline);
      session.io.out(`${qualifiedName(ref.kind, ref.name)} condition met\n`);
    }
  }
  return 0;
}
