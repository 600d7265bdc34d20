import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import type { MessageBus } from '../adapters/bus/message-bus';
import { SlackAlerter } from '../adapters/slack/slack-alerter';
import { webhookPost } from '../adapters/slack/webhook-post';
import type { TimeSeriesStore } from '../adapters/store/time-series-store';
import type { NodeAnalysis, RecommendationMessage } from '../telemetry';
import { AdvisorCore, type AdvisorOptions } from './advisor-core';
import type { AlertEvent } from './alerts/alert-tracker';
import { createAdvisorApp } from './http/create-app';
import { FleetView } from './fleet-view';
import { MetricsExporter } from './http/metrics-exporter';
import { LiveEvents } from './live-events';
import { ClusterPlanner, type ClusterPlannerOptions } from './planner/cluster-planner';
import { ConsumerGroupLeader, type LeaderElection } from './planner/leader-election';
import type { KubeConfig } from '@kubernetes/client-node';
import { ClusterWatch } from '../adapters/kubernetes/cluster-watch';
import { ClusterWriter } from '../adapters/kubernetes/cluster-writer';
import { LeaseLeader } from '../adapters/kubernetes/lease-leader';
import { KubernetesPublisher, type KubernetesPublisherOptions } from './kubernetes-publisher';

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
  /** In a cluster: Events, node annotations, VMI migrations and the planner's Lease. */
  kubernetes?: {
    kc: KubeConfig;
    /** The advisor's own namespace (its Lease lives there). */
    namespace: string;
    /** This replica (the pod name). */
    identity: string;
  } & KubernetesPublisherOptions;
}

import type { AdvisorRuntime } from './runtime';

export type { AdvisorRuntime };

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
  const metrics = new MetricsExporter();
  const host = options.host ?? '127.0.0.1';
  let publicUrl = options.publicUrl ?? '';
  const slack = options.slackWebhookUrl
    ? new SlackAlerter({ post: webhookPost(options.slackWebhookUrl), log: options.log })
    : null;
  // Set once the core exists (the publisher resolves VMs through the core's inventories).
  let kube: AdvisorRuntime['kubernetes'] = null;
  const core = new AdvisorCore(bus, store, {
    replica: options.kubernetes?.identity,
    ...options,
    onFindings: (f, delayMs) => {
      metrics.findingDelaySeconds.observe(delayMs / 1000);
      options.onFindings?.(f, delayMs);
    },
    onAnalysis: (a: NodeAnalysis, cost) => {
      metrics.analysisSeconds.observe(cost.ms / 1000);
      metrics.predictionDelaySeconds.observe((Date.now() - cost.closedAtWallMs) / 1000);
      live.publish({ type: 'analysis', node: a.node, severity: a.severity, windowEndMs: a.windowEndMs });
      void kube?.publisher.onAnalysis(a);
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
      void kube?.publisher.onAlert(alert);
      options.onAlert?.(alert);
    },
  });
  await core.start();
  const fleet = new FleetView(bus, core, options.log);
  await fleet.start();
  const k = options.kubernetes;
  let leader = options.leader ?? new ConsumerGroupLeader(bus);
  if (k) {
    const watch = new ClusterWatch(k.kc, options.log);
    await watch.start();
    kube = {
      watch,
      publisher: new KubernetesPublisher(
        new ClusterWriter(k.kc, k.identity),
        (n) => core.inventoryOf(n),
        k,
        (n) => watch.vmisOn(n),
      ),
    };
    leader =
      options.leader ??
      new LeaseLeader(k.kc, { namespace: k.namespace, identity: k.identity, log: options.log });
  }
  const planner = new ClusterPlanner(
    bus,
    leader,
    () => fleet.newestAnalyses(),
    (n) => core.inventoryOf(n),
    (nodes, o) => core.models.plan(nodes, o),
    {
      log: options.log,
      ...options.planner,
      onPlan: (moves) => {
        live.publish({ type: 'plan', moves: moves.length });
        void kube?.publisher.onPlan(moves);
        options.onPlan?.(moves);
      },
    },
    kube ? (n) => kube!.watch.allocatableCpusOf(n) : undefined,
  );
  await planner.start();
  const runtime: AdvisorRuntime = {
    core,
    fleet,
    metrics,
    planner,
    store,
    live,
    slack,
    kubernetes: kube,
    url: '',
    stop: async () => {
      // Live-update streams never end by themselves: cut every connection so the server can close.
      (app.getHttpServer() as Server).closeAllConnections();
      await app.close();
      await planner.stop();
      await fleet.stop();
      await core.stop();
      await kube?.watch.stop();
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
