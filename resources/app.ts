import { z } from "zod";
import { dnsLabel, localObjectRef, resourceLimits, secretKeyRef } from "./meta.ts";
import { defineKind, readyColumn, reasonColumn, conditionOf } from "./define-kind.ts";

const port = z.number().int().min(1).max(65535);
const duration = z.string().regex(/^\d+(ms|s|m|h)$/, "a duration such as `30s`, `5m` or `1h`");

/** databaseKeys are the facts a `databaseRef` env var can take from a Database. */
export const databaseKeys = ["url", "host", "port", "user", "password", "database"] as const;

const envVar = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name"),
    value: z.string().optional().describe("Value is a literal value."),
    valueFrom: z
      .strictObject({
        secretKeyRef: secretKeyRef.optional().describe("SecretKeyRef takes the value from a key of a Secret."),
        databaseRef: z
          .strictObject({ name: dnsLabel, key: z.enum(databaseKeys) })
          .optional()
          .describe("DatabaseRef takes a connection fact (url, host, port, user, password, database) from a Database."),
      })
      .refine((v) => (v.secretKeyRef ? 1 : 0) + (v.databaseRef ? 1 : 0) === 1, "set exactly one of secretKeyRef or databaseRef")
      .optional(),
  })
  .refine((v) => (v.value !== undefined ? 1 : 0) + (v.valueFrom ? 1 : 0) <= 1, "set value or valueFrom, not both");

const healthCheck = z
  .strictObject({
    http: z.strictObject({ path: z.string().startsWith("/").default("/"), port: port.optional() }).optional(),
    tcp: z.strictObject({ port: port.optional() }).optional(),
    exec: z.strictObject({ command: z.array(z.string()).min(1) }).optional(),
    initialDelaySeconds: z.number().min(0).default(0),
    intervalSeconds: z.number().positive().default(10).describe("IntervalSeconds between probes once the replica is healthy; probing starts at once and backs off up to it."),
    timeoutSeconds: z.number().positive().default(5),
    successThreshold: z.number().int().min(1).default(1),
    failureThreshold: z.number().int().min(1).default(3),
  })
  .refine((h) => [h.http, h.tcp, h.exec].filter(Boolean).length <= 1, "set at most one of http, tcp or exec");

const intOrPercent = z.union([z.number().int().min(0), z.string().regex(/^\d{1,3}%$/, "an integer or a percentage such as `25%`")]);

const strategy = z.strictObject({
  type: z.enum(["Rolling", "Recreate"]).default("Rolling"),
  maxSurge: intOrPercent.default(1).describe("MaxSurge is how many replicas above `replicas` may run during a rollout."),
  maxUnavailable: intOrPercent.default(0).describe("MaxUnavailable is how many replicas below `replicas` may be unready during a rollout."),
  drainSeconds: z.number().min(0).default(5).describe("DrainSeconds an old replica keeps serving in-flight requests after leaving the routes."),
  progressDeadlineSeconds: z.number().int().positive().default(120).describe("ProgressDeadlineSeconds after which a rollout that is not healthy is Degraded."),
});

const build = z.strictObject({
  git: z.strictObject({
    url: z.string().min(1).describe("URL of the git repository."),
    ref: z.string().min(1).default("main").describe("Ref (branch, tag or commit) to build."),
    secretRef: localObjectRef.optional().describe("SecretRef names a Secret with `username`/`password` or `ssh-privatekey`."),
    pollInterval: duration.optional().describe("PollInterval polls the ref for new commits when no webhook is set up."),
  }),
  dockerfile: z.string().optional().describe("Dockerfile path inside the context; absent → auto-detected build."),
  context: z.string().default(".").describe("Context directory inside the repository."),
  args: z
    .record(z.string(), z.union([z.string(), z.strictObject({ secretKeyRef: secretKeyRef })]))
    .optional()
    .describe("Args are Docker build arguments: a literal value, or `{secretKeyRef: {name, key}}` (redacted from the build log)."),
  target: z.string().min(1).optional().describe("Target is the Dockerfile stage to build (`docker build --target`)."),
  webhook: z.strictObject({ secretRef: secretKeyRef }).optional().describe("Webhook holds the shared secret that deliveries are verified with."),
  previews: z
    .strictObject({
      enabled: z.boolean().default(false).describe("Enabled makes a preview App `<app>-pr-<N>` for each open pull (merge) request that webhooks report."),
      maxActive: z.number().int().min(1).default(5).describe("MaxActive previews at once; beyond it the least recently updated preview is removed."),
      ttl: duration.optional().describe("Ttl removes a preview whose pull request has not been pushed to for this long (`72h`); absent: kept until the request closes."),
    })
    .optional()
    .describe("Previews run each open pull request as an App of its own; see docs/builds.md."),
});

