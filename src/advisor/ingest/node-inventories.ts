import type { NodeInventory } from '../../telemetry';

/**
 * Every node's newest inventory, as this replica read it from the compacted inventory topic. The
 * core writes it; the cluster planner and the Kubernetes publisher read it, so they need not
 * depend on the core.
 */
export class NodeInventories {
  private readonly byNode = new Map<string, NodeInventory>();

  get(node: string): NodeInventory | undefined {
    return this.byNode.get(node);
  }

  has(node: string): boolean {
    return this.byNode.has(node);
  }

  set(inventory: NodeInventory): void {
    this.byNode.set(inventory.node, inventory);
  }

  /** A node removed from the compacted topic (a tombstone: it left the cluster). */
  delete(node: string): void {
    this.byNode.delete(node);
  }

  nodes(): string[] {
    return [...this.byNode.keys()];
  }
}
