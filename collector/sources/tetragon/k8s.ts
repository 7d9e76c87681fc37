// The Kubernetes name helpers live with the enrichment that owns workload identity;
// Tetragon and Falco, which carry pod metadata themselves, use the same ones.
export { imageDigest, inferWorkload, parseContainerUri, podWorkload } from '../../enrich/kube/names.ts';
