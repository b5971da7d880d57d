import { NotFoundError, type Resource } from "../../resources/index.ts";
import type { ResourceStore } from "../../store/index.ts";
import type { EventRecorder } from "../events/types.ts";
import type { Logger } from "../../lib/logger.ts";
import { informerFor, mappingSource, type Controller, type ControllerOptions, type Informer, type Key, type ReconcileContext, type Result, type SharedInformers, type Source } from "../runtime/index.ts";
import { PREVIEW_OF_LABEL, isPreview, previewOwnedBy } from "./preview-app.ts";
import { planPreviews } from "./preview-policy.ts";

/** PreviewsControllerOptions wire the controller to the store. */
export interface PreviewsControllerOptions {
  store: ResourceStore;
  logger: Logger;
  recorder?: EventRecorder;
  /** informers are the daemon's shared informers (absent: the controller keeps its own). */
  informers?: SharedInformers;
}

const BY_PARENT = "previews-controller:parent";

/**
 * PreviewsController sweeps pull-request previews. Webhook deliveries create, update and delete preview Apps
 * (`<app>-pr-<N>`); this controller removes those that should no longer run: every preview of an App whose
 * previews were turned off, previews whose pull request has not moved for `build.previews.ttl`, and the least
 * recently updated ones beyond `build.previews.maxActive`. It reconciles parents; a preview's change
 * enqueues its parent. A parent that is deleted takes its previews with it through garbage collection.
 */
export class PreviewsController implements Controller {
  readonly name = "previews-controller";
  readonly kind = "App";
  readonly options: ControllerOptions = { successLogLevel: "debug" };
  private readonly deps: PreviewsControllerOptions;
  private readonly apps: Informer;

  constructor(deps: PreviewsControllerOptions) {
    this.deps = deps;
    this.apps = informerFor(deps.informers, deps.store, "App", { logger: deps.logger });
    this.apps.addIndex(BY_PARENT, (app) => {
      const parent = app.metadata.labels?.[PREVIEW_OF_LABEL];
      return parent ? [`${app.metadata.namespace}/${parent}`] : [];
    });
  }

  sources(): Source[] {
    const keyOfParent = (app: Resource) => {
      const parent = app.metadata.labels?.[PREVIEW_OF_LABEL];
      return `App/${app.metadata.namespace}/${parent ?? app.metadata.name}`;
    };
    return [mappingSource(this.apps, (app) => [keyOfParent(app)], "apps and the parents of previews")];
  }

  async reconcile(key: Key, ctx: ReconcileContext): Promise<Result> {
    const parent = this.apps.get(key);
    if (!parent || isPreview(parent)) return {};
    const previews = this.apps.byIndex(BY_PARENT, `${parent.metadata.namespace}/${parent.metadata.name}`)
      .filter((p) => previewOwnedBy(p, parent) && !p.metadata.deletionTimestamp);
    const plan = planPreviews(parent, previews, ctx.now().getTime());
    for (const removal of plan.removals) {
      try {
        await this.deps.store.delete({ kind: "App", namespace: removal.preview.metadata.namespace, name: removal.preview.metadata.name }, { preconditions: { uid: removal.preview.metadata.uid! } });
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        continue;
      }
      this.deps.recorder?.record(parent, "Normal", removal.reason, removal.message);
      ctx.log.info({ preview: removal.preview.metadata.name, reason: removal.reason }, "removed a preview");
    }
    return plan.nextCheckMs !== undefined ? { requeueAfterMs: plan.nextCheckMs } : {};
  }
}

/** createPreviewsController returns the previews controller for `Manager.add`. */
export function createPreviewsController(options: PreviewsControllerOptions): PreviewsController {
  return new PreviewsController(options);
}
