import type { BusMessage } from '../../adapters/bus/message-bus';
import type { NodeSample } from '../../telemetry';

export interface AdmissionLimits {
  /** Samples older than this (the samples topic's retention) are refused. */
  maxSampleAgeMs: number;
  /** Samples ahead of this replica's clock by more than this are refused. */
  maxClockSkewMs: number;
  /** Most nodes tracked at once, waiting ones included. */
  maxNodes: number;
}

/** Most samples one node without an inventory may park (an hour of 10 s samples). */
export const MAX_ORPHAN_SAMPLES = 360;

export type Admission =
  | { kind: 'admit' }
  /** Parked until the node's inventory arrives (holding the commit). */
  | { kind: 'park' }
  | { kind: 'refuse'; cause: 'clock' | 'nodeCap' | 'noInventory'; reason: string };

export interface Parked {
  sample: NodeSample;
  message: BusMessage;
}

/** Samples of a node whose inventory has not arrived: they hold the commit, in arrival order. */
interface Orphans {
  sinceWallMs: number;
  items: Parked[];
  adopting: boolean;
}

/**
 * What may enter a node's window: refuses what would mislead it (a timestamp out of bounds, one
 * node too many) and parks the samples of a node without inventory until it arrives (or the wait
 * ends). A node's state exists only with its inventory.
 */
export class SampleAdmission {
  /** Every node admitted and not forgotten (tracked or waiting): what `maxNodes` caps. */
  private readonly known = new Set<string>();
  private readonly orphans = new Map<string, Orphans>();

  constructor(private readonly limits: AdmissionLimits) {}

  decide(sample: NodeSample, message: BusMessage, nowMs: number, hasInventory: boolean): Admission {
    const ageMs = nowMs - sample.timestampMs;
    if (ageMs > this.limits.maxSampleAgeMs || -ageMs > this.limits.maxClockSkewMs)
      return {
        kind: 'refuse',
        cause: 'clock',
        reason: `timestampMs: ${new Date(sample.timestampMs).toISOString()} is outside what this advisor accepts (${ageMs > 0 ? 'older than the samples retention' : 'ahead of its clock by more than the allowed skew'}; its clock: ${new Date(nowMs).toISOString()})`,
      };
    const node = sample.node;
    // Counted synchronously: samples of several partitions are admitted concurrently.
    if (!this.known.has(node) && this.known.size >= this.limits.maxNodes)
      return {
        kind: 'refuse',
        cause: 'nodeCap',
        reason: `node: ${node} is beyond the ${this.limits.maxNodes} nodes this advisor tracks`,
      };
    this.known.add(node);
    const parked = this.orphans.get(node);
    // While parked ones are taken in, later ones queue behind them, in order.
    if (!parked && hasInventory) return { kind: 'admit' };
    const o = parked ?? { sinceWallMs: nowMs, items: [], adopting: false };
    if (o.items.length >= MAX_ORPHAN_SAMPLES)
      return {
        kind: 'refuse',
        cause: 'noInventory',
        reason: `node: ${node} has no inventory and ${MAX_ORPHAN_SAMPLES} samples wait already`,
      };
    o.items.push({ sample, message });
    this.orphans.set(node, o);
    return { kind: 'park' };
  }

  /**
   * The node's inventory is here: its parked samples go in, in order (each stays parked, holding
   * the commit, until `ingest` is done with it; arrivals meanwhile queue behind), then the next
   * ones are admitted directly.
   */
  async adopt(node: string, ingest: (p: Parked) => Promise<void>): Promise<void> {
    const o = this.orphans.get(node);
    if (!o || o.adopting) return;
    o.adopting = true;
    while (o.items.length > 0) {
      await ingest(o.items[0]!);
      o.items.shift();
    }
    this.orphans.delete(node);
  }

  /** Nodes whose parked samples waited longer than `waitMs` for an inventory, with those samples. */
  expired(nowMs: number, waitMs: number): { node: string; items: Parked[] }[] {
    return [...this.orphans]
      .filter(([, o]) => !o.adopting && nowMs - o.sinceWallMs > waitMs)
      .map(([node, o]) => ({ node, items: o.items }));
  }

  /** Waiting nodes none of whose parked samples is of an owned partition. */
  revoked(owned: ReadonlySet<number>): string[] {
    return [...this.orphans]
      .filter(([, o]) => !o.adopting && !o.items.some((x) => owned.has(x.message.partition)))
      .map(([node]) => node);
  }

  /** Every parked message: none may be committed past. */
  parkedOffsets(): { partition: number; offset: bigint }[] {
    return [...this.orphans.values()].flatMap((o) =>
      o.items.map(({ message }) => ({ partition: message.partition, offset: BigInt(message.offset) })),
    );
  }

  waiting(): { node: string; samples: number }[] {
    return [...this.orphans].map(([node, o]) => ({ node, samples: o.items.length }));
  }

  forget(node: string): void {
    this.orphans.delete(node);
    this.known.delete(node);
  }
}
