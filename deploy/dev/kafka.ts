import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { freePort, waitUntil } from './free-port';
import { startDetached, stopProcess } from './process';

/**
 * Apache Kafka in KRaft mode from the official jars on Maven Central.
 * 3.9.1: kafkajs 2.2.4 speaks protocol versions that Kafka 4.0 removed, so 3.9 (the last 3.x) is the pick.
 */
export const KAFKA_VERSION = '3.9.1';

const repoRoot = resolve(__dirname, '..', '..', '..');
const libsDir = join(repoRoot, '.cache', `kafka-${KAFKA_VERSION}`, 'libs');

/** Fetches the broker jars with Maven once; later runs reuse the ignored cache folder. */
export function ensureKafkaJars(): string {
  if (existsSync(libsDir) && readdirSync(libsDir).some((f) => f.startsWith('kafka_2.13-'))) return libsDir;
  mkdirSync(libsDir, { recursive: true });
  process.stderr.write(`fetching Kafka ${KAFKA_VERSION} jars from Maven Central into ${libsDir}\n`);
  execFileSync(
    'mvn',
    ['-q', '-B', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libsDir}`],
    { cwd: join(repoRoot, 'deploy', 'dev'), stdio: ['ignore', 'inherit', 'inherit'] },
  );
  return libsDir;
}

export interface KafkaState {
  dir: string;
  port: number;
  controllerPort: number;
  pid: number;
  /** Clients authenticated (SASL/SCRAM or TLS client certificates) and authorised by ACLs. */
  secured?: SecuredKafka;
}

/**
 * A broker that authenticates clients and authorises them by ACLs (StandardAuthorizer): with
 * SCRAM-SHA-256 users (`admin`, which the broker itself uses, is the super user), or with TLS
 * client certificates signed by `tls.caFile` (principals `User:CN=<name>`; the broker's own
 * certificate's subject is the super user).
 */
export type SecuredKafka =
  | { users: Record<string, string>; tls?: undefined }
  | { tls: { caFile: string; certFile: string; keyFile: string; superUser: string }; users?: undefined };

const AUTHORISER = [
  'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  'allow.everyone.if.no.acl.found=false',
];

function listenerLines(state: Omit<KafkaState, 'pid'>): string[] {
  const controller = `CONTROLLER://127.0.0.1:${state.controllerPort}`;
  if (!state.secured)
    return [
      `listeners=PLAINTEXT://127.0.0.1:${state.port},${controller}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${state.port}`,
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    ];
  if (state.secured.tls) {
    const { caFile, certFile, keyFile, superUser } = state.secured.tls;
    // Kafka's PEM key store is one file: the (PKCS#8, unencrypted) key, then the certificate.
    writeFileSync(
      join(state.dir, 'keystore.pem'),
      readFileSync(keyFile, 'utf8') + readFileSync(certFile, 'utf8'),
    );
    return [
      `listeners=SSL://127.0.0.1:${state.port},${controller}`,
      `advertised.listeners=SSL://127.0.0.1:${state.port}`,
      'inter.broker.listener.name=SSL',
      'listener.security.protocol.map=SSL:SSL,CONTROLLER:PLAINTEXT',
      // PEM files as they are (Kafka 2.7+, KIP-651); a client without a certificate is refused.
      'ssl.keystore.type=PEM',
      `ssl.keystore.location=${join(state.dir, 'keystore.pem')}`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${caFile}`,
      'ssl.client.auth=required',
      'ssl.endpoint.identification.algorithm=',
      ...AUTHORISER,
      `super.users=User:${superUser};User:ANONYMOUS`,
    ];
  }
  const admin = state.secured.users.admin;
  if (!admin) throw new Error('a secured Kafka needs an admin user');
  return [
    `listeners=SASL_PLAINTEXT://127.0.0.1:${state.port},${controller}`,
    `advertised.listeners=SASL_PLAINTEXT://127.0.0.1:${state.port}`,
    'inter.broker.listener.name=SASL_PLAINTEXT',
    'listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
    'sasl.enabled.mechanisms=SCRAM-SHA-256',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256',
    `listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${admin}";`,
    ...AUTHORISER,
    // The controller listener (this process talking to itself) is unauthenticated: ANONYMOUS.
    'super.users=User:admin;User:ANONYMOUS',
  ];
}

function writeConfig(state: Omit<KafkaState, 'pid'>): void {
  writeFileSync(
    join(state.dir, 'server.properties'),
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${state.controllerPort}`,
      ...listenerLines(state),
      'controller.listener.names=CONTROLLER',
      `log.dirs=${join(state.dir, 'data')}`,
      'num.partitions=1',
      'auto.create.topics.enable=false',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=4',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(state.dir, 'log4j.properties'),
    [
      'log4j.rootLogger=INFO, file',
      'log4j.appender.file=org.apache.log4j.FileAppender',
      `log4j.appender.file.File=${join(state.dir, 'kafka.log')}`,
      'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
      '',
    ].join('\n'),
  );
}

function java(dir: string, mainClass: string, args: string[]): string[] {
  return [
    '-Xmx512m',
    '-XX:+UseSerialGC',
    `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`,
    '-cp',
    `${libsDir}/*`,
    mainClass,
    ...args,
  ];
}

/** How the broker's super user connects: SCRAM as admin, or TLS with the broker's own certificate. */
export function adminAuth(secured: SecuredKafka): Pick<KafkaConfig, 'sasl' | 'ssl'> {
  if (secured.tls) {
    const { caFile, certFile, keyFile } = secured.tls;
    const read = (f: string) => readFileSync(f, 'utf8');
    return {
      ssl: { ca: [read(caFile)], cert: read(certFile), key: read(keyFile), rejectUnauthorized: true },
    };
  }
  return { sasl: { mechanism: 'scram-sha-256', username: 'admin', password: secured.users.admin! } };
}

export async function kafkaReady(brokers: string, timeoutMs = 60_000, secured?: SecuredKafka): Promise<void> {
  const admin = new Kafka({
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    ...(secured ? adminAuth(secured) : {}),
  }).admin();
  try {
    await waitUntil(
      `Kafka at ${brokers}`,
      async () => {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.brokers.length > 0 && cluster.controller !== null;
      },
      timeoutMs,
    );
  } finally {
    await admin.disconnect();
  }
}

/** Formats a fresh data directory under `dir` and starts the broker (secured: SCRAM users and ACLs). */
export async function startKafka(dir: string, secured?: SecuredKafka): Promise<KafkaState> {
  ensureKafkaJars();
  mkdirSync(dir, { recursive: true });
  const ports = { port: await freePort(), controllerPort: await freePort() };
  writeConfig({ dir, ...ports, secured });
  // KRaft keeps SCRAM credentials in its metadata log: they are written when the log is formatted.
  const scram = Object.entries(secured?.users ?? {}).flatMap(([name, password]) => [
    '--add-scram',
    `SCRAM-SHA-256=[name=${name},password=${password}]`,
  ]);
  const clusterId = execFileSync('java', java(dir, 'kafka.tools.StorageTool', ['random-uuid']))
    .toString()
    .trim();
  execFileSync(
    'java',
    java(dir, 'kafka.tools.StorageTool', [
      'format',
      '-t',
      clusterId,
      '-c',
      join(dir, 'server.properties'),
      ...scram,
    ]),
    {
      stdio: 'ignore',
    },
  );
  return resumeKafka({ dir, ...ports, pid: 0, ...(secured ? { secured } : {}) });
}

/** Starts the broker again on its existing data and ports (after stopKafka). */
export async function resumeKafka(state: KafkaState): Promise<KafkaState> {
  const pid = startDetached(
    'java',
    java(state.dir, 'kafka.Kafka', [join(state.dir, 'server.properties')]),
    join(state.dir, 'stdout.log'),
  );
  await kafkaReady(`127.0.0.1:${state.port}`, 60_000, state.secured);
  return { ...state, pid };
}

export async function stopKafka(state: KafkaState): Promise<void> {
  await stopProcess(state.pid, 20_000);
}
