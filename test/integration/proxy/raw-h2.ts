import { connect as tlsConnect } from "node:tls";

/**
 * raw-h2 sends one HTTP/2 request as hand-built frames, so that a test can send what `node:http2`'s client
 * refuses to (connection-specific headers, CR/LF in values, a Content-Length the DATA frames contradict).
 * Headers are HPACK literals without indexing and without Huffman coding (RFC 7541 §6.2.2).
 */

/** RawH2Outcome is how the server ended stream 1: a response status, a RST_STREAM code, or a GOAWAY code. */
export interface RawH2Outcome {
  status?: number;
  reset?: number;
  goaway?: number;
}

const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const DATA = 0;
const HEADERS = 1;
const RST_STREAM = 3;
const SETTINGS = 4;
const GOAWAY = 7;
const END_STREAM = 1;
const END_HEADERS = 4;
const ACK = 1;

/** STATIC_STATUS maps the HPACK static table's :status entries (RFC 7541 Appendix A) to their codes. */
const STATIC_STATUS: Record<number, number> = { 8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500 };

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/** hpackInteger encodes an integer with a 7-bit prefix (the string-length form, Huffman bit clear). */
function hpackInteger(value: number): Buffer {
  if (value < 127) return Buffer.from([value]);
  const bytes = [127];
  let rest = value - 127;
  while (rest >= 128) {
    bytes.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** literal encodes one header as a literal without indexing, with a new name. */
function literal(name: string, value: string): Buffer {
  const n = Buffer.from(name, "latin1");
  const v = Buffer.from(value, "latin1");
  return Buffer.concat([Buffer.from([0]), hpackInteger(n.length), n, hpackInteger(v.length), v]);
}

/** statusOf reads :status from the first field of a response header block (indexed, or literal with an indexed name). */
function statusOf(block: Buffer): number {
  const first = block[0]!;
  if (first & 0x80) return STATIC_STATUS[first & 0x7f] ?? -1;
  if ((first & 0xc0) === 0x40 || (first & 0xf0) === 0) {
    const length = block[1]!;
    if (length & 0x80) return -1; // Huffman-coded: not needed by the tests
    return Number(block.subarray(2, 2 + length).toString("latin1"));
  }
  return -1;
}

/**
 * sendRawH2 opens a TLS connection with ALPN h2 to `port`, sends the headers (pseudo-headers first, as given)
 * on stream 1 and then `body` as one DATA frame (none: the HEADERS frame ends the stream), and resolves with
 * how the server ended the stream (5 s at most).
 */
export function sendRawH2(port: number, servername: string, ca: string, headers: Array<[string, string]>, body?: string): Promise<RawH2Outcome> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ port, host: "127.0.0.1", servername, ca, ALPNProtocols: ["h2"] });
    const timer = setTimeout(() => finish(new Error("no end of stream 1 within 5 s")), 5_000);
    let buffer = Buffer.alloc(0);
    const outcome: RawH2Outcome = {};
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(outcome);
    };
    socket.on("error", (error) => finish(error));
    socket.on("close", () => finish(outcome.status || outcome.reset !== undefined || outcome.goaway !== undefined ? undefined : new Error("connection closed before stream 1 ended")));
    socket.on("secureConnect", () => {
      if (socket.alpnProtocol !== "h2") return finish(new Error(`ALPN chose ${String(socket.alpnProtocol)}, not h2`));
      const block = Buffer.concat(headers.map(([name, value]) => literal(name, value)));
      const parts = [Buffer.from(PREFACE, "latin1"), frame(SETTINGS, 0, 0, Buffer.alloc(0)), frame(HEADERS, END_HEADERS | (body === undefined ? END_STREAM : 0), 1, block)];
      if (body !== undefined) parts.push(frame(DATA, END_STREAM, 1, Buffer.from(body, "latin1")));
      socket.write(Buffer.concat(parts));
    });
    socket.on("data", (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      while (buffer.length >= 9) {
        const length = buffer.readUIntBE(0, 3);
        if (buffer.length < 9 + length) break;
        const type = buffer[3]!;
        const flags = buffer[4]!;
        const stream = buffer.readUInt32BE(5) & 0x7fffffff;
        const payload = buffer.subarray(9, 9 + length);
        buffer = buffer.subarray(9 + length);
        if (type === SETTINGS && !(flags & ACK)) socket.write(frame(SETTINGS, ACK, 0, Buffer.alloc(0)));
        else if (type === GOAWAY) {
          outcome.goaway = payload.readUInt32BE(4);
          return finish();
        } else if (stream === 1 && type === RST_STREAM) {
          outcome.reset = payload.readUInt32BE(0);
          return finish();
        } else if (stream === 1 && type === HEADERS) {
          outcome.status ??= statusOf(payload);
          if (flags & END_STREAM) return finish();
        } else if (stream === 1 && type === DATA && flags & END_STREAM) return finish();
      }
    });
  });
}
