import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';

export type EventTarget =
  { kind: 'Node'; name: string } | { kind: 'VirtualMachineInstance'; namespace: string; name: string };

/** The annotation on a Node that carries spinwise's current top recommendation (JSON). */
export const RECOMMENDATION_ANNOTATION = 'spinwise.io/recommendation';

/** What spinwise writes to the cluster: Events, a node annotation, and (opted in) VMI migrations. */
export class ClusterWriter {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(
    kc: KubeConfig,
    private readonly reportingInstance: string,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  /** A core/v1 Event on the object; a Node's go to "default", as the kubelet's do. */
  async event(
    target: EventTarget,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    nowMs = Date.now(),
  ): Promise<void> {
    const namespace = target.kind === 'Node' ? 'default' : target.namespace;
    const at = new Date(nowMs);
    await this.core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { generateName: 'spinwise-', namespace },
        involvedObject:
          target.kind === 'Node'
            ? { apiVersion: 'v1', kind: 'Node', name: target.name }
            : { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', namespace, name: target.name },
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component: 'spinwise-advisor' },
        reportingComponent: 'spinwise.io/advisor',
        reportingInstance: this.reportingInstance,
        firstTimestamp: at,
        lastTimestamp: at,
        count: 1,
      },
    });
  }

  /** Sets (or, with null, removes) the node's recommendation annotation with a JSON merge patch. */
  async annotateNode(name: string, value: string | null): Promise<void> {
    await this.core.patchNode(
      { name, body: { metadata: { annotations: { [RECOMMENDATION_ANNOTATION]: value } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  /** The VirtualMachineInstanceMigration that live-migrates a VMI (KubeVirt picks the target node). */
  static migration(namespace: string, vmi: string): object {
    return {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstanceMigration',
      metadata: {
        generateName: `spinwise-${vmi}-`.slice(0, 58),
        namespace,
        labels: { 'app.kubernetes.io/managed-by': 'spinwise' },
      },
      spec: { vmiName: vmi },
    };
  }

  async createMigration(namespace: string, vmi: string): Promise<void> {
    await this.custom.createNamespacedCustomObject({
      group: 'kubevirt.io',
      version: 'v1',
      namespace,
      plural: 'virtualmachineinstancemigrations',
      body: ClusterWriter.migration(namespace, vmi),
    });
  }
}
