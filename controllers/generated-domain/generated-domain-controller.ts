import { AlreadyExistsError, NotFoundError, type DomainSpec, type Resource } from "../../resources/index.ts";
import type { ResourceStore } from "../../store/index.ts";
import type { EventRecorder } from "../events/types.ts";
import type { Logger } from "../../lib/logger.ts";
import { informerFor, mappingSource, watchSource, writeStatus, type Controller, type Informer, type SharedInformers, type ControllerOptions, type Key, type ReconcileContext, type Result, type Source } from "../runtime/index.ts";
import { appUrl, desiredGeneratedDomain, generatedDomainName, ownedBy, sameSpec, wantsGeneratedDomain, type GeneratedDomainOptions } from "./generated-domain.ts";

/** GeneratedDomainControllerOptions wire the controller to the store; without `generate` it only keeps App URLs. */
export interface GeneratedDomainControllerOptions {
  store: ResourceStore;
  logger: Logger;
  recorder?: EventRecorder;
  /** informers are the daemon's shared informers (absent: the controller keeps its own). */
  informers?: SharedInformers;
  /** generate turns generated Domains on (the daemon's `--base-domain`). */
  generate?: GeneratedDomainOptions;
}

const BY_APP = "generated-domain-controller:app";

/**
 * GeneratedDomainController gives every App that listens on a port a Domain of its own under the daemon's
 * base domain (`<app>-<namespace>.<base>`, like the generated domains of Coolify or CapRover), as an ordinary
 * Domain object owned by the App: routed, certified and reported by the Domain controller like any other, and
 * deleted with the App. It also keeps each App's `status.url`: where the App is reached, a user's own Domain
 * before the generated one.
 */
export class GeneratedDomainController implements Controller {
  readonly name = "generated-domain-controller";
  readonly kind = "App";
  readonly options: ControllerOptions = { maxConcurrentReconciles: 2, successLogLevel: "debug" };
  private readonly deps: GeneratedDomainControllerOptions;
  private readonly apps: Informer;
  private readonly domains: Informer;

  constructor(deps: GeneratedDomainControllerOptions) {
    this.deps = deps;
    this.apps = informerFor(deps.informers, deps.store, "App", { logger: deps.logger });
    this.domains = informerFor(deps.informers, deps.store, "Domain", { logger: deps.logger });
    this.domains.addIndex(BY_APP, (d) => [`${d.metadata.namespace}/${(d.spec as DomainSpec).appRef.name}`]);
  }

  sources(): Source[] {
    // A Domain's change (its URL, its appRef moving) concerns the App it points at, and the one it pointed at before.
    const appsOf = (domain: Resource, event: { previous?: Resource }) =>
      new Set([domain, event.previous].filter((d): d is Resource => d !== undefined).map((d) => `App/${d.metadata.namespace}/${(d.spec as DomainSpec).appRef.name}`));
    return [watchSource(this.apps), mappingSource(this.domains, appsOf, "apps of a domain")];
  }

  async reconcile(key: Key, ctx: ReconcileContext): Promise<Result> {
    const app = this.apps.get(key);
    if (!app) return {};
    if (this.deps.generate) await this.ensureDomain(app, this.deps.generate, ctx);
    const url = appUrl(this.domains.byIndex(BY_APP, `${app.metadata.namespace}/${app.metadata.name}`));
    if (app.metadata.deletionTimestamp || url === app.status?.url) return {};
    try {
      await writeStatus(this.deps.store, app, (status) => {
        if (url === undefined) delete status.url;
        else status.url = url;
        return status;
      });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    return {};
  }

  /** ensureDomain creates, corrects or removes the App's generated Domain. A same-named Domain it does not own is left alone. */
  private async ensureDomain(app: Resource, generate: GeneratedDomainOptions, ctx: ReconcileContext): Promise<void> {
    const namespace = app.metadata.namespace!;
    const name = generatedDomainName(app);
    const existing = this.domains.get(`Domain/${namespace}/${name}`);
    if (existing && !ownedBy(existing, app)) {
      if (wantsGeneratedDomain(app)) this.deps.recorder?.record(app, "Warning", "GeneratedDomainNameTaken", `Domain ${name} exists and is not owned by this App; no host under ${generate.baseDomain} is generated`);
      return;
    }
    if (!wantsGeneratedDomain(app)) {
      if (existing && !app.metadata.deletionTimestamp) {
        await this.deps.store.delete({ kind: "Domain", namespace, name }).catch((error: unknown) => {
          if (!(error instanceof NotFoundError)) throw error;
        });
        ctx.log.info({ domain: name }, "removed the generated Domain");
      }
      return;
    }
    const desired = desiredGeneratedDomain(app, generate);
    if (!existing) {
      try {
        await this.deps.store.create(desired);
        this.deps.recorder?.record(app, "Normal", "GeneratedDomain", `App is reachable at ${(desired.spec as DomainSpec).host} (Domain ${name})`);
      } catch (error) {
        // The informer had not seen it yet: the next event brings it.
        if (!(error instanceof AlreadyExistsError)) throw error;
      }
      return;
    }
    if (sameSpec(existing, desired)) return;
    await this.deps.store.update({ ...existing, spec: desired.spec } as Resource);
  }
}

/** createGeneratedDomainController returns the generated-domain controller for `Manager.add`. */
export function createGeneratedDomainController(options: GeneratedDomainControllerOptions): GeneratedDomainController {
  return new GeneratedDomainController(options);
}
