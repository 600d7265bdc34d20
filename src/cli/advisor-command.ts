import { parseArgs } from 'node:util';
import { EmbeddedBus } from '../adapters/bus/embedded-bus';
import type { MessageBus } from '../adapters/bus/message-bus';
import { EmbeddedStore } from '../adapters/store/embedded-store';
import { InfluxStore } from '../adapters/store/influx-store';
import type { TimeSeriesStore } from '../adapters/store/time-series-store';
import { startAdvisorRuntime } from '../advisor/advisor-runtime';
import { CliError, type CliIo } from './cli-error';
import { loadKubeConfig } from '../adapters/kubernetes/kube-config';
import { kafkaBusFromEnv } from './kafka-from-env';
import { parsePort } from './options';

/**
 * `spinwise advisor [--port N] [--host H] [--public-url URL] [--migrate] [--dry-run]`: Kafka,
 * InfluxDB, Slack, Kubernetes and the API token from the environment; embedded bus and store when
 * Kafka or InfluxDB is unset; Kubernetes only in a cluster or with SPINWISE_KUBECONFIG.
 */
export async function advisorCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '0.0.0.0' },
      'public-url': { type: 'string' },
      migrate: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const port = parsePort(values.port);
  const env = process.env;
  const brokers = env.SPINWISE_KAFKA_BROKERS;
  const influx = env.SPINWISE_INFLUX_URL;
  const bus: MessageBus = kafkaBusFromEnv(env, 'spinwise-advisor') ?? new EmbeddedBus();
  const retentionMs = 7 * 24 * 3_600_000;
  const store: TimeSeriesStore = influx
    ? new InfluxStore({
        url: influx,
        database: env.SPINWISE_INFLUX_DATABASE ?? 'spinwise',
        retentionMs,
        username: env.SPINWISE_INFLUX_USERNAME,
        password: env.SPINWISE_INFLUX_PASSWORD,
      })
    : new EmbeddedStore({ database: 'spinwise', retentionMs });
  if (values['public-url'] !== undefined && !/^https?:\/\//.test(values['public-url']))
    throw new CliError(`--public-url: expected an http(s) URL, got "${values['public-url']}"`);
  const kc = loadKubeConfig(env);
  if (!kc && (values.migrate || values['dry-run']))
    throw new CliError('--migrate/--dry-run need Kubernetes: set SPINWISE_KUBECONFIG or run in a cluster');
  const runtime = await startAdvisorRuntime(bus, store, {
    port,
    host: values.host,
    apiToken: env.SPINWISE_API_TOKEN || undefined,
    slackWebhookUrl: env.SPINWISE_SLACK_WEBHOOK_URL || undefined,
    publicUrl: values['public-url'] ?? env.SPINWISE_PUBLIC_URL,
    kubernetes: kc
      ? {
          kc,
          namespace: env.POD_NAMESPACE ?? 'default',
          identity: env.POD_NAME ?? env.HOSTNAME ?? `spinwise-${process.pid}`,
          migrate: values.migrate || values['dry-run'],
          dryRun: values['dry-run'],
          print: (l) => io.out(l),
          log: (l) => io.err(`${l}\n`),
        }
      : undefined,
    log: (l) => io.err(`${l}\n`),
    onAnalysis: (a) =>
      io.out(
        `${JSON.stringify({ node: a.node, severity: a.severity, findings: a.findings.length, recommendations: a.recommendations.map((r) => r.target) })}\n`,
      ),
  });
  io.err(
    `spinwise advisor: bus ${brokers ? `Kafka ${brokers}` : 'embedded'}, store ${influx ? `InfluxDB ${influx}` : 'embedded'}, Slack ${runtime.slack ? 'on' : 'off'}, Kubernetes ${kc ? `on (migrations ${values['dry-run'] ? 'printed' : values.migrate ? 'created' : 'off'})` : 'off'}, API and dashboard on ${values.host}:${port}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await runtime.stop();
  await bus.close();
  await store.close();
  return 0;
}
