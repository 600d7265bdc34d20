import type { Log } from '../log/log';
import {
  CustomObjectsApi,
  CoreV1Api,
  makeInformer,
  type KubeConfig,
  type KubernetesObject,
  type V1Node,
} from '@kubernetes/client-node';

/** What spinwise needs of a Node. */
export interface ClusterNode {
  name: string;
  kernel: string;
  /** Allocatable CPUs (cores), the planner's capacity. */
  allocatableCpus: number;
}

/** What spinwise needs of a KubeVirt VirtualMachineInstance. */
export interface ClusterVmi {
  namespace: string;
  name: string;
  nodeName: string | null;
  vcpus: number;
  dedicatedCpus: boolean;
}

interface VmiObject extends KubernetesObject {
  spec?: {
    domain?: {
      cpu?: { cores?: number; sockets?: number; threads?: number; dedicatedCpuPlacement?: boolean };
    };
  };
  status?: { nodeName?: string };
}

/** "4", "3500m" → cores. */
export function cpuQuantity(text: string | undefined): number {
  if (!text) return 0;
  return text.endsWith('m') ? Number(text.slice(0, -1)) / 1000 : Number(text);
}

export function toClusterNode(n: V1Node): ClusterNode {
  return {
    name: n.metadata?.name ?? '',
    kernel: n.status?.nodeInfo?.kernelVersion ?? '',
    allocatableCpus: cpuQuantity(n.status?.allocatable?.cpu),
  };
}

export function toClusterVmi(v: VmiObject): ClusterVmi {
  const cpu = v.spec?.domain?.cpu ?? {};
  return {
    namespace: v.metadata?.namespace ?? 'default',
    name: v.metadata?.name ?? '',
    nodeName: v.status?.nodeName ?? null,
    // KubeVirt's default topology is one socket, one core, one thread.
    vcpus: (cpu.cores ?? 1) * (cpu.sockets ?? 1) * (cpu.threads ?? 1),
    dedicatedCpus: cpu.dedicatedCpuPlacement === true,
  };
}

/**
 * Watches Nodes and VMIs (list, then watch, relisting on errors: client-node's informer) and keeps
 * the newest of each. KubeVirt not being installed is not an error: VMIs stay empty, and said so.
 */
export class ClusterWatch {
  private readonly stops: (() => Promise<void>)[] = [];
  /** Relists under way: an informer's start() ignores a stop() made while it lists. */
  private readonly restarting = new Set<Promise<void>>();
  private stopped = false;
  vmisAvailable = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly log: Log = () => undefined,
  ) {}

  private nodeCache: { list(): readonly V1Node[] } | null = null;
  private vmiCache: { list(): readonly VmiObject[] } | null = null;

  async start(): Promise<void> {
    const core = this.kc.makeApiClient(CoreV1Api);
    const nodes = makeInformer<V1Node>(this.kc, '/api/v1/nodes', () => core.listNode());
    nodes.on('error', (err) => this.relist('node', nodes, err));
    await nodes.start();
    this.nodeCache = nodes;
    this.stops.push(() => nodes.stop());
    const custom = this.kc.makeApiClient(CustomObjectsApi);
    const listVmis = () =>
      custom.listClusterCustomObject({
        group: 'kubevirt.io',
        version: 'v1',
        plural: 'virtualmachineinstances',
      });
    try {
      await listVmis();
    } catch (err) {
      this.log(`kubernetes: no VirtualMachineInstances (is KubeVirt installed?): ${(err as Error).message}`);
      return;
    }
    const vmis = makeInformer<VmiObject>(this.kc, '/apis/kubevirt.io/v1/virtualmachineinstances', listVmis);
    vmis.on('error', (err) => this.relist('VMI', vmis, err));
    await vmis.start();
    this.vmiCache = vmis;
    this.vmisAvailable = true;
    this.stops.push(() => vmis.stop());
  }

  /** A watch that failed (API server restart, expired resourceVersion) lists and watches again. */
  private relist(what: string, informer: { start(): Promise<void> }, err: unknown): void {
    if (this.stopped) return;
    this.log(`kubernetes: ${what} watch: ${String(err)}; relisting in 5 s`, 'warn');
    setTimeout(() => {
      if (this.stopped) return;
      const restart = informer.start().catch((e: Error) => this.relist(what, informer, e));
      this.restarting.add(restart);
      void restart.finally(() => this.restarting.delete(restart));
    }, 5_000).unref();
  }

  nodes(): ClusterNode[] {
    return (this.nodeCache?.list() ?? []).map(toClusterNode).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A Node's allocatable CPUs, when the watch has seen it and it reports some. */
  allocatableCpusOf(name: string): number | undefined {
    const node = this.nodeCache?.list().find((n) => n.metadata?.name === name);
    const cpus = node ? toClusterNode(node).allocatableCpus : 0;
    return cpus > 0 ? cpus : undefined;
  }

  vmisOn(node: string): ClusterVmi[] {
    return this.vmis().filter((v) => v.nodeName === node);
  }

  vmis(): ClusterVmi[] {
    return (this.vmiCache?.list() ?? [])
      .map(toClusterVmi)
      .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const stop of this.stops) await stop();
    // client-node 1.x ListWatch.doneHandler does not look at `stopped` after its list returns: a
    // relist in flight at stop() still opens its watch. Wait for it, then stop again to abort that.
    if (this.restarting.size === 0) return;
    await Promise.all(this.restarting);
    for (const stop of this.stops) await stop();
  }
}
