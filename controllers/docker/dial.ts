import type { DockerClient } from "./client.ts";

/**
 * dial sends one Engine API request through dockerode's modem with an AbortSignal. It exists because a few
 * dockerode methods (image and network inspect) drop the `abortSignal` they are given; errors carry
 * `statusCode` like dockerode's own.
 */
export function dial<T>(docker: DockerClient, method: "GET" | "POST" | "DELETE", path: string, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      { path, method, options: {}, abortSignal: signal, statusCodes: { 200: true, 201: true, 204: true, 304: "not modified", 404: "not found", 409: "conflict", 500: "server error" } } as Parameters<DockerClient["modem"]["dial"]>[0],
      (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as T)),
    );
  });
}
