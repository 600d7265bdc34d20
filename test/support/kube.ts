import { KubeConfig } from '@kubernetes/client-node';
import { kubeconfigText, type KubeState } from '../../deploy/dev/kube';
import { readState } from '../../deploy/dev/services';
import { servicesStateFile } from './services';

/** The control plane `npm test` started for the Kubernetes tests. */
export function testKube(): KubeState {
  const kube = readState(servicesStateFile()).kube;
  if (!kube) throw new Error('no control plane: run the Kubernetes tests with `npm test -- kubernetes`');
  return kube;
}

/** A client as `user` with `token` (default: the admin, system:masters). */
export function kubeConfigAs(token?: string, user = 'admin'): KubeConfig {
  const state = testKube();
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigText(state, user, token ?? state.token));
  return kc;
}
