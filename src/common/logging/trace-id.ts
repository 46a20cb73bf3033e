/**
 * The trace id of a request, for its access-log line. Tracing (src/common/tracing) installs the reader when it
 * starts; without it there is no reader, and the access log adds nothing (no field, no lookup).
 */
type TraceIdReader = (request: object) => string | undefined;

let reader: TraceIdReader | undefined;

export function setTraceIdReader(read: TraceIdReader | undefined): void {
  reader = read;
}

/** The request's trace id, or undefined when tracing is off (or the request is not traced). */
export function traceIdOf(request: object): string | undefined {
  return reader === undefined ? undefined : reader(request);
}
