import { errorLine, isNotFound, UsageError } from "../errors.ts";
import { lookupKind, parseRefs, quotedName, resourcePath, type KindName } from "../kind-names.ts";
import { parseDuration } from "../duration.ts";
import { waitFor } from "../wait-for.ts";
import type { CliSession } from "../session.ts";

interface Doomed {
  kind: KindName;
  namespace: string;
  name: string;
}

/** targetsOf lists what to delete: named objects, or the objects of manifests in reverse apply order. */
async function targetsOf(session: CliSession, args: string[], options: Record<string, unknown>): Promise<Doomed[]> {
  const namespaceFlag = options.namespace as string | undefined;
  const namespace = await session.namespace(namespaceFlag);
  const files = options.filename as string[] | undefined;
  if (files && files.length > 0) {
    if (args.length > 0) throw new UsageError("give either -f or KIND NAME, not both");
    const { readManifests } = await import("../../resources/manifests.ts");
    const manifests = await readManifests(files, { stdin: () => session.io.readStdin() });
    return manifests.reverse().map((m) => ({
      kind: lookupKind(m.object.kind)!,
      namespace: namespaceFlag ?? ((m.raw.metadata as { namespace?: string } | undefined)?.namespace || namespace),
      name: m.object.metadata.name,
    }));
  }
  const { refs } = parseRefs(args);
  if (refs.length === 0) throw new UsageError("nothing to delete: give KIND NAME..., KIND/NAME..., or -f FILE");
  return refs.map((r) => ({ kind: r.kind, namespace, name: r.name }));
}

/** runDelete is `berth delete KIND NAME...` or `berth delete -f FILE`, waiting (by default) until each object is gone. */
export async function runDelete(session: CliSession, args: string[], options: Record<string, unknown>): Promise<number> {
  const doomed = await targetsOf(session, args, options);
  const wait = options.wait !== false && options.wait !== "false";
  const timeoutMs = parseDuration(String(options.timeout ?? "60s"));
  const client = await session.client();
  let code = 0;
  const deleted: Doomed[] = [];
  for (const d of doomed) {
    try {
      await client.request({ method: "DELETE", path: resourcePath(d.kind, d.namespace, d.name), body: { propagationPolicy: "Background" } });
      session.io.out(`${quotedName(d.kind, d.name)} deleted\n`);
      deleted.push(d);
    } catch (error) {
      if (isNotFound(error) && options.ignoreNotFound) continue;
      session.io.err(`${errorLine(error)}\n`);
      code = 1;
    }
  }
  if (!wait) return code;
  const deadline = Date.now() + timeoutMs;
  for (const d of deleted) {
    try {
      await waitFor(client, d, (object) => object === undefined, deadline);
    } catch (error) {
      session.io.err(`${errorLine(error)}\n`);
      code = 1;
    }
  }
  return code;
}
