import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { sendJson, UpstreamStub, type UpstreamFault, type UpstreamStubOptions } from './upstream-stub';

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
  | UpstreamFault
  /** Kernel is down: every connection is dropped without an answer (as `reset`). */
  | { kind: 'down' }
  /** The token endpoint answers invalid_grant whoever the subscriber. */
  | { kind: 'unknown_subscriber' }
  /**
   * The token endpoint verifies assertions against a key set without the service's keys, so each assertion is
   * really refused (`invalid_grant`, "assertion refused (ERR_JWKS_NO_MATCHING_KEY)"), as when Kernel lost our JWKS.
   */
  | { kind: 'distrust_keys' }
  /** The token endpoint answers `invalid_grant` with this description (`{sub}` becomes the assertion's subject). */
  | { kind: 'invalid_grant'; description?: string }
  /** The token endpoint answers as usual; the profile search finds nothing (204, or 200 with this JSON). */
  | { kind: 'empty_profile'; answer: 204 | '{}' | '[]' | 'null' };

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
  /** The W3C trace context the caller sent, when it traces. */
  traceparent: string | undefined;
  form: Record<string, string>;
  /** The verified assertion's header and claims (token calls whose assertion verified). */
  assertion?: { header: Record<string, unknown>; claims: JWTPayload };
  /** Why the stub refused the call, when it did. */
  refused?: string;
}

export interface KernelStubOptions extends UpstreamStubOptions {
  clientId: string;
  clientSecret: string;
  /** The service's JWKS (its `/openid/jwk`); may be set later with `useJwks`. */
  jwksUrl?: string;
  /** Expected `aud` of assertions; default: the stub's token URL. */
  audience?: string;
  subscribers?: Record<string, KernelSubscriber>;
  /** Longest assertion lifetime accepted (exp - iat), in seconds. */
  maxAssertionLifetimeSeconds?: number;
}

const CONTROL_SUBSCRIBERS = '/_stub/subscribers';
/** Faults played by the token or profile endpoint itself, after the usual checks. */
const TOKEN_FAULTS: ReadonlySet<string> = new Set([
  'unknown_subscriber',
  'empty_profile',
  'distrust_keys',
  'invalid_grant',
]);
/** A key set holding none of the service's keys. */
const FOREIGN_JWKS = createLocalJWKSet({ keys: [] });
const ACCESS_TOKEN_LIFETIME = 3600;

export class KernelStub extends UpstreamStub<KernelFault, KernelStubCall> {
  readonly subscribers = new Map<string, KernelSubscriber>();
  private readonly accessTokens = new Map<string, string>();
  private readonly usedJti = new Set<string>();
  private jwks: JWTVerifyGetKey | undefined;

  private constructor(private readonly options: KernelStubOptions) {
    super();
    for (const [sub, subscriber] of Object.entries(options.subscribers ?? {})) {
      this.subscribers.set(sub, subscriber);
    }
    if (options.jwksUrl !== undefined) {
      this.useJwks(options.jwksUrl);
    }
  }

  static async start(options: KernelStubOptions): Promise<KernelStub> {
    const stub = new KernelStub(options);
    await stub.listen(options);
    return stub;
  }

  get tokenUrl(): string {
    return this.url + KERNEL_STUB_PATHS.token;
  }

  get userProfileUrl(): string {
    return this.url + KERNEL_STUB_PATHS.userProfile;
  }

  /**
   * Token exchanges asked for: token calls counted once per `x-correlator` (the caller's request id, which its
   * retries share). What "one Kernel exchange per sign-in" means whatever an attempt's timeout made the service
   * retry.
   */
  exchanges(): number {
    return new Set(this.callsTo(KERNEL_STUB_PATHS.token).map((call) => call.correlator)).size;
  }

