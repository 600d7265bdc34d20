import type { Log } from '../../adapters/log/log';
import type { ClusterVmi } from '../../adapters/kubernetes/cluster-watch';
import type { ClusterWriter, EventTarget } from '../../adapters/kubernetes/cluster-writer';
import { ClusterWriter as Writer } from '../../adapters/kubernetes/cluster-writer';
import type { NodeAnalysis, NodeInventory, RecommendationMessage } from '../../telemetry';
import type { AlertEvent } from '../http/api-types';

export interface KubernetesPublisherOptions {
  /** Create VirtualMachineInstanceMigrations for the planner's moves (off by default). */
  migrate?: boolean;
  /** Print the migrations instead of creating them. */
  dryRun?: boolean;
  /** Write the node's top recommendation as an annotation (default on). */
  annotateNodes?: boolean;
  print?: (line: string) => void;
  log?: Log;
}

const pct = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(Math.round(x * 100))} %`;

/**
 * Shows spinwise's conclusions where operators already look: Events on the Node and the VMIs an
 * alert concerns, the node's current top recommendation as an annotation, and for the planner's
 * moves an Event on the VMI and (opted in) a migration. The cluster being slow or away never
 * reaches the advisor: every write is fire-and-forget with its failure logged.
 */
export class KubernetesPublisher {
  private readonly annotated = new Map<string, string | null>();
  writes = 0;
  failures = 0;

  constructor(
    private readonly writer: ClusterWriter,
    private readonly inventoryOf: (node: string) => NodeInventory | undefined,
    private readonly options: KubernetesPublisherOptions = {},
    /** The VMIs the Kubernetes watch sees on a node. */
    private readonly vmisOn: (node: string) => ClusterVmi[] = () => [],
  ) {}

  /**
   * The VMI behind a VM of a node: the agent's KubeVirt identity, else the `<namespace>_<vmi>`
   * domain name, else a VMI of that name the watch sees on the node.
   */
  vmiOf(node: string, vm: string): { namespace: string; name: string } | null {
    const kv = this.inventoryOf(node)?.vms.find((v) => v.name === vm)?.kubevirt;
    if (kv?.namespace && kv.vmi) return { namespace: kv.namespace, name: kv.vmi };
    const m = /^([a-z0-9-]+)_([a-z0-9.-]+)$/.exec(vm);
    if (m) return { namespace: m[1]!, name: m[2]! };
    const watched = this.vmisOn(node).find((v) => v.name === vm);
    return watched ? { namespace: watched.namespace, name: watched.name } : null;
  }

  private write(what: string, run: () => Promise<void>): Promise<void> {
    return run().then(
      () => void this.writes++,
      (err: Error) => {
        this.failures++;
        this.options.log?.(`kubernetes: ${what}: ${err.message}`, 'warn');
      },
    );
  }

  onAlert(alert: AlertEvent): Promise<void> {
    const raised = alert.transition === 'raised';
    const reason = raised ? 'ExcessiveVcpuSpinning' : 'VcpuSpinningCleared';
    const rec = alert.topRecommendation;
    const message = raised
      ? `${alert.finding.message} (${alert.finding.kind}, threshold ${alert.finding.threshold}; VMs ${alert.vms.join(', ') || 'all'})${rec ? `. Recommended: ${rec.summary} (PLE exits ${pct(rec.predicted.pleExits.change)}, useful time ${pct(rec.predicted.usefulNs.change)})` : ''}`
      : `${alert.finding.kind} back under ${alert.finding.threshold}`;
    const targets: EventTarget[] = [
      { kind: 'Node', name: alert.node },
      ...alert.vms.flatMap((vm) => {
        const vmi = this.vmiOf(alert.node, vm);
        return vmi ? [{ kind: 'VirtualMachineInstance' as const, ...vmi }] : [];
      }),
    ];
    return Promise.all(
      targets.map((t) =>
        this.write(`event on ${t.kind} ${t.name}`, () =>
          this.writer.event(t, raised ? 'Warning' : 'Normal', reason, message),
        ),
      ),
    ).then(() => undefined);
  }

  /** The node's annotation follows its top recommendation; written only when that changes. */
  onAnalysis(a: NodeAnalysis): Promise<void> {
    if (this.options.annotateNodes === false) return Promise.resolve();
    const top = a.recommendations[0];
    const value = top
      ? JSON.stringify({
          kind: top.kind,
          target: top.target,
          summary: top.summary,
          pleExits: top.predicted.pleExits.change,
          usefulNs: top.predicted.usefulNs.change,
          confidence: top.confidence,
          windowEndMs: a.windowEndMs,
        })
      : null;
    // Re-annotate when the recommendation changes, not when only its numbers move.
    const key = top ? `${top.kind}|${top.target}` : null;
    const before = this.annotated.get(a.node);
    if (before === key || (before === undefined && key === null)) return Promise.resolve();
    this.annotated.set(a.node, key);
    return this.write(`annotation on node ${a.node}`, () => this.writer.annotateNode(a.node, value));
  }

  onPlan(moves: RecommendationMessage[]): Promise<void> {
    return Promise.all(
      moves.map(async (m) => {
        const vmi = m.vm ? this.vmiOf(m.node, m.vm) : null;
        if (!vmi) return;
        await this.write(`event on VMI ${vmi.name}`, () =>
          this.writer.event(
            { kind: 'VirtualMachineInstance', ...vmi },
            'Normal',
            'SpinwiseMoveRecommended',
            `${m.recommendation.summary}: ${m.recommendation.evidence.join('; ')}`,
          ),
        );
        if (!this.options.migrate) return;
        if (this.options.dryRun)
          this.options.print?.(`${JSON.stringify(Writer.migration(vmi.namespace, vmi.name))}\n`);
        else
          await this.write(`migration of VMI ${vmi.name}`, () =>
            this.writer.createMigration(vmi.namespace, vmi.name),
          );
      }),
    ).then(() => undefined);
  }
}
