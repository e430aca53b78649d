import { Controller, Get, Header } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { buildOpenApiDocument, eventSchemaComponents, renderDocsPage } from '@platform/http-api';

const document = buildOpenApiDocument(
  Object.values(apiRoutes),
  {
    title: 'Platform API',
    version: '1',
    description:
      'Servers, deployments and domains of a self-hosted deployment platform. Authenticate with `Authorization: Bearer <token>` (a session token from POST /v1/auth/login or an API token).',
  },
  eventSchemaComponents(),
);
const page = renderDocsPage(document);

@Controller()
export class DocsController {
  @Get('v1/openapi.json')
  openApi() {
    return document;
  }

  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
  docs() {
    return page;
  }
}
