/** previews runs pull-request previews: the preview Apps webhooks make, and the sweep that removes stale ones. */
export { PreviewsController, createPreviewsController, type PreviewsControllerOptions } from "./previews-controller.ts";
export {
  desiredPreview, previewName, isPreview, previewOwnedBy, updatedAt,
  PREVIEW_OF_LABEL, PREVIEW_NUMBER_LABEL, PREVIEW_UPDATED_ANNOTATION, type PullHead,
} from "./preview-app.ts";
export { planPreviews, ttlMs, type PreviewPlan, type Removal } from "./preview-policy.ts";
