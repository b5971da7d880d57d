import { z } from "zod";
import { dnsLabel, localObjectRef } from "./meta.ts";
import { defineKind, readyColumn, reasonColumn, conditionOf } from "./define-kind.ts";

const HOST = /^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** domainSpec is what a user declares about a Domain: a host (and path prefix) routed to an App. */
export const domainSpec = z.strictObject({
  host: z.string().max(253).regex(HOST, "a lowercase host name, optionally starting with `*.`").describe("Host to route; `*.example.com` matches one label."),
  appRef: z.strictObject({ name: dnsLabel, port: z.number().int().min(1).max(65535).optional().describe("Port of the App (default: its `port`).") }),
  path: z.string().startsWith("/").default("/").describe("Path prefix to route (longest prefix wins)."),
  tls: z
    .strictObject({
      mode: z.enum(["acme", "secret", "none"]).default("acme"),
      email: z.string().email().optional().describe("Email for the ACME account."),
      issuer: z.string().url().optional().describe("Issuer is an ACME directory URL overriding the daemon's default."),
      secretRef: localObjectRef.optional().describe("SecretRef names a Secret with `tls.crt` and `tls.key` (mode: secret)."),
    })
    .refine((t) => t.mode !== "secret" || t.secretRef, { message: "mode secret needs secretRef", path: ["secretRef"] })
    .default({ mode: "acme" }),
  redirectHttp: z.boolean().optional().describe("RedirectHttp sends plain HTTP to HTTPS (default: true when TLS is on)."),
});

export type DomainSpec = z.infer<typeof domainSpec>;

export const { definition: domainKind, schema: domainSchema } = defineKind({
  kind: "Domain",
  plural: "domains",
  shortNames: ["dom"],
  spec: domainSpec,
  status: {
    routed: z.boolean().optional(),
    url: z.string().optional(),
    certificate: z
      .object({ notBefore: z.string(), notAfter: z.string(), issuer: z.string(), serial: z.string(), secretName: z.string().optional() })
      .optional(),
    issuance: z
      .object({
        failures: z.number().int().describe("Failures is how many certificate orders in a row failed."),
        lastError: z.string().describe("LastError is the CA's (or the challenge's) last error message."),
        retryAt: z.string().describe("RetryAt is when the next order may start (the backoff respects CA rate limits across restarts)."),
        generation: z.number().int().optional().describe("Generation of the Domain the failures were for; a changed spec retries at once."),
      })
      .optional()
      .describe("Issuance is the ACME backoff after failed orders; absent when the last order succeeded."),
  },
  columns: [
    readyColumn,
    { name: "Host", type: "string", description: "Host and path.", priority: 0, value: (o) => { const s = o.spec as DomainSpec; return s.path === "/" ? s.host : `${s.host}${s.path}`; } },
    { name: "App", type: "string", description: "App routed to.", priority: 0, value: (o) => (o.spec as DomainSpec).appRef.name },
    { name: "TLS", type: "string", description: "TLS mode.", priority: 1, value: (o) => (o.spec as DomainSpec).tls.mode },
    { name: "Certificate", type: "string", description: "CertificateReady condition.", priority: 1, value: (o) => conditionOf(o, "CertificateReady")?.status ?? "" },
    reasonColumn,
  ],
});
