import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { MessageBus } from '../../adapters/bus/message-bus';
import { SlackAlerter } from '../../adapters/slack/slack-alerter';
import { webhookPost } from '../../adapters/slack/webhook-post';
import type { TimeSeriesStore } from '../../adapters/store/time-series-store';
import type { AdvisorConfig } from './advisor-config';
import { AdvisorCore } from '../ingest/advisor-core';
import { AdvisorEvents } from '../outputs/advisor-events';
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
import { NodeInventories } from '../ingest/node-inventories';
import { ClusterPlanner } from '../planner/cluster-planner';
import { NodeReaper } from '../planner/node-reaper';
import { ConsumerGroupLeader } from '../planner/leader-election';
import type { AdvisorServices } from './runtime';
import {
  ADVISOR_CONFIG,
  ADVISOR_SERVICES,
  CLUSTER_GATEWAY,
  MESSAGE_BUS,
  SLACK_ALERTER,
  TIME_SERIES_STORE,
} from './tokens';

/**
 * The advisor as a Nest application. `forRoot` is given the bus, the store and the options; it
 * provides the adapters by token (`MESSAGE_BUS`, `TIME_SERIES_STORE`, `CLUSTER_GATEWAY`,
 * `SLACK_ALERTER`), builds each service once over them, and serves the REST API, live events,
 * probes and metrics. AdvisorLifecycle starts and stops the services around the server.
 */
@Module({})
export class AdvisorModule {
  static forRoot(config: AdvisorConfig): DynamicModule {
    const { options } = config;
    return {
      module: AdvisorModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [AdvisorController, ActionsController, EventsController, HealthController],
      providers: [
        { provide: ADVISOR_CONFIG, useValue: config },
        { provide: MESSAGE_BUS, useValue: config.bus },
        { provide: TIME_SERIES_STORE, useValue: config.store },
        { provide: API_TOKEN, useValue: options.apiToken },
        ApiTokenGuard,
        LiveEvents,
        MetricsExporter,
        NodeInventories,
        AdvisorEvents,
        AdvisorLifecycle,
        { provide: AnalysisRunner, useFactory: () => new AnalysisRunner(options.analysisWorkers) },
        {
          provide: SLACK_ALERTER,
          useFactory: () =>
            options.slackWebhookUrl
              ? new SlackAlerter({ post: webhookPost(options.slackWebhookUrl), log: options.log })
              : null,
        },
        {
          provide: CLUSTER_GATEWAY,
          inject: [NodeInventories],
          useFactory: (inventories: NodeInventories): ClusterGateway | null =>
            options.kubernetes ? new KubernetesGateway(options.kubernetes, inventories, options.log) : null,
        },
        {
          provide: AdvisorCore,
          inject: [MESSAGE_BUS, TIME_SERIES_STORE, AnalysisRunner, NodeInventories, AdvisorEvents],
          useFactory: (
            bus: MessageBus,
            store: TimeSeriesStore,
            runner: AnalysisRunner,
            inventories: NodeInventories,
            events: AdvisorEvents,
          ) =>
            new AdvisorCore(
              bus,
              store,
              {
                replica: options.kubernetes?.identity,
                ...options,
                onFindings: (f, delayMs) => events.findings(f, delayMs),
                onAnalysis: (a, cost) => events.analysis(a, cost),
                onAlert: (alert) => events.alert(alert),
              },
              runner,
              inventories,
            ),
        },
        {
          provide: FleetView,
          inject: [MESSAGE_BUS, AdvisorCore, AnalysisRunner],
          useFactory: (bus: MessageBus, core: AdvisorCore, runner: AnalysisRunner) => {
            const fleet = new FleetView(bus, core, options.log);
            // A node this replica takes over (a handover, a restart) starts from its previous owner's model.
            runner.takeOverFrom((node) => fleet.newestAnalysis(node));
            return fleet;
          },
        },
        {
          provide: ClusterPlanner,
          inject: [MESSAGE_BUS, FleetView, NodeInventories, AnalysisRunner, AdvisorEvents, CLUSTER_GATEWAY],
          useFactory: (
            bus: MessageBus,
            fleet: FleetView,
            inventories: NodeInventories,
            runner: AnalysisRunner,
            events: AdvisorEvents,
            gateway: ClusterGateway | null,
          ) => {
            const reaper = new NodeReaper(options.planner?.forgetNodesAfterMs ?? 24 * 3_600_000);
            const known = () => {
              const nodes = fleet.knownNodes();
              for (const n of inventories.nodes()) if (!nodes.has(n)) nodes.set(n, []);
              return [...nodes].map(([node, alertKeys]) => ({ node, alertKeys }));
            };
            return new ClusterPlanner(
              bus,
              options.leader ?? gateway?.leader ?? new ConsumerGroupLeader(bus),
              () => fleet.newestAnalyses(),
              (n) => inventories.get(n),
              (nodes, o) => runner.models.plan(nodes, o),
              {
                log: options.log,
                ...options.planner,
                onPlan: (moves) => events.plan(moves),
                tombstones: (nowMs) =>
                  reaper.due(known(), gateway?.nodeNames() ?? null, nowMs).flatMap((d) => {
                    options.log?.(`planner: ${d.node} left the cluster; its compacted records are removed`);
                    return d.tombstones;
                  }),
              },
              gateway ? (n) => gateway.allocatableCpusOf(n) : undefined,
            );
          },
        },
        {
          provide: ADVISOR_SERVICES,
          inject: [AdvisorCore, FleetView, MetricsExporter, ClusterPlanner, LiveEvents, SLACK_ALERTER],
          useFactory: (
            core: AdvisorCore,
            fleet: FleetView,
            metrics: MetricsExporter,
            planner: ClusterPlanner,
            live: LiveEvents,
            slack: SlackAlerter | null,
          ): AdvisorServices => ({ core, fleet, metrics, planner, live, slack, store: config.store }),
        },
      ],
    };
  }
}
