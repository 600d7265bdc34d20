import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import type { SlackAlerter } from '../../adapters/slack/slack-alerter';
import type { AdvisorConfig, AdvisorSettings } from './advisor-config';
import { AnalysisRunner } from '../analysis/analysis-runner';
import { AdvisorCore } from '../ingest/advisor-core';
import type { ClusterGateway } from '../outputs/cluster-gateway';
import { FleetView } from '../fleet/fleet-view';
import { ClusterPlanner } from '../planner/cluster-planner';
import { StepwiseShutdown } from './stepwise-shutdown';
import { ADVISOR_CONFIG, ADVISOR_SETTINGS, CLUSTER_GATEWAY, SLACK_ALERTER } from './tokens';

/**
 * Starts the advisor's parts in the order they depend on each other before the server listens,
 * and stops them in reverse after it closed, step by step within the shutdown deadline: the
 * planner, the fleet view, the core (it publishes and commits what it analysed in time and leaves
 * the rest to the partition's next owner), the cluster watch, Slack, then the adapters if owned.
 */
@Injectable()
export class AdvisorLifecycle
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private stopping: StepwiseShutdown | null = null;

  constructor(
    private readonly core: AdvisorCore,
    private readonly fleet: FleetView,
    private readonly runner: AnalysisRunner,
    private readonly planner: ClusterPlanner,
    private readonly http: HttpAdapterHost,
    @Inject(CLUSTER_GATEWAY) private readonly gateway: ClusterGateway | null,
    @Inject(SLACK_ALERTER) private readonly slack: SlackAlerter | null,
    @Inject(ADVISOR_CONFIG) private readonly config: AdvisorConfig,
    @Inject(ADVISOR_SETTINGS) private readonly settings: AdvisorSettings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // A node this replica takes over (a handover, a restart) starts from its previous owner's model.
    this.runner.takeOverFrom((node) => this.fleet.newestAnalysis(node));
    await this.core.start();
    await this.fleet.start();
    await this.gateway?.start();
    await this.planner.start();
  }

  /** Before the server closes: live-update streams never end by themselves, so cut every connection. */
  beforeApplicationShutdown(signal?: string): void {
    const log = this.settings.log;
    this.stopping = new StepwiseShutdown({
      deadlineMs: this.settings.shutdownTimeoutMs,
      log: (line) => log?.(`spinwise advisor: ${line}`),
      why: signal ?? 'closing',
      exitAtDeadline: signal !== undefined,
    });
    (this.http.httpAdapter?.getHttpServer() as Server | undefined)?.closeAllConnections();
  }

  async onApplicationShutdown(): Promise<void> {
    const s = this.stopping!;
    await s.step('the planner', () => this.planner.stop());
    await s.step('the fleet view', () => this.fleet.stop());
    await s.step('analyses and the samples consumer', () => this.core.stop());
    if (this.gateway) await s.step('the cluster watch', () => this.gateway!.stop());
    if (this.slack) await s.step('Slack', () => this.slack!.flush());
    if (this.config.ownsAdapters) {
      await s.step('Kafka', () => this.config.bus.close());
      await s.step('the store', () => this.config.store.close());
    }
    s.done();
  }
}
