// How the CLI was started: as `habitwatch`, or as the kubectl plugin (`kubectl
// habitwatch`, bin/kubectl-habitwatch.js), which reaches agents through the kubeconfig.
export const mode = { plugin: false };
