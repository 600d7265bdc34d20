import 'reflect-metadata';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** The dashboard, as the build leaves it (its scripts, page and style), and the chart library. */
const DASHBOARD = join(__dirname, '..', '..', 'dashboard');
const UPLOT_DIR = join(require.resolve('uplot'), '..');

/**
 * Headers as helmet sets them, for a page that loads only its own scripts and styles. The
 * OpenAPI page (Swagger UI) runs an inline script, so it gets no Content-Security-Policy.
 */
function securityHeaders(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  if (!req.url?.startsWith('/api/docs'))
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'none'",
    );
  next();
}

/** The advisor's HTTP surface: REST, live events, health, metrics, the dashboard at / and OpenAPI at /api/docs. */
export async function createAdvisorApp(module: DynamicModule): Promise<INestApplication> {
  // No endpoint takes a body: none is parsed, so nothing reaches a parser before authentication.
  const app = await NestFactory.create<NestExpressApplication>(module, {
    logger: ['error', 'warn'],
    bodyParser: false,
  });
  app.disable('x-powered-by');
  app.use(securityHeaders);
  app.useStaticAssets(DASHBOARD, { index: 'index.html' });
  app.useStaticAssets(UPLOT_DIR, { prefix: '/vendor/uplot/' });
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('spinwise advisor')
      .setDescription('vCPU spinning findings, recommendations and cluster moves per node')
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs.json' });
  return app;
}
