import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MessageBus } from '../../adapters/bus/message-bus';
import type { TimeSeriesStore } from '../../adapters/store/time-series-store';
import type { AdvisorRuntimeOptions } from './advisor-config';
import { AdvisorEvents } from '../outputs/advisor-events';
import { AdvisorModule } from './advisor.module';
import { createAdvisorApp } from '../http/create-app';
import type { AdvisorRuntime, AdvisorServices } from './runtime';
import { ADVISOR_SERVICES } from './tokens';

export type { AdvisorRuntime, AdvisorRuntimeOptions };

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
  const host = options.host ?? '127.0.0.1';
  await app.listen(options.port, host);
  const address = (app.getHttpServer() as Server).address() as AddressInfo;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  const events = app.get(AdvisorEvents);
  events.publicUrl ||= url;
  return { ...app.get<AdvisorServices>(ADVISOR_SERVICES), app, url, stop: () => app.close() };
}
