import type { INestApplication } from '@nestjs/common';
import type { MessageBus } from '../adapters/bus/message-bus';
import { SlackAlerter } from '../adapters/slack/slack-alerter';
import { webhookPost } from '../adapters/slack/webhook-post';
import type { TimeSeriesStore } from '../adapters/store/time-series-store';
import type { NodeAnalysis, RecommendationMessage } from '../telemetry';
import { AdvisorCore, type AdvisorOptions } from './advisor-core';
import type { AlertEvent } from './alerts/alert-tracker';
import { createAdvisorApp } from './http/create-app';
import { LiveEvents } from './live-events';
import { ClusterPlanner, type ClusterPlannerOptions } from './planner/cluster-planner';
import { ConsumerGroupLeader, type LeaderElection } from './planner/leader-election';

export interface AdvisorRuntimeOptions extends AdvisorOptions {
  port: number;
  host?: string;
  /** Bearer token for state-changing endpoints; unset turns them off. */
  apiToken?: string;
  slackWebhookUrl?: string;
  /** Where operators reach the dashboard (links in Slack); default the listening address. */
  publicUrl?: string;
  planner?: ClusterPlannerOptions;
  /** Default: leadership by consumer group on the bus. */
  leader?: LeaderElection;
  onPlan?: (moves: RecommendationMessage[]) => void;
}

/** Everything the HTTP layer reads from. */
export interface AdvisorRuntime {
  core: AdvisorCore;
  planner: ClusterPlanner;
  store: TimeSeriesStore;
  live: LiveEvents;
  slack: SlackAlerter | null;
  url: string;
  stop(): Promise<void>;
}

/**
 * The advisor as a service: its core (ingest, analysis), the leader-only cluster planner, Slack
 * alerts and the HTTP API with the dashboard, wired over one bus and one store.
 */
export async function startAdvisorRuntime(
  bus: MessageBus,
  store: TimeSeriesStore,
  options: AdvisorRuntimeOptions,
): Promise<AdvisorRuntime> {
  const live = new LiveEvents();
  const host = options.host ?? '127.0.0.1';
  let publicUrl = options.publicUrl ?? '';
  const slack = options.slackWebhookUrl
    ? new SlackAlerter({ post: webhookPost(options.slackWebhookUrl), log: options.log })
    : null;
  const core = new AdvisorCore(bus, store, {
    ...options,
    onAnalysis: (a: NodeAnalysis, cost) => {
      live.publish({ type: 'analysis', node: a.node, severity: a.severity, windowEndMs: a.windowEndMs });
      options.onAnalysis?.(a, cost);
    },
    onAlert: (alert: AlertEvent) => {
      live.publish({
        type: 'alert',
        node: alert.node,
        transition: alert.transition,
        kind: alert.finding.kind,
        vm: alert.finding.vm,
      });
      slack?.notify({ ...alert, dashboardUrl: `${publicUrl}/#/nodes/${encodeURIComponent(alert.node)}` });
      options.onAlert?.(alert);
    },
  });
  await core.start();
  const planner = new ClusterPlanner(
    bus,
    options.leader ?? new ConsumerGroupLeader(bus),
    (n) => core.inventoryOf(n),
    (nodes, o) => core.models.plan(nodes, o),
    {
      log: options.log,
      ...options.planner,
      onPlan: (moves) => {
        live.publish({ type: 'plan', moves: moves.length });
        options.onPlan?.(moves);
      },
    },
  );
  await planner.start();
  const runtime: AdvisorRuntime = {
    core,
    planner,
    store,
    live,
    slack,
    url: '',
    stop: async () => {
      await app.close();
      await planner.stop();
      await core.stop();
      await slack?.flush();
    },
  };
  const app: INestApplication = await createAdvisorApp(runtime, options.apiToken);
  await app.listen(options.port, host);
  const address = app.getHttpServer().address() as { port: number };
  runtime.url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  publicUrl ||= runtime.url;
  return runtime;
}
