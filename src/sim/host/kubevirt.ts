import type { VmSpec } from '../scenario';
import type { GroupSpec } from '../sched/group-tree';

/**
 * The cgroup a KubeVirt VM's virt-launcher pod gets on its node, as the kubelet sets it up:
 * kubepods → QoS slice (Guaranteed pods directly under kubepods) → pod, the vCPU threads and
 * QEMU's own threads all in the pod's `compute` container (the container level, one cgroup
 * holding them all, adds nothing to the split and is left out).
 */
export interface PodCgroup {
  qos: 'guaranteed' | 'burstable' | 'besteffort';
  /** The pod's CPU request in milliCPU (0 for BestEffort). */
  requestMilli: number;
  /** cgroup v2 cpu.weight of the pod. */
  weight: number;
  /** cpu.max in CPUs, if the pod has a CPU limit. */
  limit: number | undefined;
}

/** KubeVirt's default cpuAllocationRatio (virtconfig.DefaultCPUAllocationRatio): a vCPU requests 1/10 CPU. */
const CPU_ALLOCATION_RATIO = 10;

/** MilliCPUToShares (kubelet, pkg/kubelet/cm/helpers_linux.go): milliCPU × 1024 / 1000, at least MinShares 2. */
export function milliCpuToShares(milliCpu: number): number {
  return Math.max(2, Math.floor((milliCpu * 1024) / 1000));
}

/**
 * cgroup v1 shares → v2 cpu.weight as the kubelet and opencontainers/cgroups convert them now
 * (ConvertCPUSharesToCgroupV2Value): a quadratic in log2(shares) that maps 2 → 1, 1024 → 100
 * and 262144 → 10000. (The earlier linear 1 + (shares − 2) · 9999 / 262142 mapped 1024 to 39.)
 */
export function sharesToCpuWeight(shares: number): number {
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  return Math.ceil(10 ** ((l * l + 125 * l) / 612 - 7 / 34));
}

/**
 * The pod's QoS class (given, else from the request and limit as Kubernetes classes them) and
 * cgroup: a Guaranteed pod's request is its limit (the vCPUs, plus the emulator's CPU with
 * isolateEmulatorThread, unless given); a Burstable one's is
 * given or KubeVirt's vCPUs / cpuAllocationRatio; a BestEffort pod has the minimum shares.
 */
export function kubevirtPod(spec: VmSpec): PodCgroup {
  const request = spec.cpu?.request;
  const limit = spec.cpu?.limit;
  const qos =
    spec.qos ??
    (request !== undefined && limit !== undefined && request === limit ? 'guaranteed' : 'burstable');
  if (qos === 'besteffort') return { qos, requestMilli: 0, weight: sharesToCpuWeight(2), limit: undefined };
  if (qos === 'guaranteed') {
    // isolateEmulatorThread: KubeVirt asks for one more dedicated CPU, the emulator's.
    const cpus = request ?? limit ?? spec.vcpus + (spec.isolateEmulatorThread ? 1 : 0);
    const requestMilli = cpus * 1000;
    return { qos, requestMilli, weight: sharesToCpuWeight(milliCpuToShares(requestMilli)), limit: cpus };
  }
  const requestMilli = Math.round((request ?? spec.vcpus / CPU_ALLOCATION_RATIO) * 1000);
  return { qos, requestMilli, weight: sharesToCpuWeight(milliCpuToShares(requestMilli)), limit };
}

/**
 * The node's cgroup tree over the pods (in the order given, groups 0 … n − 1), as the kubelet
 * builds and weighs it, with cpu.shares turned into cpu.weight as above:
 * - kubepods (the node-allocatable cgroup, node_container_manager_linux.go): MilliCPUToShares of
 *   the allocatable CPU — taken as every pCPU (no system or kube reservation);
 * - kubepods-burstable: MilliCPUToShares of the sum of the Burstable pods' requests, and
 *   kubepods-besteffort: MinShares, 2 (setCPUCgroupConfig, qos_container_manager_linux.go);
 * - Guaranteed pods directly under kubepods, the others in their QoS slice.
 * So a Burstable pod that idles leaves its share to the other Burstable pods first (the slice
 * keeps its weight), and BestEffort pods share one minimal weight between them.
 */
export function kubevirtTree(pods: readonly PodCgroup[], pcpus: number): GroupSpec[] {
  const kubepods = pods.length;
  const burstable = kubepods + 1;
  const besteffort = kubepods + 2;
  const parentOf = { guaranteed: kubepods, burstable, besteffort };
  const burstableMilli = pods.reduce((sum, p) => sum + (p.qos === 'burstable' ? p.requestMilli : 0), 0);
  return [
    ...pods.map((p) => ({ weight: p.weight, parent: parentOf[p.qos] })),
    { weight: sharesToCpuWeight(milliCpuToShares(pcpus * 1000)), parent: -1 },
    { weight: sharesToCpuWeight(milliCpuToShares(burstableMilli)), parent: kubepods },
    { weight: sharesToCpuWeight(2), parent: kubepods },
  ];
}
