import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MessageBus } from '../../adapters/bus/message-bus';
import type { TimeSeriesStore } from '../../adapters/store/time-series-store';
import type { INestApplication } from '@nestjs/common';
import type { SlackAlerter } from '../../adapters/slack/slack-alerter';
import { FleetView } from '../fleet/fleet-view';
import { createAdvisorApp } from '../http/create-app';
import { MetricsExporter } from '../http/metrics-exporter';
import { AdvisorCore } from '../ingest/advisor-core';
import { LiveEvents } from '../outputs/live-events';
import { SlackSink } from '../outputs/slack-sink';
import { ClusterPlanner } from '../planner/cluster-planner';
import type { AdvisorRuntimeOptions, AdvisorSettings } from './advisor-config';
import { ADVISOR_SETTINGS } from './tokens';
import { AdvisorModule } from './advisor.module';

export type { AdvisorRuntimeOptions };

/** A started advisor: its services, the Nest application serving them, and where it listens. */
export interface AdvisorRuntime {
  core: AdvisorCore;
  /** The whole fleet, as every replica answers for it. */
  fleet: FleetView;
  metrics: MetricsExporter;
  planner: ClusterPlanner;
  store: TimeSeriesStore;
  live: LiveEvents;
  slack: SlackAlerter | null;
  app: INestApplication;
  url: string;
  /** app.close(): the server, then every part in reverse order (see AdvisorLifecycle). */
  stop(): Promise<void>;
}

/**
 * Starts the advisor as a Nest application over one bus and one store: its services start in
 * `onApplicationBootstrap` (AdvisorLifecycle), then the server listens. `stop()` is `app.close()`.
 * `ownsAdapters`: the application closes the bus and the store when it stops. `shutdownHooks`:
 * SIGINT and SIGTERM close the application, and the process exits 0 once it has (the CLI's case).
 */
export async function startAdvisorRuntime(
  bus: MessageBus,
  store: TimeSeriesStore,
  options: AdvisorRuntimeOptions,
  process: { ownsAdapters?: boolean; shutdownHooks?: boolean } = {},
): Promise<AdvisorRuntime> {
  const app = await createAdvisorApp(
    AdvisorModule.forRoot({ bus, store, options, ownsAdapters: process.ownsAdapters }),
  );
  if (process.shutdownHooks) app.enableShutdownHooks(['SIGINT', 'SIGTERM'], { useProcessExit: true });
  // As the application resolved it (ADVISOR_SETTINGS), not resolved a second time here.
  const { host } = app.get<AdvisorSettings>(ADVISOR_SETTINGS);
  await app.listen(options.port, host);
  const address = (app.getHttpServer() as Server).address() as AddressInfo;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  const slack = app.get(SlackSink, { strict: false });
  if (slack) slack.publicUrl ||= url;
  return {
    core: app.get(AdvisorCore),
    fleet: app.get(FleetView),
    metrics: app.get(MetricsExporter),
    planner: app.get(ClusterPlanner),
    live: app.get(LiveEvents),
    slack: slack?.slack ?? null,
    store,
    app,
    url,
    stop: () => app.close(),
  };
}
