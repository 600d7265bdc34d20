import { KubeConfig } from '@kubernetes/client-node';

/**
 * The cluster to talk to: the kubeconfig at `SPINWISE_KUBECONFIG`, or the pod's service account
 * inside a cluster; null outside one (Kubernetes integration off).
 */
export function loadKubeConfig(env: NodeJS.ProcessEnv = process.env): KubeConfig | null {
  const kc = new KubeConfig();
  if (env.SPINWISE_KUBECONFIG) {
    kc.loadFromFile(env.SPINWISE_KUBECONFIG);
    return kc;
  }
  if (env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
    return kc;
  }
  return null;
}
