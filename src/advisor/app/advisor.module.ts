import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SlackAlerter } from '../../adapters/slack/slack-alerter';
import { webhookPost } from '../../adapters/slack/webhook-post';
import { resolveSettings, type AdvisorConfig } from './advisor-config';
import { AdvisorCore } from '../ingest/advisor-core';
import { AdvisorLifecycle } from './advisor-lifecycle';
import { AnalysisRunner } from '../analysis/analysis-runner';
import { KubernetesGateway, type ClusterGateway } from '../outputs/cluster-gateway';
import { FleetView } from '../fleet/fleet-view';
import { ActionsController } from '../http/actions.controller';
import { AdvisorController } from '../http/advisor.controller';
import { API_TOKEN, ApiTokenGuard } from '../http/api-token.guard';
import { EventsController } from '../http/events.controller';
import { HealthController } from '../http/health.controller';
import { MetricsExporter } from '../http/metrics-exporter';
import { LiveEvents } from '../outputs/live-events';
import type { ResultSink } from '../outputs/result-sink';
import { SlackSink } from '../outputs/slack-sink';
import { NodeInventories } from '../ingest/node-inventories';
import { ClusterPlanner } from '../planner/cluster-planner';
import {
  ADVISOR_CONFIG,
  ADVISOR_SETTINGS,
  CLUSTER_GATEWAY,
  MESSAGE_BUS,
  RESULT_SINKS,
  SLACK_ALERTER,
  TIME_SERIES_STORE,
} from './tokens';

/**
 * The advisor as a Nest application, controllers → services → adapters. `forRoot` is given the
 * bus, the store and the settings; it provides the adapters and optional integrations by token
 * (`MESSAGE_BUS`, `TIME_SERIES_STORE`, `SLACK_ALERTER`, `CLUSTER_GATEWAY`, `ADVISOR_SETTINGS`) and
 * `RESULT_SINKS`, every consumer of the advisor's results; the services (core, fleet view,
 * planner, runner) are injected by class. AdvisorLifecycle starts and stops them around the server.
 */
@Module({})
export class AdvisorModule {
  static forRoot(config: AdvisorConfig): DynamicModule {
    const settings = resolveSettings(config.options);
    return {
      module: AdvisorModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [AdvisorController, ActionsController, EventsController, HealthController],
      providers: [
        { provide: ADVISOR_CONFIG, useValue: config },
        { provide: ADVISOR_SETTINGS, useValue: settings },
        { provide: MESSAGE_BUS, useValue: config.bus },
        { provide: TIME_SERIES_STORE, useValue: config.store },
        { provide: API_TOKEN, useValue: settings.apiToken },
        ApiTokenGuard,
        LiveEvents,
        MetricsExporter,
        NodeInventories,
        AdvisorCore,
        FleetView,
        ClusterPlanner,
        AdvisorLifecycle,
        { provide: AnalysisRunner, useFactory: () => new AnalysisRunner(settings.analysisWorkers) },
        {
          provide: SLACK_ALERTER,
          useFactory: () =>
            settings.slackWebhookUrl
              ? new SlackAlerter({ post: webhookPost(settings.slackWebhookUrl), log: settings.log })
              : null,
        },
        {
          provide: SlackSink,
          inject: [SLACK_ALERTER],
          useFactory: (slack: SlackAlerter | null) =>
            slack ? new SlackSink(slack, settings.publicUrl) : null,
        },
        {
          provide: CLUSTER_GATEWAY,
          inject: [NodeInventories],
          useFactory: (inventories: NodeInventories): ClusterGateway | null =>
            settings.kubernetes
              ? new KubernetesGateway(settings.kubernetes, inventories, settings.log)
              : null,
        },
        {
          provide: RESULT_SINKS,
          inject: [MetricsExporter, LiveEvents, SlackSink, CLUSTER_GATEWAY],
          useFactory: (
            metrics: MetricsExporter,
            live: LiveEvents,
            slack: SlackSink | null,
            gateway: ClusterGateway | null,
          ): ResultSink[] =>
            [metrics, live, slack, gateway, ...(settings.sinks ?? [])].filter((s) => s !== null),
        },
      ],
    };
  }
}
