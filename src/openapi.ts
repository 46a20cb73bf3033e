import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_AUTHORIZATION_SCHEME, API_KEY_HEADER_SCHEME, describeTiers } from 'src/api-keys/access.decorator';
import { Tier } from 'src/api-keys/tier';

const DESCRIPTION = `Identity gate of the Aura chatbot platform: registers and looks up Aura users, logs them out,
erases them for GDPR, issues Microsoft Direct Line tokens and publishes the bot's public signing keys.

Callers present an API key as \`Authorization: APIKEY <key>\` or \`X-API-Key: <key>\`. Each operation states the
tiers it admits (\`x-access-tiers\`): **internal** (aura-groot, aura-bot), **kernel** (Kernel), **public** (any valid key).
Every error is \`application/problem+json\` (RFC 9457) with a stable \`code\` and the \`requestId\`.`;

/** The OpenAPI document of the running app: the same one served at /docs-json and committed to the repository. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Aura Authentication API')
    .setDescription(DESCRIPTION)
    .setVersion('1.0.0')
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'API key: `X-API-Key: aak_<env>_<id>_<secret>`' },
      API_KEY_HEADER_SCHEME,
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'Authorization',
        description: 'API key as Kernel sends it: `Authorization: APIKEY aak_<env>_<id>_<secret>`',
      },
      API_KEY_AUTHORIZATION_SCHEME,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey: string, methodKey: string) => methodKey,
  });
  annotateAccess(document);
  return document;
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

export function setupSwagger(app: INestApplication): OpenAPIObject {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
  return document;
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
