import net from 'node:net';

export interface RawRequest {
  method: string;
  /** The request-target exactly as sent (path and query, already encoded as the case wants). */
  target: string;
  /** Sent in this order, duplicates included; `Host` and `Connection: close` are added. */
  headers: Array<[string, string | Buffer]>;
  body?: Buffer;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  ms: number;
}

/**
 * One HTTP/1.1 request written byte for byte on its own connection, for what fetch refuses to send:
 * duplicated and oversized headers, bytes that are not UTF-8, raw request targets. Resolves with the
 * parsed response, or rejects if none comes within `timeoutMs` (a hang) or the connection breaks first.
 */
export function rawRequest(port: number, req: RawRequest, timeoutMs = 20_000): Promise<RawResponse> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) return reject(err);
      try {
        resolve({ ...parse(Buffer.concat(chunks)), ms: Date.now() - started });
      } catch (parseErr) {
        reject(parseErr as Error);
      }
    };
    const timer = setTimeout(() => finish(new Error(`no complete response within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (complete(Buffer.concat(chunks))) finish();
    });
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', (err) => {
      // The server may answer and close before it read the whole (oversized) request: keep the answer.
      if (chunks.length > 0) finish();
      else finish(err);
    });
    const head = [`${req.method} ${req.target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
    const lines: Buffer[] = [Buffer.from(head.join('\r\n') + '\r\n', 'latin1')];
    for (const [name, value] of req.headers)
      lines.push(
        Buffer.concat([
          Buffer.from(`${name}: `, 'latin1'),
          Buffer.isBuffer(value) ? value : Buffer.from(value, 'latin1'),
          Buffer.from('\r\n'),
        ]),
      );
    if (
      req.body &&
      !req.headers.some(([n]) => n.toLowerCase() === 'content-length' || n.toLowerCase() === 'transfer-encoding')
    ) {
      lines.push(Buffer.from(`Content-Length: ${req.body.length}\r\n`));
    }
    lines.push(Buffer.from('\r\n'));
    if (req.body) lines.push(req.body);
    socket.write(Buffer.concat(lines), () => undefined);
  });
}

function splitHead(buf: Buffer): { head: string; rest: Buffer } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  return {
    head: buf.subarray(0, end).toString('latin1'),
    rest: buf.subarray(end + 4),
  };
}

function headersOf(head: string): {
  status: number;
  headers: Record<string, string>;
} {
  const [statusLine, ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]);
  if (!status) throw new Error(`not an HTTP response: ${JSON.stringify(head.slice(0, 200))}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) {
      const name = line.slice(0, i).trim().toLowerCase();
      headers[name] =
        headers[name] === undefined ? line.slice(i + 1).trim() : `${headers[name]}, ${line.slice(i + 1).trim()}`;
    }
  }
  return { status, headers };
}

/** A full response is in: by Content-Length, by the last chunk, or (neither) only at close. */
function complete(buf: Buffer): boolean {
  const parts = splitHead(buf);
  if (!parts) return false;
  const { headers, status } = headersOf(parts.head);
  if (status === 204 || status === 304) return true;
  // A stream (SSE) that opened is an answer: the case is about how the request was handled, not the stream.
  if (/text\/event-stream/.test(headers['content-type'] ?? '')) return true;
  if (headers['content-length'] !== undefined) return parts.rest.length >= Number(headers['content-length']);
  if (/chunked/i.test(headers['transfer-encoding'] ?? ''))
    return parts.rest.includes('\r\n0\r\n\r\n') || parts.rest.subarray(0, 5).toString() === '0\r\n\r\n';
  return false;
}

function parse(buf: Buffer): Omit<RawResponse, 'ms'> {
  const parts = splitHead(buf);
  if (!parts) throw new Error(`incomplete response: ${JSON.stringify(buf.subarray(0, 200).toString('latin1'))}`);
  const { status, headers } = headersOf(parts.head);
  let body = parts.rest;
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const out: Buffer[] = [];
    let at = 0;
    for (;;) {
      const eol = body.indexOf('\r\n', at);
      if (eol < 0) break;
      const size = parseInt(body.subarray(at, eol).toString('latin1'), 16);
      if (!size) break;
      out.push(body.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
    body = Buffer.concat(out);
  } else if (headers['content-length'] !== undefined) {
    body = body.subarray(0, Number(headers['content-length']));
  }
  return { status, headers, body };
}
