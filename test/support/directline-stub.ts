import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonOf, sendJson, UpstreamStub, type UpstreamFault, type UpstreamStubOptions } from './upstream-stub';

/**
 * A local stand-in for Direct Line 3.0 (node:http, no dependency): it answers
 * POST /v3/directline/tokens/generate and POST /v3/directline/conversations as Direct Line does,
 * checks the bearer secret, puts the user id it receives in the token, and can be told to fail.
 * Tests drive it in-process; `npm run stub:directline` runs it by hand, driven over HTTP (/_stub/fault).
 */

/** How the next calls fail. */
export type DirectLineFault =
  | UpstreamFault
  /** 200 with JSON of the wrong shape (token is a number). */
  | { kind: 'malformed' }
  /** 200 whose body arrives one byte at a time and never ends. */
  | { kind: 'drip'; intervalMs?: number }
  /** The normal answer, after a delay. */
  | { kind: 'delay'; ms: number }
  /** The normal answer, once the test calls release(): as late as the test needs, whatever the machine's speed. */
  | { kind: 'hold' };

export const DIRECTLINE_STUB_PATHS = {
  generateToken: '/v3/directline/tokens/generate',
  conversations: '/v3/directline/conversations',
} as const;

/** One request the stub received on a Direct Line path. */
export interface DirectLineStubCall {
  path: string;
  authorization: string | undefined;
  /** The W3C trace context the caller sent, when it traces. */
  traceparent: string | undefined;
  body: unknown;
}

export interface DirectLineStubOptions extends UpstreamStubOptions {
  /** The secret callers must present as `Authorization: Bearer <secret>`. */
  secret: string;
}

const TOKEN_LIFETIME_SECONDS = 3600;

export class DirectLineStub extends UpstreamStub<DirectLineFault, DirectLineStubCall> {
  /** Answers held by `hold` faults, sent by release(). */
  private held: Array<() => void> = [];

  private constructor(private readonly secret: string) {
    super();
  }

  /** Sends every answer held so far (`hold` faults). */
  release(): void {
    const held = this.held;
    this.held = [];
    for (const answer of held) {
      answer();
    }
  }

  static async start(options: DirectLineStubOptions): Promise<DirectLineStub> {
    const stub = new DirectLineStub(options.secret);
    await stub.listen(options);
    return stub;
  }

  protected record(path: string, request: IncomingMessage, text: string | undefined): DirectLineStubCall {
    const { authorization, traceparent } = request.headers;
    return {
      path,
      authorization,
      traceparent: typeof traceparent === 'string' ? traceparent : undefined,
      body: jsonOf(text),
    };
  }

  protected serve(
    call: DirectLineStubCall,
    fault: DirectLineFault | undefined,
    request: IncomingMessage,
    response: ServerResponse,
  ): void {
    if (fault === undefined) {
      return this.answer(call, request, response);
    }
    switch (fault.kind) {
      case 'delay':
        setTimeout(() => this.answer(call, request, response), fault.ms);
        return;
      case 'hold':
        this.held.push(() => this.answer(call, request, response));
        return;
      case 'malformed':
        return sendJson(response, 200, { conversationId: 'abc', token: 12345, expires_in: 'soon' });
      case 'drip': {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{');
        const timer = setInterval(() => response.write(' '), fault.intervalMs ?? 20);
        response.once('close', () => clearInterval(timer));
        return;
      }
      default:
        return this.play(fault, request, response);
    }
  }

  protected faultBody(status: number): unknown {
    return { error: { code: 'StubFault', message: `Stub answers ${status}` } };
  }

  /** What Direct Line answers. */
  private answer(call: DirectLineStubCall, request: IncomingMessage, response: ServerResponse): void {
    const { path } = call;
    if (path !== DIRECTLINE_STUB_PATHS.generateToken && path !== DIRECTLINE_STUB_PATHS.conversations) {
      return sendJson(response, 404, { error: { code: 'NotFound', message: 'Unknown path' } });
    }
    if (request.method !== 'POST') {
      return sendJson(response, 405, { error: { code: 'MethodNotAllowed', message: 'Use POST' } });
    }
    const authorization = request.headers.authorization;
    if (authorization === undefined) {
      return sendJson(response, 401, { error: { code: 'BadArgument', message: 'Missing token or secret' } });
    }
    if (authorization !== `Bearer ${this.secret}`) {
      return sendJson(response, 403, { error: { code: 'BadArgument', message: 'Invalid token or secret' } });
    }
    const userId = userIdOf(call.body);
    const conversationId = randomBytes(16).toString('base64url');
    const token = fakeToken(conversationId, userId);
    if (path === DIRECTLINE_STUB_PATHS.generateToken) {
      return sendJson(response, 200, { conversationId, token, expires_in: TOKEN_LIFETIME_SECONDS });
    }
    const streamBase = this.url.replace(/^http/, 'ws');
    return sendJson(response, 201, {
      conversationId,
      token,
      expires_in: TOKEN_LIFETIME_SECONDS,
      streamUrl: `${streamBase}/v3/directline/conversations/${conversationId}/stream?watermark=&t=${token}`,
      referenceGrammarId: randomUUID(),
      eTag: 'W/"1"',
    });
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
