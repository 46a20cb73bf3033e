import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What the local stand-ins for upstream services (Direct Line, Kernel) share: a node:http server that tracks
 * its sockets (so that close() drops hanging and dripping connections too), the calls it received, a queue of
 * faults to play, and the control routes under /_stub/ that drive it over HTTP when run by hand.
 */

/** How the next calls fail, whatever the upstream. */
export type UpstreamFault =
  /** Answer this status (with Retry-After and Location when given). */
  | { kind: 'status'; status: number; retryAfter?: string; location?: string }
  /** Accept the request and never answer. */
  | { kind: 'hang' }
  /** Drop the connection without an answer. */
  | { kind: 'reset' }
  /** 200 with a body that is not JSON. */
  | { kind: 'garbage' };

export interface UpstreamStubOptions {
  host?: string;
  /** 0 (default): any free port. */
  port?: number;
}

const MAX_REQUEST_BYTES = 64 * 1024;
const CONTROL_PREFIX = '/_stub/';
const CONTROL_FAULT = '/_stub/fault';

export abstract class UpstreamStub<Fault extends { kind: string }, Call extends { path: string }> {
  readonly calls: Call[] = [];
  /** Faults still to play, in order; calls answer normally once it is empty. */
  private faults: Array<{ fault: Fault; remaining: number }> = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  protected constructor() {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch(() => response.destroy());
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Base URL of the stub. */
  get url(): string {
    const address = this.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  /** Calls received on the given path. */
  callsTo(path: string): Call[] {
    return this.calls.filter((call) => call.path === path);
  }

  /** The next `times` calls (all of them by default) fail this way, instead of any fault set before. */
  fail(fault: Fault, times = Number.POSITIVE_INFINITY): this {
    this.faults = [{ fault, remaining: times }];
    return this;
  }

  /** Once the faults set before are played, the next `times` calls (all by default) fail this way. */
  thenFail(fault: Fault, times = Number.POSITIVE_INFINITY): this {
    this.faults.push({ fault, remaining: times });
    return this;
  }

  /** Answer normally again. */
  recover(): void {
    this.faults = [];
  }

  reset(): void {
    this.recover();
    this.calls.length = 0;
  }

  /** Stops listening and drops every open connection (hanging and dripping ones included). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) {
      socket.destroy();
    }
    await closed;
  }

  protected async listen(options: UpstreamStubOptions): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
  }

  /** What the stub keeps of a call (`text` is the body, undefined when too large). */
  protected abstract record(path: string, request: IncomingMessage, text: string | undefined): Call;

  /** Answers a recorded call, playing `fault` when there is one to play. */
  protected abstract serve(
    call: Call,
    fault: Fault | undefined,
    request: IncomingMessage,
    response: ServerResponse,
  ): void | Promise<void>;

  /** The body of a `status` fault, in the upstream's error format. */
  protected abstract faultBody(status: number): unknown;

  /** Plays a fault every upstream can play. */
  protected play(fault: UpstreamFault, request: IncomingMessage, response: ServerResponse): void {
    switch (fault.kind) {
      case 'status':
        response.writeHead(fault.status, {
          'content-type': 'application/json',
          ...(fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter }),
          ...(fault.location === undefined ? {} : { location: fault.location }),
        });
        response.end(JSON.stringify(this.faultBody(fault.status)));
        return;
      case 'hang':
        return;
      case 'reset':
        request.socket.destroy();
        return;
      case 'garbage':
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('<html>this is not the document you are looking for');
        return;
    }
  }

  /**
   * Control routes: POST /_stub/fault {fault, times?} makes the next calls fail; DELETE /_stub/fault recovers.
   * A stub with more routes overrides this and hands the others here.
   */
  protected control(path: string, method: string | undefined, body: unknown, response: ServerResponse): void {
    if (path !== CONTROL_FAULT) {
      return sendJson(response, 404, { error: 'unknown control route' });
    }
    if (method === 'DELETE') {
      this.recover();
      return sendJson(response, 200, { fault: null });
    }
    const { fault, times } = (body ?? {}) as { fault?: Fault; times?: number };
    if (method !== 'POST' || fault === undefined || typeof fault.kind !== 'string') {
      return sendJson(response, 400, {
        error: 'POST {"fault": {"kind": "status", "status": 503}, "times": 3} or DELETE',
      });
    }
    this.fail(fault, typeof times === 'number' && times > 0 ? times : undefined);
    return sendJson(response, 200, { fault, times: times ?? 'all' });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    const text = await readText(request);
    if (path.startsWith(CONTROL_PREFIX)) {
      const body = parseJson(text);
      if (body === INVALID) {
        return sendJson(response, 400, { error: 'not JSON' });
      }
      return this.control(path, request.method, body, response);
    }
    const call = this.record(path, request, text);
    this.calls.push(call);
    return this.serve(call, this.takeFault(), request, response);
  }

  private takeFault(): Fault | undefined {
    const next = this.faults[0];
    if (next === undefined) {
      return undefined;
    }
    next.remaining -= 1;
    if (next.remaining <= 0) {
      this.faults.shift();
    }
    return next.fault;
  }
}

/** How to drive a stub run by hand over HTTP, for its start banner. */
export function faultUsage(url: string): string {
  return [
    `Make the next calls fail:  curl -X POST ${url}${CONTROL_FAULT} -d '{"fault":{"kind":"status","status":503}}'`,
    `Recover:                   curl -X DELETE ${url}${CONTROL_FAULT}`,
  ].join('\n');
}

/** Runs a stub by hand (`npm run stub:*`): started by `start`, closed on SIGINT or SIGTERM. */
export function runByHand(start: () => Promise<{ close(): Promise<void> }>): void {
  start().then(
    (stub) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.once(signal, () => {
          void stub.close().then(() => process.exit(0));
        });
      }
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}

const INVALID = Symbol('invalid JSON');

/** The body as JSON: undefined when empty or too large, INVALID when it is not JSON. */
function parseJson(text: string | undefined): unknown {
  if (text === undefined || text === '') {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return INVALID;
  }
}

/** Parses a request body the stub received as JSON, or undefined (empty, too large or not JSON). */
export function jsonOf(text: string | undefined): unknown {
  const body = parseJson(text);
  return body === INVALID ? undefined : body;
}

/** The request body as UTF-8 text, or undefined when larger than 64 KiB. */
async function readText(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) {
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
