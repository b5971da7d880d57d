import { UsageError } from "../errors.ts";
import { qualifiedName, resourcePath } from "../kind-names.ts";
import type { CliSession } from "../session.ts";
import { BUILD, buildsOfApp, isActive } from "./builds.ts";
import { rolloutTarget } from "./rollout.ts";

/**
 * runRolloutCancel is `berth rollout cancel app/NAME`: every Build of the App still waiting or running gets
 * `spec.cancelled: true`; the Build controller then aborts its Docker build and ends it Cancelled. The App
 * keeps running what it ran.
 */
export async function runRolloutCancel(session: CliSession, args: string[], options: Record<string, unknown>): Promise<number> {
  const name = rolloutTarget(args);
  const namespace = await session.namespace(options.namespace as string | undefined);
  const client = await session.client();
  const active = (await buildsOfApp(client, namespace, name)).filter(isActive);
  if (active.length === 0) throw new UsageError(`app "${name}" has no build waiting or running`);
  for (const build of active) {
    await client.request({ method: "PATCH", path: resourcePath(BUILD, namespace, build.metadata.name), contentType: "application/merge-patch+json", body: { spec: { cancelled: true } } });
    session.io.out(`${qualifiedName(BUILD, build.metadata.name)} cancelled (commit ${build.spec.source.commit.slice(0, 12)})\n`);
  }
  return 0;
}
