import { z } from "zod";
import { dnsLabel } from "./meta.ts";
import { defineKind, reasonColumn } from "./define-kind.ts";

/** buildPhases are the states of a Build, in the order a successful one goes through them. */
export const buildPhases = ["Pending", "Running", "Succeeded", "Failed", "Cancelled"] as const;
export type BuildPhase = (typeof buildPhases)[number];

/** TERMINAL_PHASES are the phases a Build never leaves. */
export const TERMINAL_PHASES: ReadonlySet<string> = new Set(["Succeeded", "Failed", "Cancelled"]);

/**
 * buildSpec is one build of an App from git: which App, which commit of which repository, and how. The App's
 * build controller creates Builds; users may cancel one (`cancelled: true`, or `berth rollout cancel`).
 */
export const buildSpec = z.strictObject({
  appRef: z.strictObject({ name: dnsLabel }).describe("AppRef is the App built (in the same namespace); it owns the Build."),
  source: z.strictObject({
    url: z.string().min(1).describe("URL of the git repository."),
    ref: z.string().min(1).describe("Ref (branch or tag) the commit was resolved from."),
    commit: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, "a full commit id (40 or 64 lowercase hex digits)").describe("Commit built."),
  }),
  strategy: z.enum(["dockerfile", "detected"]).default("dockerfile").describe("Strategy: the App's Dockerfile (`dockerfile`), or one generated for the detected stack when the context has none (`detected`)."),
  cancelled: z.boolean().optional().describe("Cancelled stops the build (its Docker build is aborted) and ends it Cancelled."),
});

export type BuildSpec = z.infer<typeof buildSpec>;

export const { definition: buildKind, schema: buildSchema } = defineKind({
  kind: "Build",
  plural: "builds",
  shortNames: ["bld"],
  spec: buildSpec,
  status: {
    phase: z.enum(buildPhases).optional(),
    image: z.string().optional().describe("Image is the reference of the image built (`repository:commit`)."),
    imageID: z.string().optional(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    log: z.object({ bytes: z.number().int(), truncated: z.boolean() }).optional().describe("Log is the size of the build log kept on disk (`berth logs build/NAME`)."),
    failedStep: z.string().optional().describe("FailedStep names the step that failed: `fetch`, `context`, or the Dockerfile step (`Step 3/5 : RUN make`)."),
    stack: z.string().optional().describe("Stack is the detected stack, when the Dockerfile was generated."),
  },
  columns: [
    { name: "App", type: "string", description: "App built.", priority: 0, value: (o) => (o.spec as BuildSpec).appRef.name },
    { name: "Commit", type: "string", description: "Commit built (short).", priority: 0, value: (o) => (o.spec as BuildSpec).source.commit.slice(0, 12) },
    { name: "Phase", type: "string", description: "Phase of the build.", priority: 0, value: (o) => (o.status?.phase as string | undefined) ?? "Pending" },
    { name: "Ref", type: "string", description: "Ref the commit came from.", priority: 1, value: (o) => (o.spec as BuildSpec).source.ref },
    { name: "Image", type: "string", description: "Image built.", priority: 1, value: (o) => (o.status?.image as string | undefined) ?? "" },
    reasonColumn,
  ],
});
