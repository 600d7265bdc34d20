import type { VmSpec } from '../scenario';

/**
 * The cgroup a KubeVirt VM's virt-launcher pod gets on its node, as the kubelet sets it up:
 * kubepods → QoS slice (Guaranteed pods directly under kubepods) → pod, the vCPU threads and
 * QEMU's own threads all in the pod's `compute` container.
 *
 * The model keeps one level per pod under the root (GroupScheduler), weighted as the kubelet
 * weighs the pod. The QoS slices between are left out: while every pod is busy each pod gets the
 * same share either way (a slice's weight is the sum of its pods' requests); when some burstable
 * pods idle, the kernel gives their share to the other burstable pods first, the model to all.
 */
export interface PodCgroup {
  qos: 'guaranteed' | 'burstable' | 'besteffort';
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
  if (qos === 'besteffort') return { qos, weight: sharesToCpuWeight(2), limit: undefined };
  if (qos === 'guaranteed') {
    // isolateEmulatorThread: KubeVirt asks for one more dedicated CPU, the emulator's.
    const cpus = request ?? limit ?? spec.vcpus + (spec.isolateEmulatorThread ? 1 : 0);
    return { qos, weight: sharesToCpuWeight(milliCpuToShares(cpus * 1000)), limit: cpus };
  }
  const cpus = request ?? spec.vcpus / CPU_ALLOCATION_RATIO;
  return { qos, weight: sharesToCpuWeight(milliCpuToShares(Math.round(cpus * 1000))), limit };
}
