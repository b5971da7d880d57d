import { ApiClient } from "../../support/https-client.ts";
import { startTestApi, type TestApi, type TestApiOptions } from "../../support/api-harness.ts";

/** NS_PATH is the collection path of a kind in a namespace. */
export function nsPath(plural: string, namespace = "default", name?: string): string {
  return `/apis/berth.dev/v1/namespaces/${namespace}/${plural}${name ? `/${name}` : ""}`;
}

/** app builds an App manifest. */
export function app(name: string, spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) {
  return { apiVersion: "berth.dev/v1", kind: "App", metadata: { name, ...metadata }, spec: { image: "nginx:1.27", ...spec } };
}

/** TABLE_ACCEPT is what kubectl 1.20 sends for `get` without `-o`. */
export const TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

/** withApi starts an API and an admin client for one test and closes both afterwards. */
export async function withApi(t: { after(fn: () => Promise<void> | void): void }, options: TestApiOptions = {}): Promise<{ api: TestApi; client: ApiClient }> {
  const api = await startTestApi(options);
  const client = new ApiClient(api.url, api.ca, api.adminToken);
  t.after(async () => {
    client.close();
    await api.close();
  });
  return { api, client };
}
