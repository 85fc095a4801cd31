// A local HTTP file server for download tests: serves in-memory files on 127.0.0.1 (ephemeral port),
// honours `Range: bytes=N-` (206 / 416), and can misbehave on demand: drop the connection or go silent
// after N bytes, ignore Range, redirect. It records every request and the body bytes it sent, and answers 429 past
// `maxRequests` so a buggy client cannot loop forever.
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface ServedFile {
  data: Uint8Array;
  /** Answer 200 with the whole file even when a Range is asked for. */
  ignoreRange?: boolean;
  /** Close the connection after sending this many body bytes... */
  dropAfterBytes?: number;
  /** ...or stop sending (connection left open: the client must time out) after this many... */
  stallAfterBytes?: number;
  /** ...for this many responses (default 1), then behave. */
  misbehaveTimes?: number;
  /**
   * Awaited before dropping, with the file offset the client will have once it has everything sent so
   * far: lets a test wait until the client has those bytes on disk (the client loses bytes still
   * buffered in its response stream when the connection dies, which would make the test racy).
   */
  beforeDrop?: (offsetSent: number) => Promise<void>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  range: string | undefined;
  status: number;
  bytesSent: number;
}

export interface TestHttpServer {
  /** e.g. http://127.0.0.1:41234/ */
  baseUrl: string;
  port: number;
  files: Map<string, ServedFile>;
  /** path → Location to answer with a 302. */
  redirects: Map<string, string>;
  requests: RecordedRequest[];
  /** Body bytes sent over all requests. */
  bytesSent(): number;
  close(): Promise<void>;
}

export async function startTestHttpServer(
  files: Record<string, ServedFile | Uint8Array> = {},
  options: { maxRequests?: number } = {},
): Promise<TestHttpServer> {
  const maxRequests = options.maxRequests ?? 20;
  const served = new Map<string, ServedFile>();
  for (const [p, f] of Object.entries(files)) served.set(p.startsWith("/") ? p : "/" + p, f instanceof Uint8Array ? { data: f } : f);
  const redirects = new Map<string, string>();
  const requests: RecordedRequest[] = [];

  const server = http.createServer((req, res) => {
    const record: RecordedRequest = {
      method: req.method ?? "GET",
      path: new URL(req.url ?? "/", "http://127.0.0.1").pathname,
      range: req.headers.range,
      status: 0,
      bytesSent: 0,
    };
    requests.push(record);
    const reply = (status: number, headers: http.OutgoingHttpHeaders = {}, body?: Uint8Array): void => {
      record.status = status;
      res.writeHead(status, headers);
      if (body) record.bytesSent += body.length;
      res.end(body);
    };
    if (requests.length > maxRequests) return reply(429, { "content-length": 0 });
    const location = redirects.get(record.path);
    if (location) return reply(302, { location, "content-length": 0 });
    const file = served.get(record.path);
    if (!file) return reply(404, { "content-length": 0 });

    const size = file.data.length;
    let start = 0;
    let status = 200;
    const headers: http.OutgoingHttpHeaders = { "accept-ranges": "bytes", "content-type": "application/zip" };
    const m = /^bytes=(\d+)-(\d*)$/.exec(record.range ?? "");
    if (m && !file.ignoreRange) {
      start = Number(m[1]);
      if (start >= size) return reply(416, { "content-range": `bytes */${size}`, "content-length": 0 });
      status = 206;
      headers["content-range"] = `bytes ${start}-${size - 1}/${size}`;
    }
    const body = file.data.subarray(start);
    headers["content-length"] = body.length;
    record.status = status;
    res.writeHead(status, headers);
    const left = file.misbehaveTimes ?? 1;
    const cutAt = file.dropAfterBytes ?? file.stallAfterBytes;
    if (cutAt !== undefined && left > 0 && cutAt < body.length) {
      file.misbehaveTimes = left - 1;
      const head = body.subarray(0, cutAt);
      record.bytesSent += head.length;
      // Flush what was promised so far, then cut the connection mid-body (or just go silent).
      res.write(head, () => {
        if (file.dropAfterBytes === undefined) return;
        const wait = file.beforeDrop ? file.beforeDrop(start + head.length) : Promise.resolve();
        void wait.then(() => res.socket?.destroy());
      });
      return;
    }
    record.bytesSent += body.length;
    res.end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/`,
    port,
    files: served,
    redirects,
    requests,
    bytesSent: () => requests.reduce((sum, r) => sum + r.bytesSent, 0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
