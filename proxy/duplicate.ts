import { spawn, type ChildProcess } from "node:child_process";

/**
 * SENDER runs in a short-lived child process: the sockets it inherited as descriptors 4, 5, ... are sent back
 * over its IPC channel, each as a raw handle (never read from: a listening socket accepts nothing there). It
 * stays until the parent, having them all, disconnects.
 */
const SENDER = `
const net = require("node:net");
process.on("message", () => {});
for (let i = 0; i < Number(process.argv[1]); i++) process.send(i, new net.Socket({ fd: 4 + i, readable: false, writable: false })._handle);`;

/**
 * duplicateSockets returns, as handles owned by the calling thread, duplicates of sockets the process has open
 * as `fds` (another thread's listening sockets), in order. Node 20 has no call that duplicates a descriptor, and
 * a thread that listened on another thread's descriptor number would share its lifetime: the first close, by
 * either thread, would close the socket under both, and a second close could hit whatever the process opened
 * since under that number. The duplicates come from a child process instead: it inherits the sockets (a
 * duplicate each, made by the kernel at spawn) and sends them back over its IPC channel, which gives this
 * thread a descriptor of its own for each. A handle can be passed to `net.Server.listen`.
 */
export function duplicateSockets(fds: readonly number[], timeoutMs: number): Promise<object[]> {
  return new Promise((resolve, reject) => {
    const handles: object[] = [];
    // Nothing of the daemon's environment (NODE_OPTIONS included) is its business; spawn passes no Node flags.
    const child: ChildProcess = spawn(process.execPath, ["-e", SENDER, String(fds.length)], { stdio: ["ignore", "ignore", "inherit", "ipc", ...fds], env: {} });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the process duplicating the listening sockets did not answer within ${timeoutMs}ms`));
    }, timeoutMs);
    child.on("message", (index: number, handle: object | undefined) => {
      if (handle) handles[index] = handle;
      if (handles.filter(Boolean).length < fds.length) return;
      clearTimeout(timer);
      resolve(handles);
      child.disconnect();
    });
    child.once("error", (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the process duplicating the listening sockets exited with code ${code} before sending every socket`));
    });
  });
}