/** appSpec is what a user declares about an App. */
export const appSpec = z
  .strictObject({
    image: z.string().min(1).optional().describe("Image to run (`nginx:1.27`); set this or build."),
    imagePullSecretRef: localObjectRef.optional().describe("ImagePullSecretRef names a Secret with `username`, `password` and optional `server` for a private registry."),
    build: build.optional().describe("Build builds the image from a git repository; set this or image."),
    replicas: z.number().int().min(0).default(1),
    port: port.optional().describe("Port the app listens on inside its containers; routes and the default health check use it."),
    command: z.array(z.string()).optional().describe("Command overrides the image's entrypoint."),
    args: z.array(z.string()).optional().describe("Args override the image's command."),
    env: z.array(envVar).default([]),
    resources: resourceLimits.optional(),
    healthCheck: healthCheck.optional().describe("HealthCheck gates traffic and rollouts; default: tcp on `port`."),
    volumes: z.array(z.strictObject({ name: dnsLabel, mountPath: z.string().startsWith("/") })).default([]),
    strategy: strategy.default({ type: "Rolling", maxSurge: 1, maxUnavailable: 0, drainSeconds: 5, progressDeadlineSeconds: 120 }),
    revisionHistoryLimit: z.number().int().min(0).default(10),
    paused: z.boolean().default(false).describe("Paused stops rollouts of spec changes; running replicas are kept."),
    deletionPolicy: z.enum(["Retain", "Delete"]).default("Retain").describe("DeletionPolicy says whether the App's volumes are deleted with it."),
  })
  .refine((s) => (s.image ? 1 : 0) + (s.build ? 1 : 0) === 1, { message: "set exactly one of image or build", path: ["image"] });

const endpoint = z.object({ replica: z.string(), host: z.string(), port: port });

export const { definition: appKind, schema: appSchema } = defineKind({
  kind: "App",
  plural: "apps",
  shortNames: ["app"],
  spec: appSpec,
  status: {
    replicas: z.number().int().optional(),
    readyReplicas: z.number().int().optional(),
    updatedReplicas: z.number().int().optional(),
    revision: z.number().int().optional(),
    image: z.string().optional().describe("Image is the resolved image reference running now."),
    imageID: z.string().optional(),
    url: z.string().optional(),
    endpoints: z.array(endpoint).optional().describe("Endpoints are the ready replicas' addresses the proxy routes to."),
    history: z.array(z.object({ revision: z.number().int(), image: z.string(), specHash: z.string(), createdAt: z.string() }).passthrough()).optional(),
  },
  columns: [
    readyColumn,
    { name: "Replicas", type: "string", description: "Ready / desired replicas.", priority: 0, value: (o) => `${(o.status?.readyReplicas as number | undefined) ?? 0}/${(o.spec as AppSpec).replicas}` },
    { name: "Image", type: "string", description: "Image or git source.", priority: 0, value: (o) => (o.spec as AppSpec).image ?? (o.spec as AppSpec).build?.git.url ?? "" },
    { name: "URL", type: "string", description: "Where the App is reached (status.url): its own Domain, else its generated one.", priority: 0, value: (o) => (o.status?.url as string | undefined) ?? "<none>" },
    { name: "Revision", type: "integer", description: "Current revision.", priority: 1, value: (o) => (o.status?.revision as number | undefined) ?? 0 },
    { name: "Progressing", type: "string", description: "Progressing condition.", priority: 1, value: (o) => conditionOf(o, "Progressing")?.status ?? "Unknown" },
    reasonColumn,
  ],
});

export type AppSpec = z.infer<typeof appSpec>;
