import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { withEdgeConventions } from './problem-responses.js';

export const BEARER_SCHEME = 'bearer';

/** The OpenAPI document of every controller the application mounts. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('keel API')
    .setDescription(
      'Every route needs `Authorization: Bearer <JWT>` unless marked otherwise; `/admin` routes need the admin role. ' +
        'Errors are application/problem+json (RFC 9457). Every response carries `x-request-id`.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER_SCHEME)
    .addSecurityRequirements(BEARER_SCHEME)
    .build();
  return withEdgeConventions(SwaggerModule.createDocument(app, config));
}

/** Swagger UI at /docs, the document at /docs/json and /docs/yaml; built on first request. */
export function setupOpenApi(app: INestApplication): void {
  let document: OpenAPIObject | undefined;
  SwaggerModule.setup('docs', app, () => (document ??= buildOpenApiDocument(app)), {
    jsonDocumentUrl: 'docs/json',
    yamlDocumentUrl: 'docs/yaml',
    customSiteTitle: 'keel API',
  });
}
