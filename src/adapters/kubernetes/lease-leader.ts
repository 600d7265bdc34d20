import type { Log } from '../log/log';
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';

export interface LeaseOptions {
  namespace: string;
  name?: string;
  /** This replica's identity (the pod name). */
  identity: string;
  leaseDurationSeconds?: number;
  renewEveryMs?: number;
  now?: () => number;
  log?: Log;
}

/**
 * Leader election with a coordination.k8s.io/v1 Lease, as client-go's leaderelection does: take
 * the lease if it is free or expired, renew it while leading, and rely on resourceVersion for
 * optimistic concurrency (two replicas never both win an update).
 */
/**
 * A Lease's times are MicroTime: the API server parses exactly six fractional digits and answers
 * 400 to JavaScript's three (`…:05.092Z`). client-node passes a value of its unmapped V1MicroTime
 * type through untouched, so the string goes out as written. (A stand-in API server accepted the
 * three digits; the real one is what found this.)
 */
export function microTime(ms: number): Date {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') as unknown as Date;
}

export class LeaseLeader {
  private readonly api: CoordinationV1Api;
  private timer: NodeJS.Timeout | null = null;
  private leading = false;
  private stopped = false;
  /** The renewal in flight, if any: one at a time, and stop() waits for it. */
  private attempt: Promise<boolean> | null = null;
  private readonly name: string;

  constructor(
    kc: KubeConfig,
    private readonly options: LeaseOptions,
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
    this.name = options.name ?? 'spinwise-planner';
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.tryAcquireOrRenew();
    this.timer = setInterval(() => {
      this.attempt ??= this.tryAcquireOrRenew().finally(() => (this.attempt = null));
    }, this.options.renewEveryMs ?? 2_000);
  }

  isLeader(): boolean {
    return this.leading;
  }

  private nowMs(): number {
    return (this.options.now ?? Date.now)();
  }

  async tryAcquireOrRenew(): Promise<boolean> {
    if (this.stopped) return (this.leading = false);
    const { namespace, identity } = this.options;
    const duration = this.options.leaseDurationSeconds ?? 15;
    const spec = (lease?: V1Lease) => ({
      holderIdentity: identity,
      leaseDurationSeconds: duration,
      acquireTime:
        lease?.spec?.holderIdentity === identity ? lease.spec.acquireTime : microTime(this.nowMs()),
      renewTime: microTime(this.nowMs()),
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
      const expired = renewed + (lease.spec?.leaseDurationSeconds ?? duration) * 1000 < this.nowMs();
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
        this.options.log?.(`kubernetes: lease: ${(err as Error).message}`, 'warn');
      return (this.leading = false);
    }
  }

  /**
   * Stops renewing and, when leading, releases the Lease (no holder, as client-go's
   * ReleaseOnCancel does), so another replica takes over at its next try instead of after expiry.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // A renewal in flight would otherwise land after the release and hold the Lease again.
    await this.attempt;
    if (!this.leading) return;
    this.leading = false;
    const { namespace, identity } = this.options;
    try {
      const lease = await this.api.readNamespacedLease({ name: this.name, namespace });
      if (lease.spec?.holderIdentity !== identity) return;
      await this.api.replaceNamespacedLease({
        name: this.name,
        namespace,
        body: {
          metadata: lease.metadata,
          spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 },
        },
      });
    } catch (err) {
      this.options.log?.(`kubernetes: lease release: ${(err as Error).message}`, 'warn');
    }
  }
}
