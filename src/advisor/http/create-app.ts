import 'reflect-metadata';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AdvisorRuntime } from '../advisor-runtime';
import { ActionsController } from './actions.controller';
import { AdvisorController } from './advisor.controller';
import { API_TOKEN, ApiTokenGuard } from './api-token.guard';
import { EventsController } from './events.controller';
import { ADVISOR_RUNTIME } from './runtime-token';

/** The dashboard: its page and style from the source tree, its compiled script, and the chart library. */
const DASHBOARD_PUBLIC = join(__dirname, '..', '..', '..', '..', 'src', 'dashboard', 'public');
const DASHBOARD_SCRIPTS = join(__dirname, '..', '..', 'dashboard');
const UPLOT_DIR = join(require.resolve('uplot'), '..');

/** The advisor's HTTP surface: REST, live events, health, metrics, the dashboard at / and OpenAPI at /api/docs. */
export async function createAdvisorApp(
  runtime: AdvisorRuntime,
  apiToken?: string,
): Promise<INestApplication> {
  @Module({
    controllers: [AdvisorController, ActionsController, EventsController],
    providers: [
      { provide: ADVISOR_RUNTIME, useValue: runtime },
      { provide: API_TOKEN, useValue: apiToken },
      ApiTokenGuard,
    ],
  })
  class AdvisorModule {}
  const app = await NestFactory.create<NestExpressApplication>(AdvisorModule, { logger: ['error', 'warn'] });
  app.useStaticAssets(DASHBOARD_PUBLIC, { index: 'index.html' });
  app.useStaticAssets(DASHBOARD_SCRIPTS, { index: false });
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
