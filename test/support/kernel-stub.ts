import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

/**
 * A local stand-in for Kernel's OAuth endpoints (node:http and jose): the JWT-bearer grant (RFC 7523) and the
 * user profile. The token endpoint checks the client's HTTP Basic credentials and really verifies the assertion
 * against the service's JWKS, fetched over HTTP from its `/openid/jwk` (signature, kid, iss, aud, exp, lifetime,
 * replayed jti: each refused with `invalid_grant`). Tests drive it in-process; `npm run stub:kernel` runs it by
 * hand, driven over HTTP (/_stub/fault, /_stub/subscribers).
 */

export const KERNEL_STUB_PATHS = { token: '/oauth/token', userProfile: '/userprofile' } as const;
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** How the next calls fail. */
export type KernelFault =
  /** Drop every connection at once, without an answer. */
  | { kind: 'down' }
  /** Answer this status (with Retry-After when given). */
  | { kind: 'status'; status: number; retryAfter?: string }
  /** Accept the request and never answer. */
  | { kind: 'hang' }
  /** 200 with a body that is not JSON. */
  | { kind: 'garbage' }
  /** The token endpoint answers invalid_grant whoever the subscriber. */
  | { kind: 'unknown_subscriber' };

/** A subscriber Kernel knows: the `sub` of assertions, and the profile it answers. */
export interface KernelSubscriber {
  id: string;
  phone_number?: string;
  subscription_type?: string;
}

export interface KernelStubCall {
  path: string;
  method: string;
  authorization: string | undefined;
  correlator: string | undefined;
  contentType: string | undefined;
  form: Record<string, string>;
  /** The verified assertion's header and claims (token calls whose assertion verified). */
  assertion?: { header: Record<string, unknown>; claims: JWTPayload };
  /** Why the stub refused the call, when it did. */
  refused?: string;
}

export interface KernelStubOptions {
  clientId: string;
  clientSecret: string;
  /** The service's JWKS (its `/openid/jwk`); may be set later with `useJwks`. */
  jwksUrl?: string;
  /** Expected `aud` of assertions; default: the stub's token URL. */
  audience?: string;
  subscribers?: Record<string, KernelSubscriber>;
  host?: string;
  port?: number;
  /** Longest assertion lifetime accepted (exp - iat), in seconds. */
  maxAssertionLifetimeSeconds?: number;
}

const MAX_REQUEST_BYTES = 64 * 1024;
const CONTROL_FAULT = '/_stub/fault';
const CONTROL_SUBSCRIBERS = '/_stub/subscribers';
const ACCESS_TOKEN_LIFETIME = 3600;

export class KernelStub {
  readonly calls: KernelStubCall[] = [];
  readonly subscribers = new Map<string, KernelSubscriber>();
  private faults: Array<{ fault: KernelFault; remaining: number }> = [];
  private readonly accessTokens = new Map<string, string>();
  private readonly usedJti = new Set<string>();
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private jwks: JWTVerifyGetKey | undefined;

