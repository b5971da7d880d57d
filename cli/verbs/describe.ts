import { API_PREFIX, parseRefs, resourcePath, type KindName } from "../kind-names.ts";
import { describeObject, type EventLike } from "../output/describe-format.ts";
import type { ApiClient } from "../http-client.ts";
import type { CliSession } from "../session.ts";

type Obj = Record<string, unknown> & { kind?: string; metadata?: { name?: string; namespace?: string } };

/** eventsFor fetches an object's events; like kubectl, describe still works when events cannot be read. */
async function eventsFor(client: ApiClient, object: Obj): Promise<EventLike[]> {
  const namespace = object.metadata?.namespace ?? "default";
  const fieldSelector = `involvedObject.name=${object.metadata?.name ?? ""},involvedObject.kind=${object.kind ?? ""}`;
  try {
    const list = await client.request<{ items?: EventLike[] }>({ path: `${API_PREFIX}/namespaces/${encodeURIComponent(namespace)}/events`, query: { fieldSelector } });
    return list.items ?? [];
  } catch {
    // Events are hints: a server without them, or a token that may not read them, still gets the object.
    return [];
  }
}

/** runDescribe is `berth describe KIND NAME...` (or every object of a kind when no name is given). */
export async function runDescribe(session: CliSession, args: string[], options: Record<string, unknown>): Promise<number> {
  const { kind, refs } = parseRefs(args);
  const namespace = await session.namespace(options.namespace as string | undefined);
  const client = await session.client();
  const objects: Obj[] = [];
  if (kind && refs.length === 0) {
    const list = await client.request<{ items?: Obj[] }>({ path: resourcePath(kind, namespace) });
    objects.push(...(list.items ?? []));
    if (objects.length === 0) session.io.err(`No resources found in ${namespace} namespace.\n`);
  } else {
    for (const ref of refs) objects.push(await client.request<Obj>({ path: resourcePath(ref.kind as KindName, namespace, ref.name) }));
  }
  const texts = await Promise.all(objects.map(async (o) => describeObject(o, await eventsFor(client, o))));
  session.io.out(texts.join("\n\n"));
  return 0;
}
