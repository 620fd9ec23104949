import {
  Metadata,
  Server,
  ServerCredentials,
  status,
  type ServerUnaryCall,
  type sendUnaryData,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import type { Refusal } from '../app/access.js';
import { exportResponseProtobuf } from './otlp-responses.js';
import { admitterOf, type PipelineSource, type RunningServer } from './otlp-http.js';
import type { IngestPipeline } from './pipeline.js';

/**
 * `opentelemetry.proto.collector.trace.v1.TraceService` with raw-bytes (de)serializers: grpc-js
 * handles framing and gzip, and the request bytes go straight to Tributary's own decoder, so no
 * generic protobuf library sits on the hot path.
 */
const traceServiceDefinition: ServiceDefinition = {
  Export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: Uint8Array) => Buffer.from(value),
    requestDeserialize: (bytes: Buffer) => bytes,
    responseSerialize: (value: Uint8Array) => Buffer.from(value),
    responseDeserialize: (bytes: Buffer) => bytes,
  },
};

export type OtlpGrpcOptions = PipelineSource & {
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  /** Connections idle this long are closed (grpc `max_connection_idle_ms`); none when absent. */
  readonly idleTimeoutMs?: number;
};

/** Token and tenant refusals: UNAUTHENTICATED, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE. */
const REFUSAL_STATUS: Readonly<Record<Refusal['kind'], status>> = {
  'unauthenticated': status.UNAUTHENTICATED,
  'invalid-tenant': status.INVALID_ARGUMENT,
  'tenant-limit': status.RESOURCE_EXHAUSTED,
  'unavailable': status.UNAVAILABLE,
};

function metadataText(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

/**
 * OTLP/gRPC receiver. Codes per the OTLP spec: OK (with partial success), INVALID_ARGUMENT for
 * undecodable data, RESOURCE_EXHAUSTED when the ingest queue is full and UNAVAILABLE when the
 * store cannot commit (both retryable, with a `grpc-retry-pushback-ms` hint, and
 * `google.rpc.RetryInfo` semantics left to the client's backoff).
 */
export async function startOtlpGrpcReceiver(options: OtlpGrpcOptions): Promise<RunningServer> {
  const admit = admitterOf(options);
  const server = new Server({
    'grpc.max_receive_message_length': options.maxBodyBytes,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
    ...(options.idleTimeoutMs !== undefined ? { 'grpc.max_connection_idle_ms': options.idleTimeoutMs } : {}),
  });
  server.addService(traceServiceDefinition, {
    Export: (call: ServerUnaryCall<Buffer, Uint8Array>, callback: sendUnaryData<Uint8Array>) => {
      admit({ authorization: metadataText(call.metadata, 'authorization'), tenant: metadataText(call.metadata, 'x-scope-orgid') }).then(
        (admission) => {
          if (!admission.ok) return callback({ code: REFUSAL_STATUS[admission.refusal.kind], details: admission.refusal.message });
          return exportTo(admission.value, call.request, callback);
        },
        (error: unknown) => callback({ code: status.INTERNAL, details: error instanceof Error ? error.message : String(error) }),
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${formatHost(options.host)}:${options.port}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), 5_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/** One admitted export: the pipeline's outcome as a gRPC status (OTLP spec). */
function exportTo(pipeline: IngestPipeline, request: Buffer, callback: sendUnaryData<Uint8Array>): void {
  pipeline.ingestProtobuf(request, 'grpc').then(
    (outcome) => {
      switch (outcome.kind) {
        case 'accepted':
          return callback(null, exportResponseProtobuf(
            outcome.rejectedSpans > 0 ? { rejectedSpans: outcome.rejectedSpans, errorMessage: outcome.rejectionMessage } : undefined,
          ));
        case 'invalid':
          return callback({ code: status.INVALID_ARGUMENT, details: outcome.message });
        case 'retryable': {
          const metadata = new Metadata();
          metadata.set('grpc-retry-pushback-ms', String(outcome.retryAfterMs));
          return callback({
            code: outcome.overloaded ? status.RESOURCE_EXHAUSTED : status.UNAVAILABLE,
            details: outcome.message,
            metadata,
          });
        }
      }
    },
    (error: unknown) => callback({ code: status.INTERNAL, details: error instanceof Error ? error.message : String(error) }),
  );
}

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
