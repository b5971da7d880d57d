import { request as httpRequest, type IncomingMessage } from "node:http";
import { Agent, request as httpsRequest } from "node:https";
import { ConnectionError, ServerError, type ApiStatus } from "../errors.ts";
import type { CliSession } from "../session.ts";

/** TextStreamRequest is one GET whose plain-text answer is streamed (`berth logs`). */
export interface TextStreamRequest {
  path: string;
  query: Record<string, string | undefined>;
  /** signal stops the stream (Ctrl-C); the promise then resolves. */
  signal: AbortSignal;
  /** idleTimeoutMs bounds the wait between chunks of the answer; 0 waits as long as it takes (a followed log may be quiet for hours). */
  idleTimeoutMs: number;
  /** headersTimeoutMs bounds the wait for the status line. */
  headersTimeoutMs: number;
}

/**
 * streamText performs a GET and hands each decoded chunk of the answer to `onText` as it arrives. A non-2xx
 * answer becomes a ServerError carrying the Status. It is the streaming sibling of ApiClient.request, which
 * reads whole JSON bodies only; it resolves when the server ends the answer or `signal` aborts.
 */
export async function streamText(session: CliSession, req: TextStreamRequest, onText: (text: string) => void): Promise<void> {
  const config = await session.config();
  const url = new URL(req.path, config.server);
  for (const [key, value] of Object.entries(req.query)) if (value !== undefined) url.searchParams.set(key, value);
  const headers: Record<string, string> = { accept: "text/plain, application/json", "user-agent": "berth-cli" };
  if (config.token) headers.authorization = `Bearer ${config.token}`;
  const agent = url.protocol === "https:" ? new Agent({ keepAlive: false, ...(config.ca ? { ca: config.ca } : {}) }) : undefined;
  try {
    const response = await open(url, headers, agent, req);
    const status = response.statusCode ?? 0;
    response.setEncoding("utf8");
    if (status < 200 || status >= 300) throw toServerError(status, await readAll(response));
    if (req.idleTimeoutMs > 0) response.socket.setTimeout(req.idleTimeoutMs, () => response.destroy(new ConnectionError(`the server at ${url.origin} sent nothing for ${req.idleTimeoutMs / 1000}s`)));
    for await (const chunk of response) onText(chunk as string);
  } catch (error) {
    if (req.signal.aborted) return;
    throw error;
  } finally {
    agent?.destroy();
  }
}

function open(url: URL, headers: Record<string, string>, agent: Agent | undefined, req: TextStreamRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const options = { method: "GET", headers, signal: req.signal };
    const onResponse = (response: IncomingMessage) => {
      clearTimeout(timer);
      resolve(response);
    };
    const request = agent ? httpsRequest(url, { ...options, agent }, onResponse) : httpRequest(url, options, onResponse);
    const timer = setTimeout(() => request.destroy(new ConnectionError(`the server at ${url.origin} did not answer within ${req.headersTimeoutMs / 1000}s`)), req.headersTimeoutMs);
    request.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error instanceof ConnectionError || error.name === "AbortError") return reject(error);
      reject(new ConnectionError(`cannot reach the server at ${url.origin}: ${error.code ?? error.message}`, { cause: error }));
    });
    request.end();
  });
}

async function readAll(response: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of response) text += chunk as string;
  return text;
}

function toServerError(code: number, text: string): ServerError {
  try {
    const parsed = JSON.parse(text) as ApiStatus;
    if (parsed && typeof parsed === "object" && (parsed.kind === "Status" || parsed.message)) return new ServerError(code, parsed);
  } catch {
    // not a Status: report the raw text below
  }
  return new ServerError(code, { message: text.trim() || `the server answered ${code}` });
}
