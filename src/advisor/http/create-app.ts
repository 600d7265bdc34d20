import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AdvisorCore } from '../advisor-core';
import { AdvisorController } from './advisor.controller';

/** The advisor's HTTP surface: REST, health, metrics, and the OpenAPI document at /api/docs. */
export async function createAdvisorApp(core: AdvisorCore): Promise<INestApplication> {
  @Module({ controllers: [AdvisorController], providers: [{ provide: AdvisorCore, useValue: core }] })
  class AdvisorModule {}
  const app = await NestFactory.create(AdvisorModule, { logger: ['error', 'warn'] });
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('spinwise advisor')
      .setDescription('vCPU spinning findings and recommendations per node')
      .setVersion('0.1.0')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs.json' });
  return app;
}
