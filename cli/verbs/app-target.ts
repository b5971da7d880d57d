import { UsageError } from "../errors.ts";
import { parseRefs } from "../kind-names.ts";

/**
 * appTarget reads the one App a verb acts on: `app/NAME`, `app NAME`, or a bare `NAME` (only Apps have logs and
 * rollouts, so the kind may be left out). `what` names the feature in errors (`logs`, `rollouts`).
 */
export function appTarget(args: readonly string[], what: string, usage: string): string {
  if (args.length === 1 && !args[0]!.includes("/")) return args[0]!;
  const { refs } = parseRefs(args);
  if (refs.length !== 1) throw new UsageError(`give one App: ${usage}`);
  const ref = refs[0]!;
  if (ref.kind.kind !== "App") throw new UsageError(`only Apps have ${what}, not ${ref.kind.kind}s: ${usage}`);
  return ref.name;
}
