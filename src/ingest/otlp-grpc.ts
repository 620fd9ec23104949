import {
  Metadata,
  Server,
  ServerCredentials,
  status,
  type ServerUnaryCall,
  type sendUnaryData,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { exportResponseProtobuf } from './otlp-responses.js';
import type { IngestPipeline } from './pipeline.js';
import type { RunningServer } from './otlp-http.js';

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

export interface OtlpGrpcOptions {
  readonly host: string;
  readonly port: number;
  readonly pipeline: IngestPipeline;
  readonly maxBodyBytes: number;
}

/**
 * OTLP/gRPC receiver. Codes per the OTLP spec: OK (with partial success), INVALID_ARGUMENT for
 * undecodable data, RESOURCE_EXHAUSTED when the ingest queue is full and UNAVAILABLE when the
 * store cannot commit (both retryable, with a `grpc-retry-pushback-ms` hint, and
 * `google.rpc.RetryInfo` semantics left to the client's backoff).
 */
export async function startOtlpGrpcReceiver(options: OtlpGrpcOptions): Promise<RunningServer> {
  const server = new Server({
    'grpc.max_receive_message_length': options.maxBodyBytes,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
  });
  server.addService(traceServiceDefinition, {
    Export: (call: ServerUnaryCall<Buffer, Uint8Array>, callback: sendUnaryData<Uint8Array>) => {
      options.pipeline.ingestProtobuf(call.request, 'grpc').then(
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

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
