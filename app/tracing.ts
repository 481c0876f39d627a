import { z } from 'zod';

/**
 * OpenTelemetry tracing, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. Imported first by the
 * entry points: the instrumentations patch http, pg and ioredis as they are loaded, so they must be
 * in place before anything requires them. Spans run from the webhook (the HTTP server span) through
 * the dialog turn to every SQL statement and Redis command, and go out over OTLP/HTTP.
 *
 * What a span may carry is narrowed on purpose: Sequelize writes its replacements into the SQL
 * text, so a statement would carry phone numbers and names; spans carry the operation and the
 * table instead. Redis commands carry their name only (the values are conversation state).
 */
const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();

export const tracingEnabled = Boolean(endpoint);
let flushOnExit: (() => Promise<void>) | null = null;

/** Sends what spans are still batched (the entry points call it on their way out). */
export async function flushTracing(): Promise<void> {
  await flushOnExit?.();
}

if (endpoint) {
  const parsed = z.url({ protocol: /^https?$/ }).safeParse(endpoint);
  if (!parsed.success) {
    console.error(`clinic concierge could not start: OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL (an OTLP/HTTP collector), got something else`);
    process.exit(1);
  }
  startTracing();
}

/** "SELECT appointments", "INSERT outbox": what a statement did and to what, never its values. */
export function summariseSql(sql: string): string {
  let text = sql.replace(/--[^\n]*(\n|$)/g, ' ').trim();
  // A pipelined batch (src/db/pipelined-transaction.ts) is named by its first statement after BEGIN,
  // and a statement it prepared by the label in its name: "EXECUTE cc_tx_book_…" is "EXECUTE book".
  text = text.replace(/^BEGIN\s*;\s*/i, '');
  const prepared = /^EXECUTE\s+cc_tx_([a-z0-9_]+)_[0-9a-f]{16}\b/i.exec(text);
  if (prepared) return `EXECUTE ${prepared[1]}`;
  // A CTE is named by its first statement: "WITH a AS (INSERT INTO appointments ...)".
  if (/^WITH\b/i.test(text)) text = text.replace(/^WITH\s+(?:RECURSIVE\s+)?"?\w+"?\s+AS\s*(?:NOT\s+)?(?:MATERIALIZED\s+)?\(/i, '');
  const verb = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? 'SQL';
  const table = /\b(?:FROM|INTO|UPDATE|JOIN)\s+("?[a-z_][a-z0-9_]*"?)(?=\s|$|\(|,|;)/i.exec(text)?.[1]?.replace(/"/g, '') ?? '';
  return table ? `${verb} ${table}` : verb;
}

function startTracing(): void {
  // Required here, not imported at the top: without an endpoint none of this is loaded.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');
  /* eslint-enable @typescript-eslint/no-require-imports */

  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME || 'clinic-concierge' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  registerInstrumentations({
    instrumentations: [
      new HttpInstrumentation({
        // Only the server side of our own routes; probes and scrapes would drown the traces.
        ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|metrics)\b/.test(req.url ?? ''),
        // Twilio, Slack and Microsoft calls are spans too, without their query strings.
        requireParentforOutgoingSpans: true,
      }),
      new PgInstrumentation({
        requireParentSpan: true,
        // The statement text is replaced; the pool's own spans say nothing about anyone.
        requestHook: (span, info) => {
          const summary = summariseSql(info.query.text);
          span.updateName(`pg ${summary}`);
          span.setAttribute('db.statement', summary);
          span.setAttribute('db.query.text', summary);
        },
      }),
      new IORedisInstrumentation({
        requireParentSpan: true,
        dbStatementSerializer: (command) => command,
      }),
    ],
  });

  flushOnExit = () => provider.shutdown().catch(() => undefined);
}
