import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';

export interface LeaseOptions {
  namespace: string;
  name?: string;
  /** This replica's identity (the pod name). */
  identity: string;
  leaseDurationSeconds?: number;
  renewEveryMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

/**
 * Leader election with a coordination.k8s.io/v1 Lease, as client-go's leaderelection does: take
 * the lease if it is free or expired, renew it while leading, and rely on resourceVersion for
 * optimistic concurrency (two replicas never both win an update).
 */
export class LeaseLeader {
  private readonly api: CoordinationV1Api;
  private timer: NodeJS.Timeout | null = null;
  private leading = false;
  private readonly name: string;

  constructor(
    kc: KubeConfig,
    private readonly options: LeaseOptions,
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
    this.name = options.name ?? 'spinwise-planner';
  }

  async start(): Promise<void> {
    await this.tryAcquireOrRenew();
    this.timer = setInterval(() => void this.tryAcquireOrRenew(), this.options.renewEveryMs ?? 2_000);
  }

  isLeader(): boolean {
    return this.leading;
  }

  private now(): Date {
    return new Date((this.options.now ?? Date.now)());
  }

  async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, identity } = this.options;
    const duration = this.options.leaseDurationSeconds ?? 15;
    const spec = (lease?: V1Lease) => ({
      holderIdentity: identity,
      leaseDurationSeconds: duration,
      acquireTime: lease?.spec?.holderIdentity === identity ? lease.spec.acquireTime : this.now(),
      renewTime: this.now(),
      leaseTransitions:
        (lease?.spec?.leaseTransitions ?? 0) + (lease?.spec?.holderIdentity === identity || !lease ? 0 : 1),
    });
    try {
      let lease: V1Lease | undefined;
      try {
        lease = await this.api.readNamespacedLease({ name: this.name, namespace });
      } catch (err) {
        if ((err as { code?: number }).code !== 404) throw err;
      }
      if (!lease) {
        await this.api.createNamespacedLease({
          namespace,
          body: { metadata: { name: this.name, namespace }, spec: spec() },
        });
        return (this.leading = true);
      }
      const holder = lease.spec?.holderIdentity;
      const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : 0;
      const expired = renewed + (lease.spec?.leaseDurationSeconds ?? duration) * 1000 < this.now().getTime();
      if (holder && holder !== identity && !expired) return (this.leading = false);
      await this.api.replaceNamespacedLease({
        name: this.name,
        namespace,
        body: { metadata: lease.metadata, spec: spec(lease) },
      });
      return (this.leading = true);
    } catch (err) {
      // A conflict means another replica won the update; any failure means we cannot be sure we lead.
      if ((err as { code?: number }).code !== 409)
        this.options.log?.(`kubernetes: lease: ${(err as Error).message}`);
      return (this.leading = false);
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.leading = false;
  }
}
