import { Module, type DynamicModule } from '@nestjs/common';
import type { AdvisorRuntime } from '../runtime';
import { AdvisorCore } from '../advisor-core';
import { FleetView } from '../fleet-view';
import { LiveEvents } from '../live-events';
import { ClusterPlanner } from '../planner/cluster-planner';
import { ActionsController } from './actions.controller';
import { AdvisorController } from './advisor.controller';
import { API_TOKEN, ApiTokenGuard } from './api-token.guard';
import { EventsController } from './events.controller';
import { MetricsExporter } from './metrics-exporter';
import { ADVISOR_RUNTIME, TIME_SERIES_STORE } from './tokens';

/**
 * The advisor's HTTP surface as a Nest module: `forRoot` provides each service the controllers
 * use by its own class (the core, the fleet view, the planner, live events, the metrics exporter)
 * and the store by token; the controllers ask for what they need, nothing more.
 */
@Module({})
export class AdvisorHttpModule {
  static forRoot(runtime: AdvisorRuntime, apiToken?: string): DynamicModule {
    return {
      module: AdvisorHttpModule,
      controllers: [AdvisorController, ActionsController, EventsController],
      providers: [
        { provide: AdvisorCore, useValue: runtime.core },
        { provide: FleetView, useValue: runtime.fleet },
        { provide: ClusterPlanner, useValue: runtime.planner },
        { provide: LiveEvents, useValue: runtime.live },
        { provide: MetricsExporter, useValue: runtime.metrics },
        { provide: TIME_SERIES_STORE, useValue: runtime.store },
        // The metrics read counters across the runtime (Slack's among them) at each scrape.
        { provide: ADVISOR_RUNTIME, useValue: runtime },
        { provide: API_TOKEN, useValue: apiToken },
        ApiTokenGuard,
      ],
    };
  }
}