  /** Verify assertions with the keys published at this URL (fetched over HTTP, refetched on an unknown kid). */
  useJwks(url: string): void {
    this.jwks = createRemoteJWKSet(new URL(url), { cooldownDuration: 0 });
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

  protected record(path: string, request: IncomingMessage, text: string | undefined): KernelStubCall {
    return {
      path,
      method: request.method ?? 'GET',
      authorization: request.headers.authorization,
      correlator: header(request, 'x-correlator'),
      traceparent: header(request, 'traceparent'),
      contentType: header(request, 'content-type'),
      form: Object.fromEntries(new URLSearchParams(text ?? '')),
    };
  }

  protected async serve(
    call: KernelStubCall,
    fault: KernelFault | undefined,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    if (fault?.kind === 'down') {
      return this.play({ kind: 'reset' }, request, response);
    }
    if (fault !== undefined && !TOKEN_FAULTS.has(fault.kind)) {
      return this.play(fault as UpstreamFault, request, response);
    }
    if (call.path === KERNEL_STUB_PATHS.token && call.method === 'POST') {
      return this.token(call, fault, response);
    }
    if (call.path === KERNEL_STUB_PATHS.userProfile && call.method === 'GET') {
      return this.userProfile(call, fault?.kind === 'empty_profile' ? fault.answer : undefined, response);
    }
    return sendJson(response, 404, { error: 'not_found' });
  }

  protected faultBody(): unknown {
    return { error: 'stub_fault' };
  }

  /** PUT /_stub/subscribers {sub: profile, …} adds subscribers, GET lists them; /_stub/fault as every stub. */
  protected override control(path: string, method: string | undefined, body: unknown, response: ServerResponse): void {
    if (path !== CONTROL_SUBSCRIBERS) {
      return super.control(path, method, body, response);
    }
    if (method === 'PUT' && typeof body === 'object' && body !== null) {
      for (const [sub, subscriber] of Object.entries(body as Record<string, KernelSubscriber>)) {
        this.subscribers.set(sub, subscriber);
      }
    }
    return sendJson(response, 200, Object.fromEntries(this.subscribers));
  }

  private async token(call: KernelStubCall, fault: KernelFault | undefined, response: ServerResponse): Promise<void> {
    const expected = `Basic ${Buffer.from(`${this.options.clientId}:${this.options.clientSecret}`).toString('base64')}`;
    if (call.authorization !== expected) {
      call.refused = 'client authentication';
      return sendJson(response, 401, { error: 'invalid_client' });
    }
    if (!call.contentType?.startsWith('application/x-www-form-urlencoded')) {
      call.refused = 'content type';
      return sendJson(response, 400, { error: 'invalid_request' });
    }
    if (call.form.grant_type !== JWT_BEARER) {
      call.refused = 'grant type';
      return sendJson(response, 400, { error: 'unsupported_grant_type' });
    }
    const refusal = await this.verifyAssertion(call, fault?.kind === 'distrust_keys' ? FOREIGN_JWKS : this.jwks);
    if (refusal !== undefined) {
      call.refused = refusal;
      return sendJson(response, 400, { error: 'invalid_grant', error_description: refusal });
    }
    const subject = String(call.assertion?.claims.sub);
    if (fault?.kind === 'invalid_grant') {
      call.refused = 'invalid_grant fault';
      const description = fault.description?.split('{sub}').join(subject);
      return sendJson(response, 400, {
        error: 'invalid_grant',
        ...(description === undefined ? {} : { error_description: description }),
      });
    }
    if (fault?.kind === 'unknown_subscriber' || !this.subscribers.has(subject)) {
      call.refused = 'unknown subject';
      return sendJson(response, 400, { error: 'invalid_grant', error_description: 'unknown subject' });
    }
    const accessToken = randomBytes(24).toString('base64url');
    this.accessTokens.set(accessToken, subject);
    return sendJson(response, 200, {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: ACCESS_TOKEN_LIFETIME,
      scope: call.form.scope ?? '',
      ...(call.form.purpose === undefined ? {} : { purpose: call.form.purpose }),
    });
  }

  /** Why the assertion is refused, or undefined when it is good (then `call.assertion` holds it). */
  private async verifyAssertion(call: KernelStubCall, jwks: JWTVerifyGetKey | undefined): Promise<string | undefined> {
    const assertion = call.form.assertion;
    if (assertion === undefined || jwks === undefined) {
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
      const { payload } = await jwtVerify(assertion, jwks, {
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

  private userProfile(
    call: KernelStubCall,
    empty: Extract<KernelFault, { kind: 'empty_profile' }>['answer'] | undefined,
    response: ServerResponse,
  ): void {
    const token = /^Bearer (.+)$/.exec(call.authorization ?? '')?.[1];
    const subject = token === undefined ? undefined : this.accessTokens.get(token);
    if (subject === undefined) {
      call.refused = 'access token';
      return sendJson(response, 401, { error: 'invalid_token' });
    }
    if (empty === 204) {
      return void response.writeHead(204).end();
    }
    if (empty !== undefined) {
      return void response.writeHead(200, { 'content-type': 'application/json' }).end(empty);
    }
    const subscriber = this.subscribers.get(subject);
    if (subscriber === undefined) {
      return sendJson(response, 404, { error: 'not_found' });
    }
    return sendJson(response, 200, subscriber);
  }
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
