import { readFileSync } from 'node:fs';
import type { SASLOptions } from 'kafkajs';
import { KafkaBus } from '../adapters/bus/kafka-bus';
import type { Log } from '../adapters/log/log';
import { CliError } from './cli-error';

const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

/**
 * Kafka from the environment: SPINWISE_KAFKA_BROKERS (host:port,…), SPINWISE_KAFKA_TLS=true, and
 * SPINWISE_KAFKA_CA_FILE (a PEM bundle to trust), SPINWISE_KAFKA_REPLICATION_FACTOR for the topics it creates,
 * SPINWISE_KAFKA_SASL_MECHANISM with SPINWISE_KAFKA_USERNAME / SPINWISE_KAFKA_PASSWORD. Null when
 * no brokers are set (the embedded bus).
 */
export function kafkaBusFromEnv(
  env: NodeJS.ProcessEnv,
  clientId: string,
  retryForMs?: number,
  log?: Log,
): KafkaBus | null {
  const brokers = env.SPINWISE_KAFKA_BROKERS;
  if (!brokers) return null;
  const mechanism = env.SPINWISE_KAFKA_SASL_MECHANISM;
  let sasl: SASLOptions | undefined;
  if (mechanism) {
    if (!(MECHANISMS as readonly string[]).includes(mechanism))
      throw new CliError(
        `SPINWISE_KAFKA_SASL_MECHANISM: expected one of ${MECHANISMS.join(', ')}, got "${mechanism}"`,
      );
    if (!env.SPINWISE_KAFKA_USERNAME || !env.SPINWISE_KAFKA_PASSWORD)
      throw new CliError(
        'SPINWISE_KAFKA_SASL_MECHANISM needs SPINWISE_KAFKA_USERNAME and SPINWISE_KAFKA_PASSWORD',
      );
    sasl = {
      mechanism,
      username: env.SPINWISE_KAFKA_USERNAME,
      password: env.SPINWISE_KAFKA_PASSWORD,
    } as SASLOptions;
  }
  const replication = env.SPINWISE_KAFKA_REPLICATION_FACTOR;
  if (replication && !/^\d+$/.test(replication))
    throw new CliError(
      `SPINWISE_KAFKA_REPLICATION_FACTOR: expected a whole number (0: automatic), got "${replication}"`,
    );
  return new KafkaBus({
    brokers: brokers.split(','),
    clientId,
    ssl: tlsOf(env),
    sasl,
    retryForMs,
    log,
    replicationFactor: replication ? Number(replication) : undefined,
  });
}

/**
 * TLS: on with SPINWISE_KAFKA_TLS=true; SPINWISE_KAFKA_CA_FILE's CAs trusted when given, and a
 * client certificate (SPINWISE_KAFKA_CERT_FILE with SPINWISE_KAFKA_KEY_FILE, PEM; Strimzi's `tls`
 * authentication: the KafkaUser Secret's user.crt and user.key) presented when given. Either
 * implies TLS.
 */
function tlsOf(env: NodeJS.ProcessEnv): boolean | { ca?: string[]; cert?: string; key?: string } {
  const read = (variable: string) => {
    const file = env[variable];
    if (!file) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new CliError(
        `${variable}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  };
  const ca = read('SPINWISE_KAFKA_CA_FILE');
  const cert = read('SPINWISE_KAFKA_CERT_FILE');
  const key = read('SPINWISE_KAFKA_KEY_FILE');
  if (Boolean(cert) !== Boolean(key))
    throw new CliError(
      'SPINWISE_KAFKA_CERT_FILE and SPINWISE_KAFKA_KEY_FILE go together: set both or neither',
    );
  if (!ca && !cert) return env.SPINWISE_KAFKA_TLS === 'true';
  return { ...(ca ? { ca: [ca] } : {}), ...(cert && key ? { cert, key } : {}) };
}
