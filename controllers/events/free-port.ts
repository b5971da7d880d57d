import { createServer } from "node:net";

/**
 * freePort asks the kernel for a TCP port that is free on `host` right now. Another process may take it before
 * the caller binds it, so callers that can choose again should (the embedded nats-server does, on first start).
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port assigned"))));
    });
  });
}
