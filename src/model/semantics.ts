/**
 * The few span attributes and events the domain rules (DESIGN.md §2) read. Decoders extract them
 * while reading a span, so call derivation never has to decode a span's full attribute list.
 */
export interface SpanSemantics {
  /** `http.response.status_code` ?? `http.status_code`. */
  httpStatusCode?: number;
  /** `db.system.name` ?? `db.system`. */
  dbSystem?: string;
  /** `db.namespace` ?? `db.name`. */
  dbNamespace?: string;
  messagingSystem?: string;
  /** `messaging.destination.name`. */
  messagingDestination?: string;
  /** `peer.service` (Zipkin's `remoteEndpoint.serviceName` is mapped onto it). */
  peerService?: string;
  /** `server.address`. */
  serverAddress?: string;
  /** `net.peer.name`. */
  netPeerName?: string;
  /** `url.full` ?? `http.url`. */
  url?: string;
  /** `http.request.header.referer` (first value when it is an array). */
  referer?: string;
  /** `http.request.header.x-forwarded-for` (first value when it is an array). */
  forwardedFor?: string;
  /** `http.request.header.via` (first value when it is an array). */
  via?: string;
  /** Envoy's `upstream_cluster`. */
  upstreamCluster?: string;
  /** `component`. */
  component?: string;
  /** Browser user-interaction attributes: `event_type`, `target_element`, `target_xpath`. */
  eventType?: string;
  targetElement?: string;
  targetXpath?: string;
  /** First `exception` event: `exception.type` and `exception.message`. */
  exceptionType?: string;
  exceptionMessage?: string;
  /** `exception.stacktrace` of every `exception` event, in order. */
  stackTraces?: string[];
}

/**
 * Attribute key → the field it fills. Where two keys fill one field, the first listed wins
 * (the stable semantic-convention name before the deprecated one).
 */
export const SEMANTIC_ATTRIBUTE_KEYS: ReadonlyArray<readonly [key: string, field: keyof SpanSemantics]> = [
  ['http.response.status_code', 'httpStatusCode'],
  ['http.status_code', 'httpStatusCode'],
  ['db.system.name', 'dbSystem'],
  ['db.system', 'dbSystem'],
  ['db.namespace', 'dbNamespace'],
  ['db.name', 'dbNamespace'],
  ['messaging.system', 'messagingSystem'],
  ['messaging.destination.name', 'messagingDestination'],
  ['peer.service', 'peerService'],
  ['server.address', 'serverAddress'],
  ['net.peer.name', 'netPeerName'],
  ['url.full', 'url'],
  ['http.url', 'url'],
  ['http.request.header.referer', 'referer'],
  ['http.request.header.x-forwarded-for', 'forwardedFor'],
  ['http.request.header.via', 'via'],
  ['upstream_cluster', 'upstreamCluster'],
  ['component', 'component'],
  ['event_type', 'eventType'],
  ['target_element', 'targetElement'],
  ['target_xpath', 'targetXpath'],
];

/** Priority of each key within its field (lower wins), for decoders that see keys in any order. */
export const SEMANTIC_KEY_PRIORITY: ReadonlyMap<string, { field: keyof SpanSemantics; priority: number }> = new Map(
  SEMANTIC_ATTRIBUTE_KEYS.map(([key, field]) => [
    key,
    { field, priority: SEMANTIC_ATTRIBUTE_KEYS.filter(([, f]) => f === field).findIndex(([k]) => k === key) },
  ]),
);
