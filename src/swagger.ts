import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import {
  API_KEY_AUTHORIZATION_SCHEME,
  API_KEY_HEADER_SCHEME,
  DEVICE_TOKEN_SCHEME,
  describeTiers,
} from 'src/auth/authenticated.decorator';
import { Tier } from 'src/auth/tier';
import { CommonErrorCode } from 'src/common/errors/common.errors';
import { PROBLEM_CONTENT_TYPE } from 'src/common/errors/problem';
import { problemResponse, type ResponseObject } from 'src/common/http/api-problem.decorator';
import { AUTHARA_ERRORS_EXTENSION } from 'src/sessions/authara-error';
import { addSessionSecuritySchemes } from 'src/sessions/session-schemes';

const DESCRIPTION = `Identity gate of the Aura chatbot platform: registers and looks up Aura users, logs them out,
erases them for GDPR, issues Microsoft Direct Line tokens and publishes the bot's public signing keys.

Callers present an API key as \`Authorization: APIKEY <key>\` or \`X-API-Key: <key>\`. Each operation states the
tiers it admits (\`x-access-tiers\`): **internal** (aura-groot, aura-bot), **kernel** (Kernel), **public** (any valid key).
Every error is \`application/problem+json\` (RFC 9457) with a stable \`code\` and the \`requestId\` — except on the
browser session API (\`/auth/api/v1\`), which answers Authara's \`{ "error": { "code", "message" } }\`. Browser sessions
(cookies \`authara_access\`, \`authara_refresh\`, \`authara_csrf\`) need no API key; a session also admits \`/token\`,
\`/token/wss\` and \`/config\`.`;

/** The OpenAPI document of the running app: the same one served at /docs-json and committed to the repository. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  // Swagger UI shows the schemes in this order, and an integrator pastes a key into the first box: a bare key.
  const builder = new DocumentBuilder()
    .setTitle('Aura Authentication API')
    .setDescription(DESCRIPTION)
    .setVersion('1.0.0')
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'X-API-Key',
        description: 'API key, as it was shown at creation: `aak_<env>_<id>_<secret>` (paste it here as it is).',
      },
      API_KEY_HEADER_SCHEME,
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'Authorization',
        description:
          'API key as Kernel sends it, with its scheme: type `APIKEY aak_<env>_<id>_<secret>` (the scheme in any case).',
      },
      API_KEY_AUTHORIZATION_SCHEME,
    );
  const config = addSessionSecuritySchemes(builder)
    .addApiKey(
      {
        type: 'apiKey',
        in: 'query',
        name: 'token',
        description: 'GVP device session token (GVP routes only; also accepted as the `X-GVP-Token` header).',
      },
      DEVICE_TOKEN_SCHEME,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey: string, methodKey: string) => methodKey,
  });
  annotateAccess(document);
  addGlobalProblems(document);
  return document;
}

interface Operation {
  'x-access-tiers'?: Tier[];
  [AUTHARA_ERRORS_EXTENSION]?: string;
  requestBody?: unknown;
  responses: Record<string, ResponseObject>;
}

/** Methods whose body Fastify reads (and may refuse) whether or not the route uses one. */
const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);

/**
 * Errors that do not belong to one route but to the platform, each documented where it can happen:
 * - any route may fail unexpectedly (500, the body carries only an error id);
 * - a route that needs an API key reads the key from the database, so it may find the database down (503);
 * - a method with a body may get one that is not JSON, too large or of another type (400, 413, 415).
 */
const GLOBAL_PROBLEMS: Array<{
  status: number;
  code: CommonErrorCode;
  description: string;
  appliesTo: (method: string, operation: Operation) => boolean;
}> = [
  {
    status: 500,
    code: CommonErrorCode.InternalError,
    description: 'Unexpected error; the body carries only an `errorId` to quote to the operators.',
    // The session API documents its own 500, in Authara's envelope.
    appliesTo: (_method, operation) => operation[AUTHARA_ERRORS_EXTENSION] === undefined,
  },
  {
    status: 503,
    code: CommonErrorCode.DatabaseUnavailable,
    description: 'The database is unavailable; retry after Retry-After.',
    appliesTo: (_method, operation) => (operation['x-access-tiers'] ?? []).length > 0,
  },
  {
    status: 400,
    code: CommonErrorCode.MalformedJson,
    description: 'The body is not valid JSON.',
    appliesTo: (method) => BODY_METHODS.has(method),
  },
  {
    status: 413,
    code: CommonErrorCode.PayloadTooLarge,
    description: 'The body is larger than BODY_LIMIT_BYTES.',
    appliesTo: (method) => BODY_METHODS.has(method),
  },
  {
    status: 415,
    code: CommonErrorCode.UnsupportedMediaType,
    description: 'The body is not application/json.',
    appliesTo: (method) => BODY_METHODS.has(method),
  },
];

function addGlobalProblems(document: OpenAPIObject): void {
  for (const pathItem of Object.values(document.paths)) {
    for (const [method, operation] of Object.entries(pathItem as Record<string, Operation>)) {
      for (const problem of GLOBAL_PROBLEMS) {
        if (problem.appliesTo(method, operation)) {
          addProblem(operation, problem.status, problem.description, problem.code);
        }
      }
    }
  }
}

/** Adds the code to the route's response for that status, or the response itself when the route has none. */
function addProblem(operation: Operation, status: number, description: string, code: string): void {
  const documented = problemResponse(status, description, [code]);
  const existing = operation.responses[String(status)];
  const media = existing?.content?.[PROBLEM_CONTENT_TYPE];
  if (existing === undefined) {
    operation.responses[String(status)] = documented;
    return;
  }
  if (media === undefined) {
    // The route answers this status in another format too (the session API's Authara envelope).
    existing.content = { ...existing.content, ...documented.content };
    existing.description += ` Also \`${code}\` (application/problem+json): ${description}`;
    return;
  }
  if (media.examples?.[code] !== undefined) {
    return;
  }
  media.examples = { ...media.examples, ...documented.content?.[PROBLEM_CONTENT_TYPE]?.examples };
  existing.description += ` Also \`${code}\`: ${description}`;
}

/** Puts each operation's tiers at the top of its description, where Swagger UI shows them. */
function annotateAccess(document: OpenAPIObject): void {
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem)) {
      const tiers = (operation as { 'x-access-tiers'?: Tier[] })['x-access-tiers'];
      if (tiers === undefined || typeof operation !== 'object') {
        continue;
      }
      const access = tiers.length === 0 ? 'no API key' : describeTiers(tiers);
      const description = (operation as { description?: string }).description;
      (operation as { description?: string }).description =
        `**Access:** ${access}.` + (description ? `\n\n${description}` : '');
    }
  }
}

/** Serves the document at /docs, /docs-json and /docs-yaml; it is built on the first request, not at start. */
export function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
  });
}

/** JSON with object keys sorted at every level, so the committed spec diffs cleanly. */
export function stableJson(value: unknown): string {
  const sort = (input: unknown): unknown => {
    if (Array.isArray(input)) {
      return input.map(sort);
    }
    if (input !== null && typeof input === 'object') {
      return Object.fromEntries(
        Object.keys(input)
          .sort()
          .map((key) => [key, sort((input as Record<string, unknown>)[key])]),
      );
    }
    return input;
  };
  return JSON.stringify(sort(value), null, 2) + '\n';
}
