/** Service identity (DESIGN.md §2 "Services"). */

/** What kind of thing handles a call. `unknown` appears only as the caller of a call whose parent never arrived. */
export type ServiceKind = 'service' | 'database' | 'messaging' | 'external' | 'application';
export type CallerKind = ServiceKind | 'unknown';

export const SERVICE_KINDS: readonly ServiceKind[] = ['service', 'database', 'messaging', 'external', 'application'];

export interface KubernetesContext {
  readonly cluster: string | null;
  readonly node: string | null;
  readonly namespace: string | null;
  readonly pod: string | null;
  readonly workload: string | null;
}

/**
 * What a resource says about the service that emitted it: the normalized form of its attributes.
 * `kind` is `application` for a browser application, else `service`.
 */
export interface ServiceInfo {
  readonly kind: 'service' | 'application';
  readonly name: string;
  readonly namespace: string | null;
  readonly version: string | null;
  readonly environment: string | null;
  readonly instance: string | null;
  readonly k8s: KubernetesContext;
  /** Configured as a proxy, or emitting Envoy-style proxy spans is decided per span; this is the resource-level part. */
  readonly proxy: boolean;
  /** The resource's attributes flattened to strings, for zone rules. */
  readonly attributes: Readonly<Record<string, string>>;
}
