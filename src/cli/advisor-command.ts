import { Command, Option } from 'commander';
import type { MessageBus } from '../adapters/bus/message-bus';
import type { TimeSeriesStore } from '../adapters/store/time-series-store';
import { CliError, type CliIo } from './cli-error';
import { kafkaBusFromEnv } from './kafka-from-env';
import { logFromEnv } from './log-from-env';
import { integerIn, parseDurationMs, parsePort } from './options';
import { redactUrl } from '../adapters/redact-url';

interface AdvisorOptions {
  port: number;
  host: string;
  publicUrl?: string;
  migrate: boolean;
  dryRun: boolean;
  annotateNodes: boolean;
  shutdownTimeout: number;
  forgetNodesAfter: number;
  analysisWorkers?: number;
}

/** `spinwise advisor [--port N] [--host H] [--public-url URL] [--migrate] [--dry-run]` */
export function advisorCommand(io: CliIo): Command {
  return new Command('advisor')
    .description(
      'the advisor service: ingest, analyses, REST API, dashboard, alerts (Kafka, InfluxDB, Slack, Kubernetes from the environment; embedded bus and store when Kafka or InfluxDB is unset)',
    )
    .addOption(new Option('--port <n>', 'port of the API and dashboard').argParser(parsePort).default(8080))
    .option('--host <address>', 'address to listen on (the chart sets 0.0.0.0 in a pod)', '127.0.0.1')
    .addOption(
      new Option(
        '--shutdown-timeout <duration>',
        'on SIGTERM, exit within this at the latest (below the pod’s grace period)',
      )
        .argParser(parseDurationMs)
        .default(20_000, '20s'),
    )
    .addOption(
      new Option(
        '--forget-nodes-after <duration>',
        'in a cluster: remove a node’s records from the compacted topics once it has left the cluster this long',
      )
        .argParser(parseDurationMs)
        .default(86_400_000, '24h'),
    )
    .addOption(
      new Option('--public-url <url>', 'the dashboard’s URL as users reach it, for links in Slack').env(
        'SPINWISE_PUBLIC_URL',
      ),
    )
    .addOption(
      new Option(
        '--analysis-workers <n>',
        'worker threads that fit models (default: the cores but one); size by `npm run bench -- advisor-throughput`',
      ).argParser(integerIn(1, 256, 4)),
    )
    .option('--migrate', 'create VirtualMachineInstanceMigrations for the planner’s moves', false)
    .option('--dry-run', 'print the migrations --migrate would create, create none', false)
    .option('--no-annotate-nodes', 'do not write each node’s top recommendation as an annotation')
    .action((options: AdvisorOptions) => run(options, io));
}

async function run(options: AdvisorOptions, io: CliIo): Promise<void> {
  // Loaded when the advisor runs, not when `spinwise` starts: the agent, one on every node, never
  // loads NestJS, the Kubernetes client or the InfluxDB client (its RSS: 150 MB with them).
  const [{ EmbeddedBus }, { EmbeddedStore }, { InfluxStore }, { startAdvisorRuntime }, { loadKubeConfig }] =
    await Promise.all([
      import('../adapters/bus/embedded-bus'),
      import('../adapters/store/embedded-store'),
      import('../adapters/store/influx-store'),
      import('../advisor/app/advisor-runtime'),
      import('../adapters/kubernetes/kube-config'),
    ]);
  if (options.publicUrl !== undefined && !/^https?:\/\//.test(options.publicUrl))
    throw new CliError(
      `--public-url: expected an http(s) URL, e.g. https://spinwise.example.com, got "${options.publicUrl}"`,
    );
  const env = process.env;
  const kc = loadKubeConfig(env);
  if (!kc && (options.migrate || options.dryRun))
    throw new CliError('--migrate/--dry-run need Kubernetes: set SPINWISE_KUBECONFIG or run in a cluster');
  const brokers = env.SPINWISE_KAFKA_BROKERS;
  const influx = env.SPINWISE_INFLUX_URL;
  const log = logFromEnv(env, io, 'advisor');
  const bus: MessageBus = kafkaBusFromEnv(env, 'spinwise-advisor', undefined, log) ?? new EmbeddedBus();
  const retentionMs = parseRetentionMs(env.SPINWISE_INFLUX_RETENTION ?? '7d');
  const store: TimeSeriesStore = influx
    ? new InfluxStore({
        url: influx,
        database: env.SPINWISE_INFLUX_DATABASE ?? 'spinwise',
        retentionMs,
        username: env.SPINWISE_INFLUX_USERNAME,
        password: env.SPINWISE_INFLUX_PASSWORD,
      })
    : new EmbeddedStore({ database: 'spinwise', retentionMs });
  const runtime = await startAdvisorRuntime(
    bus,
    store,
    {
      port: options.port,
      host: options.host,
      apiToken: env.SPINWISE_API_TOKEN || undefined,
      slackWebhookUrl: env.SPINWISE_SLACK_WEBHOOK_URL || undefined,
      publicUrl: options.publicUrl,
      analysisWorkers: options.analysisWorkers,
      spreadEpochs: true,
      planner: { forgetNodesAfterMs: options.forgetNodesAfter },
      kubernetes: kc
        ? {
            kc,
            namespace: env.POD_NAMESPACE ?? 'default',
            identity: env.POD_NAME ?? env.HOSTNAME ?? `spinwise-${process.pid}`,
            migrate: options.migrate || options.dryRun,
            dryRun: options.dryRun,
            annotateNodes: options.annotateNodes,
            print: (l) => io.out(l),
            log,
          }
        : undefined,
      log,
      shutdownTimeoutMs: options.shutdownTimeout,
      sinks: [
        {
          analysis: (a) =>
            io.out(
              `${JSON.stringify({ node: a.node, severity: a.severity, findings: a.findings.length, recommendations: a.recommendations.map((r) => r.target) })}\n`,
            ),
        },
      ],
    },
    { ownsAdapters: true, shutdownHooks: true },
  );
  log(
    `spinwise advisor: bus ${brokers ? `Kafka ${brokers}` : 'embedded'}, store ${influx ? `InfluxDB ${redactUrl(influx)}` : 'embedded'}, Slack ${runtime.slack ? 'on' : 'off'}, Kubernetes ${kc ? `on (migrations ${options.dryRun ? 'printed' : options.migrate ? 'created' : 'off'})` : 'off'}, API and dashboard on ${runtime.url}`,
  );
}

const RETENTION_UNITS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** SPINWISE_INFLUX_RETENTION: `7d`, `48h`, `2w`, or `INF` (kept for ever). */
function parseRetentionMs(text: string): number {
  if (text === 'INF') return 0;
  const m = /^([1-9]\d*)(h|d|w)$/.exec(text);
  if (!m)
    throw new CliError(
      `SPINWISE_INFLUX_RETENTION: expected a duration like 7d, 48h or 2w, or INF, got "${text}"`,
    );
  return Number(m[1]) * RETENTION_UNITS[m[2]!]!;
}