  private constructor(private readonly options: KernelStubOptions) {
    for (const [sub, subscriber] of Object.entries(options.subscribers ?? {})) {
      this.subscribers.set(sub, subscriber);
    }
    if (options.jwksUrl !== undefined) {
      this.useJwks(options.jwksUrl);
    }
    this.server = createServer((request, response) => {
      this.handle(request, response).catch(() => response.destroy());
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  static async start(options: KernelStubOptions): Promise<KernelStub> {
    const stub = new KernelStub(options);
    await new Promise<void>((resolve, reject) => {
      stub.server.once('error', reject);
      stub.server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    return stub;
  }

  get url(): string {
    const address = this.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  get tokenUrl(): string {
    return this.url + KERNEL_STUB_PATHS.token;
  }

  get userProfileUrl(): string {
    return this.url + KERNEL_STUB_PATHS.userProfile;
  }

  /** Verify assertions with the keys published at this URL (fetched over HTTP, refetched on an unknown kid). */
  useJwks(url: string): void {
    this.jwks = createRemoteJWKSet(new URL(url), { cooldownDuration: 0 });
  }

  callsTo(path: string): KernelStubCall[] {
    return this.calls.filter((call) => call.path === path);
  }

  /** The next `times` calls (all by default) fail this way, instead of any fault set before. */
  fail(fault: KernelFault, times = Number.POSITIVE_INFINITY): this {
    this.faults = [{ fault, remaining: times }];
    return this;
  }

  recover(): void {
    this.faults = [];
  }

  reset(): void {
    this.recover();
    this.calls.length = 0;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) {
      socket.destroy();
    }
    await closed;
  }

  /** Asks the token endpoint as the service would, for tests of the stub's own checks. */
  async requestToken(assertion: string, clientSecret = this.options.clientSecret): Promise<Response> {
    const credentials = Buffer.from(`${this.options.clientId}:${clientSecret}`).toString('base64');
    return fetch(this.tokenUrl, {
      method: 'POST',
      headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: JWT_BEARER, assertion, scope: 'userprofile-read' }).toString(),
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    const text = await readText(request);
    if (path === CONTROL_FAULT || path === CONTROL_SUBSCRIBERS) {
      return this.control(path, request.method, text, response);
    }
    const call: KernelStubCall = {
      path,
      method: request.method ?? 'GET',
      authorization: request.headers.authorization,
      correlator: header(request, 'x-correlator'),
      contentType: header(request, 'content-type'),
      form: Object.fromEntries(new URLSearchParams(text ?? '')),
    };
    this.calls.push(call);
    const fault = this.takeFault();
    if (fault !== undefined && fault.kind !== 'unknown_subscriber') {
      return misbehave(fault, request, response);
    }
    if (path === KERNEL_STUB_PATHS.token && request.method === 'POST') {
      return this.token(call, fault?.kind === 'unknown_subscriber', response);
    }
    if (path === KERNEL_STUB_PATHS.userProfile && request.method === 'GET') {
      return this.userProfile(call, response);
    }
    return send(response, 404, { error: 'not_found' });
  }

  private async token(call: KernelStubCall, refuseEveryone: boolean, response: ServerResponse): Promise<void> {
    const expected = `Basic ${Buffer.from(`${this.options.clientId}:${this.options.clientSecret}`).toString('base64')}`;
    if (call.authorization !== expected) {
      call.refused = 'client authentication';
      return send(response, 401, { error: 'invalid_client' });
    }
    if (!call.contentType?.startsWith('application/x-www-form-urlencoded')) {
      call.refused = 'content type';
      return send(response, 400, { error: 'invalid_request' });
    }
    if (call.form.grant_type !== JWT_BEARER) {
      call.refused = 'grant type';
      return send(response, 400, { error: 'unsupported_grant_type' });
    }
    const refusal = await this.verifyAssertion(call);
    if (refusal !== undefined) {
      call.refused = refusal;
      return send(response, 400, { error: 'invalid_grant', error_description: refusal });
    }
    const subject = String(call.assertion?.claims.sub);
    if (refuseEveryone || !this.subscribers.has(subject)) {
      call.refused = 'unknown subject';
      return send(response, 400, { error: 'invalid_grant', error_description: 'unknown subject' });
    }
    const accessToken = randomBytes(24).toString('base64url');
    this.accessTokens.set(accessToken, subject);
    return send(response, 200, {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: ACCESS_TOKEN_LIFETIME,
      scope: call.form.scope ?? '',
      ...(call.form.purpose === undefined ? {} : { purpose: call.form.purpose }),
    });
  }

  /** Why the assertion is refused, or undefined when it is good (then `call.assertion` holds it). */
  private async verifyAssertion(call: KernelStubCall): Promise<string | undefined> {
    const assertion = call.form.assertion;
    if (assertion === undefined || this.jwks === undefined) {
      return 'no assertion, or no JWKS to verify it with';
    }
    let header: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(assertion);
    } catch {
      return 'malformed assertion';
    }
    if (typeof header.kid !== 'string') {
      return 'no kid';
    }
    try {
      const { payload } = await jwtVerify(assertion, this.jwks, {
        issuer: this.options.clientId,
        audience: this.options.audience ?? this.tokenUrl,
        requiredClaims: ['sub', 'iat', 'exp', 'jti'],
      });
      const lifetime = (payload.exp ?? 0) - (payload.iat ?? 0);
      if (lifetime > (this.options.maxAssertionLifetimeSeconds ?? 300)) {
        return 'assertion lifetime too long';
      }
      const jti = String(payload.jti);
      if (this.usedJti.has(jti)) {
        return 'replayed jti';
      }
      this.usedJti.add(jti);
      call.assertion = { header, claims: payload };
      return undefined;
    } catch (error) {
      return `assertion refused (${(error as { code?: string }).code ?? 'error'})`;
    }
  }

  private userProfile(call: KernelStubCall, response: ServerResponse): void {
    const token = /^Bearer (.+)$/.exec(call.authorization ?? '')?.[1];
    const subject = token === undefined ? undefined : this.accessTokens.get(token);
    if (subject === undefined) {
      call.refused = 'access token';
      return send(response, 401, { error: 'invalid_token' });
    }
    const subscriber = this.subscribers.get(subject);
    if (subscriber === undefined) {
      return send(response, 404, { error: 'not_found' });
    }
    return send(response, 200, subscriber);
  }

  private takeFault(): KernelFault | undefined {
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

  /** POST /_stub/fault {fault, times?} / DELETE; PUT /_stub/subscribers {sub: profile, …}. */
  private control(path: string, method: string | undefined, text: string | undefined, response: ServerResponse): void {
    let body: unknown;
    try {
      body = text === undefined || text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      return send(response, 400, { error: 'not JSON' });
    }
    if (path === CONTROL_SUBSCRIBERS) {
      if (method === 'PUT' && typeof body === 'object' && body !== null) {
        for (const [sub, subscriber] of Object.entries(body as Record<string, KernelSubscriber>)) {
          this.subscribers.set(sub, subscriber);
        }
      }
      return send(response, 200, Object.fromEntries(this.subscribers));
    }
    if (method === 'DELETE') {
      this.recover();
      return send(response, 200, { fault: null });
    }
    const { fault, times } = (body ?? {}) as { fault?: KernelFault; times?: number };
    if (method !== 'POST' || fault === undefined || typeof fault.kind !== 'string') {
      return send(response, 400, { error: 'POST {"fault": {"kind": "status", "status": 500}, "times": 3} or DELETE' });
    }
    this.fail(fault, typeof times === 'number' && times > 0 ? times : undefined);
    return send(response, 200, { fault, times: times ?? 'all' });
  }
}

function misbehave(fault: KernelFault, request: IncomingMessage, response: ServerResponse): void {
  switch (fault.kind) {
    case 'down':
      request.socket.destroy();
      return;
    case 'status':
      response.writeHead(fault.status, {
        'content-type': 'application/json',
        ...(fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter }),
      });
      response.end(JSON.stringify({ error: 'stub_fault' }));
      return;
    case 'hang':
      return;
    case 'garbage':
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('<html>not a token');
      return;
    case 'unknown_subscriber':
      return;
  }
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}

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
