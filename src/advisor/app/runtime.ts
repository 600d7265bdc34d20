import type { INestApplication } from '@nestjs/common';
import type { SlackAlerter } from '../../adapters/slack/slack-alerter';
import type { TimeSeriesStore } from '../../adapters/store/time-series-store';
import type { AdvisorCore } from '../ingest/advisor-core';
import type { FleetView } from '../fleet/fleet-view';
import type { MetricsExporter } from '../http/metrics-exporter';
import type { LiveEvents } from '../outputs/live-events';
import type { ClusterPlanner } from '../planner/cluster-planner';

/** The advisor's services, as `/metrics` reads them across the application at each scrape. */
export interface AdvisorServices {
  core: AdvisorCore;
  /** The whole fleet, as every replica answers for it. */
  fleet: FleetView;
  metrics: MetricsExporter;
  planner: ClusterPlanner;
  store: TimeSeriesStore;
  live: LiveEvents;
  slack: SlackAlerter | null;
}

/** A started advisor: its services, the Nest application serving them, and where it listens. */
export interface AdvisorRuntime extends AdvisorServices {
  app: INestApplication;
  url: string;
  /** app.close(): the server, then every part in reverse order (see AdvisorLifecycle). */
  stop(): Promise<void>;
}
