import { STATUS_CODES } from "node:http";
import { ERROR_HEADER, PAGES, type ProxyErrorKind } from "../pages.ts";

/** LocalAnswer is a response the proxy makes itself: an error page, a redirect, an ACME challenge answer. */
export interface LocalAnswer {
  status: number;
  /** headers are rendered header lines (`Name: value\r\n`), without Content-Length and Connection. */
  headers: string;
  body: Buffer;
}

/** PAGE_ANSWERS are the error pages as answers, built once. */
const PAGE_ANSWERS = Object.fromEntries(
  Object.values(PAGES).map((page) => [
    page.kind,
    { status: page.status, headers: `${ERROR_HEADER}: ${page.kind}\r\nContent-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n`, body: page.body },
  ]),
) as Record<ProxyErrorKind, LocalAnswer>;

/** pageAnswer is one of the proxy's error pages. */
export function pageAnswer(kind: ProxyErrorKind): LocalAnswer {
  return PAGE_ANSWERS[kind];
}

/** textAnswer is a plain-text answer with extra header lines. */
export function textAnswer(status: number, text: string, headers = ""): LocalAnswer {
  return { status, headers: `${headers}Content-Type: text/plain\r\n`, body: Buffer.from(text, "latin1") };
}

/** BAD_REQUEST answers an HTTP/2 request whose Host or framing headers are ambiguous (see vetRequest for HTTP/1.x). */
export const BAD_REQUEST: LocalAnswer = textAnswer(400, "400 Bad Request: ambiguous Host or framing headers\n");

/** renderAnswer is the whole response, head and body (none for HEAD), as one buffer. */
export function renderAnswer(answer: LocalAnswer, close: boolean, clientVersionMinor: number, withBody: boolean): Buffer {
  const connection = close ? "Connection: close\r\n" : clientVersionMinor === 0 ? "Connection: keep-alive\r\n" : "";
  const head = `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ""}\r\n${answer.headers}Content-Length: ${answer.body.length}\r\n${connection}\r\n`;
  return withBody ? Buffer.concat([Buffer.from(head, "latin1"), answer.body]) : Buffer.from(head, "latin1");
}

/**
 * closingAnswer is the answer written to a socket the proxy is about to close (408, 400, 431): bodiless, or
 * with a plain-text `reason` (why a request was refused; values in it come from parsed headers, never CR or LF).
 */
export function closingAnswer(status: number, reason = ""): string {
  const line = `${status} ${STATUS_CODES[status] ?? ""}`;
  if (!reason) return `HTTP/1.1 ${line}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
  const body = `${line}: ${reason}\n`;
  return `HTTP/1.1 ${line}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body, "latin1")}\r\n\r\n${body}`;
}
