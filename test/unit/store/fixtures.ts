import { admit, type Resource } from "../../../resources/index.ts";

/** AppOptions shape a test App. */
export interface AppOptions {
  namespace?: string;
  labels?: Record<string, string>;
  image?: string;
  finalizers?: string[];
}

/** app builds an admitted App, as the API would hand it to the store. */
export function app(name: string, options: AppOptions = {}): Resource {
  return admit({
    apiVersion: "berth.dev/v1",
    kind: "App",
    metadata: {
      name,
      namespace: options.namespace ?? "default",
      ...(options.labels ? { labels: options.labels } : {}),
      ...(options.finalizers ? { finalizers: options.finalizers } : {}),
    },
    spec: { image: options.image ?? "nginx:1.27", port: 80 },
  });
}

/** secret builds an admitted Secret from plain values (folded into base64 `data`). */
export function secret(name: string, values: Record<string, string>, annotations?: Record<string, string>): Resource {
  return admit({
    apiVersion: "berth.dev/v1",
    kind: "Secret",
    metadata: { name, namespace: "default", ...(annotations ? { annotations } : {}) },
    stringData: values,
  });
}

/** realisticApp is an App of about 1.5 KB of JSON once stored: a real spec, labels and annotations. */
export function realisticApp(name: string, serial = 0): Resource {
  return admit({
    apiVersion: "berth.dev/v1",
    kind: "App",
    metadata: {
      name,
      namespace: "default",
      labels: { app: name, tier: "web", team: "payments", "app.kubernetes.io/part-of": "shop" },
      annotations: {
        "berth.dev/change-cause": `deploy ${serial} from CI pipeline 48213 (commit 9f2c1e4b7a0d3c5e8f1a2b4c6d8e0f1a3b5c7d9e)`,
        "berth.dev/owner-team": "payments-platform@example.com",
        "berth.dev/runbook": "https://wiki.example.com/runbooks/payments/checkout-web",
      },
    },
    spec: {
      image: `registry.example.com/shop/checkout-web:1.${serial % 50}.${serial}`,
      replicas: 3,
      port: 8080,
      env: [
        { name: "NODE_ENV", value: "production" },
        { name: "LOG_LEVEL", value: "info" },
        { name: "FEATURE_FLAGS", value: "new-cart,fast-checkout,async-receipts" },
        { name: "DATABASE_URL", valueFrom: { databaseRef: { name: "orders-db", key: "url" } } },
        { name: "STRIPE_KEY", valueFrom: { secretKeyRef: { name: "stripe", key: "api-key" } } },
        { name: "SERIAL", value: String(serial) },
      ],
      resources: { cpu: "500m", memory: "512Mi" },
      healthCheck: { http: { path: "/healthz", port: 8080 }, intervalSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
      volumes: [{ name: "uploads", mountPath: "/var/lib/uploads" }],
      strategy: { type: "Rolling", maxSurge: 1, maxUnavailable: 0, drainSeconds: 10, progressDeadlineSeconds: 180 },
    },
  });
}
