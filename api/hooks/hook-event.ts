/** PushChange is one ref a push moved: its full name (`refs/heads/main`) and the commit it points at now. */
export interface PushChange {
  ref: string;
  commit: string;
}

/** PullAction is what happened to a pull (merge) request, reduced to what previews care about. */
export type PullAction = "open" | "update" | "close";

/**
 * HookEvent is a delivery in a provider-neutral form: a ping, a push (one or more refs moved; a deleted ref is
 * left out), a pull or merge request opened, updated or closed, or anything else (ignored).
 */
export type HookEvent =
  | { type: "ping" }
  | { type: "push"; changes: PushChange[] }
  | { type: "pull"; action: PullAction; number: number; headRef: string; commit: string }
  | { type: "ignored"; name: string };
