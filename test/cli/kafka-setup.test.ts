import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { advisorGrants, agentGrants } from '../../src/adapters/bus/kafka-acls';
import { topicConfig } from '../../src/adapters/bus/kafka-bus';
import { main } from '../../src/cli/main';
import { defaultTopicSpecs } from '../../src/telemetry';

const ROOT = join(__dirname, '..', '..', '..');

async function run(...argv: string[]): Promise<string> {
  let out = '';
  const code = await main(argv, { out: (t) => (out += t), err: () => undefined });
  assert.equal(code, 0);
  return out;
}

it('kafka-setup prints every topic with its retention or compaction and the narrow grants of agents and advisors', async () => {
  const out = await run('kafka-setup', '--bootstrap', 'kafka:9092', '--agent-principal', 'User:agents');
  for (const t of defaultTopicSpecs()) {
    const line = out.split('\n').find((l) => l.includes(`--topic ${t.name} `))!;
    assert.ok(line, t.name);
    for (const c of topicConfig(t)) assert.ok(line.includes(`--config ${c.name}=${c.value}`), line);
  }
  assert.match(
    out,
    /kafka-acls\.sh --bootstrap-server kafka:9092 --add --allow-principal User:agents --operation Write --operation Describe --topic spinwise\.samples\.v1\n/,
  );
  assert.match(
    out,
    /--allow-principal User:spinwise-advisor --operation Read --operation Describe --operation Delete --group spinwise- --resource-pattern-type prefixed/,
  );
  assert.doesNotMatch(
    out.split('# advisors')[0]!,
    /--operation (Read|Create)/,
    'agents neither read nor create',
  );
});

it('kafka-setup --format strimzi: a KafkaTopic per topic and a KafkaUser per component with the same ACLs', async () => {
  const out = await run(
    'kafka-setup',
    '--format',
    'strimzi',
    '--strimzi-cluster',
    'prod',
    '--strimzi-authentication',
    'tls',
  );
  const docs = parseAllDocuments(out).map((d) => d.toJS()) as {
    kind: string;
    metadata: { name: string; labels: Record<string, string> };
    spec: Record<string, unknown>;
  }[];
  assert.equal(docs.filter((d) => d.kind === 'KafkaTopic').length, defaultTopicSpecs().length);
  assert.ok(docs.every((d) => d.metadata.labels['strimzi.io/cluster'] === 'prod'));
  const users = Object.fromEntries(
    docs.filter((d) => d.kind === 'KafkaUser').map((d) => [d.metadata.name, d.spec]),
  );
  const acls = (grants: ReturnType<typeof agentGrants>) =>
    grants.map((g) => ({
      resource: { type: g.resource, name: g.name, patternType: g.prefixed ? 'prefix' : 'literal' },
      operations: g.operations,
    }));
  assert.deepEqual(users['spinwise-agent'], {
    authentication: { type: 'tls' },
    authorization: { type: 'simple', acls: acls(agentGrants()) },
  });
  assert.deepEqual(users['spinwise-advisor']!.authorization, { type: 'simple', acls: acls(advisorGrants()) });
});

it('deploy/kafka-topics.sh creates the topics the advisor creates, with the same partitions and configuration', () => {
  const script = readFileSync(join(ROOT, 'deploy', 'kafka-topics.sh'), 'utf8');
  const created = [...script.matchAll(/^create (\S+) (\d+)(?: (\S+))?$/gm)].map((m) => [
    m[1],
    Number(m[2]),
    m[3] ?? null,
  ]);
  const byName = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
  assert.deepEqual(
    created.sort(byName),
    defaultTopicSpecs()
      .map((t) => {
        const c = topicConfig(t)[0];
        return [t.name, t.partitions, c ? `${c.name}=${c.value}` : null];
      })
      .sort(byName),
  );
});
