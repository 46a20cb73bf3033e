import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A local stand-in for Direct Line 3.0 (node:http, no dependency): it answers
 * POST /v3/directline/tokens/generate and POST /v3/directline/conversations as Direct Line does,
 * checks the bearer secret, puts the user id it receives in the token, and can be told to fail.
 * Tests drive it in-process; `npm run stub:directline` runs it by hand, driven over HTTP (/_stub/fault).
 */

/** How the next calls fail. */
export type DirectLineFault =
  /** Answer this status (with Retry-After when given). */
  | { kind: 'status'; status: number; retryAfter?: string; location?: string }
  /** Accept the request and never answer. */
  | { kind: 'hang' }
  /** Drop the connection without an answer. */
  | { kind: 'reset' }
  /** 200 with a body that is not JSON. */
  | { kind: 'garbage' }
  /** 200 with JSON of the wrong shape (token is a number). */
  | { kind: 'malformed' }
  /** 200 whose body arrives one byte at a time and never ends. */
  | { kind: 'drip'; intervalMs?: number }
  /** The normal answer, after a delay. */
  | { kind: 'delay'; ms: number };

export const DIRECTLINE_STUB_PATHS = {
  generateToken: '/v3/directline/tokens/generate',
  conversations: '/v3/directline/conversations',
} as const;

/** One request the stub received on a Direct Line path. */
export interface DirectLineStubCall {
  path: string;
  authorization: string | undefined;
  body: unknown;
}

export interface DirectLineStubOptions {
  /** The secret callers must present as `Authorization: Bearer <secret>`. */
  secret: string;
  host?: string;
  /** 0 (default): any free port. */
  port?: number;
}

const TOKEN_LIFETIME_SECONDS = 3600;
const MAX_REQUEST_BYTES = 64 * 1024;
const CONTROL_PATH = '/_stub/fault';

export class DirectLineStub {
  readonly calls: DirectLineStubCall[] = [];
  /** Faults still to play, in order; calls answer normally once it is empty. */
  private faults: Array<{ fault: DirectLineFault; remaining: number }> = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  private constructor(private readonly secret: string) {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch(() => response.destroy());
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  static async start(options: DirectLineStubOptions): Promise<DirectLineStub> {
    const stub = new DirectLineStub(options.secret);
    await new Promise<void>((resolve, reject) => {
      stub.server.once('error', reject);
      stub.server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    return stub;
  }

  /** Base URL to configure as DIRECTLINE_BASE_URL. */
  get url(): string {
    const address = this.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  /** Calls received on the given Direct Line path. */
  callsTo(path: string): DirectLineStubCall[] {
    return this.calls.filter((call) => call.path === path);
  }

  /** The next `times` calls (all of them by default) fail this way, instead of any fault set before. */
  fail(fault: DirectLineFault, times = Number.POSITIVE_INFINITY): this {
    this.faults = [{ fault, remaining: times }];
    return this;
  }

  /** Once the faults set before are played, the next `times` calls (all by default) fail this way. */
  thenFail(fault: DirectLineFault, times = Number.POSITIVE_INFINITY): this {
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

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    const body = await readJson(request);
    if (path === CONTROL_PATH) {
      return this.control(request.method, body, response);
    }
    this.calls.push({ path, authorization: request.headers.authorization, body });
    const fault = this.takeFault();
    if (fault?.kind === 'delay') {
      setTimeout(() => this.answer(path, request, response, body), fault.ms);
      return;
    }
    if (fault !== undefined) {
      return this.misbehave(fault, request, response);
    }
    return this.answer(path, request, response, body);
  }

  /** What Direct Line answers. */
  private answer(path: string, request: IncomingMessage, response: ServerResponse, body: unknown): void {
    if (path !== DIRECTLINE_STUB_PATHS.generateToken && path !== DIRECTLINE_STUB_PATHS.conversations) {
      return send(response, 404, { error: { code: 'NotFound', message: 'Unknown path' } });
    }
    if (request.method !== 'POST') {
      return send(response, 405, { error: { code: 'MethodNotAllowed', message: 'Use POST' } });
    }
    const authorization = request.headers.authorization;
    if (authorization === undefined) {
      return send(response, 401, { error: { code: 'BadArgument', message: 'Missing token or secret' } });
    }
    if (authorization !== `Bearer ${this.secret}`) {
      return send(response, 403, { error: { code: 'BadArgument', message: 'Invalid token or secret' } });
    }
    const userId = userIdOf(body);
    const conversationId = randomBytes(16).toString('base64url');
    const token = fakeToken(conversationId, userId);
    if (path === DIRECTLINE_STUB_PATHS.generateToken) {
      return send(response, 200, { conversationId, token, expires_in: TOKEN_LIFETIME_SECONDS });
    }
    const streamBase = this.url.replace(/^http/, 'ws');
    return send(response, 201, {
      conversationId,
      token,
      expires_in: TOKEN_LIFETIME_SECONDS,
      streamUrl: `${streamBase}/v3/directline/conversations/${conversationId}/stream?watermark=&t=${token}`,
      referenceGrammarId: randomUUID(),
      eTag: 'W/"1"',
    });
  }

  private takeFault(): DirectLineFault | undefined {
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

  private misbehave(fault: DirectLineFault, request: IncomingMessage, response: ServerResponse): void {
    switch (fault.kind) {
      case 'status':
        response.writeHead(fault.status, {
          'content-type': 'application/json',
          ...(fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter }),
          ...(fault.location === undefined ? {} : { location: fault.location }),
        });
        response.end(JSON.stringify({ error: { code: 'StubFault', message: `Stub answers ${fault.status}` } }));
        return;
      case 'hang':
        return;
      case 'reset':
        request.socket.destroy();
        return;
      case 'garbage':
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('<html>this is not the token you are looking for');
        return;
      case 'malformed':
        return send(response, 200, { conversationId: 'abc', token: 12345, expires_in: 'soon' });
      case 'drip': {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{');
        const timer = setInterval(() => response.write(' '), fault.intervalMs ?? 20);
        response.once('close', () => clearInterval(timer));
        return;
      }
      case 'delay':
        return;
    }
  }

  /** POST /_stub/fault {fault, times?} makes the next calls fail; DELETE /_stub/fault recovers. */
  private control(method: string | undefined, body: unknown, response: ServerResponse): void {
    if (method === 'DELETE') {
      this.recover();
      return send(response, 200, { fault: null });
    }
    const { fault, times } = (body ?? {}) as { fault?: DirectLineFault; times?: number };
    if (method !== 'POST' || fault === undefined || typeof fault.kind !== 'string') {
      return send(response, 400, { error: 'POST {"fault": {"kind": "status", "status": 503}, "times": 3} or DELETE' });
    }
    this.fail(fault, typeof times === 'number' && times > 0 ? times : undefined);
    return send(response, 200, { fault, times: times ?? 'all' });
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) {
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function userIdOf(body: unknown): string | undefined {
  const id = (body as { user?: { id?: unknown } } | undefined)?.user?.id;
  return typeof id === 'string' ? id : undefined;
}

/** A JWT-shaped token (unsigned: nothing verifies it) whose claims carry the conversation and the user id. */
function fakeToken(conversationId: string, userId: string | undefined): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = {
    bot: 'aura-directline-stub',
    conv: conversationId,
    ...(userId === undefined ? {} : { user: userId }),
    nbf: now,
    exp: now + TOKEN_LIFETIME_SECONDS,
    iss: 'https://directline.botframework.com/',
  };
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.${randomBytes(32).toString('base64url')}`;
}

/** The claims inside a token the stub issued. */
export function stubTokenClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}
