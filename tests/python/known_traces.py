"""Sends traces with known properties through the OpenTelemetry Python SDK (an independent
OTLP implementation) and prints {"name": "trace id hex"} as JSON.

usage: known_traces.py ENDPOINT grpc|http|json
  grpc: ENDPOINT is host:port of OTLP/gRPC; http (protobuf) and json (the OTLP/JSON encoding,
  through the SDK's own JSON exporter): the base URL of OTLP/HTTP.
"""
import json
import sys
import time

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

endpoint, protocol = sys.argv[1], sys.argv[2]
if protocol == "grpc":
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    exporter = OTLPSpanExporter(endpoint=endpoint, insecure=True)
elif protocol == "http":
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
elif protocol == "json":
    from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter
    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
else:
    sys.exit(f"unknown protocol {protocol!r}: grpc, http or json")

provider = TracerProvider(resource=Resource.create({"service.name": "shop"}))
provider.add_span_processor(SimpleSpanProcessor(exporter))
tracer = provider.get_tracer("known-traces")
now = time.time_ns()
ms = 1_000_000
ids = {}


def trace(name, duration_ms=5, error=False, attributes=None):
    root = tracer.start_span(f"GET /{name}", kind=SpanKind.SERVER, start_time=now,
                             attributes=attributes or {})
    ctx = __import__("opentelemetry.trace", fromlist=["set_span_in_context"]).set_span_in_context(root)
    child = tracer.start_span("db query", context=ctx, kind=SpanKind.CLIENT, start_time=now + ms)
    if error:
        child.set_status(Status(StatusCode.ERROR, "connection reset"))
    child.end(end_time=now + 2 * ms)
    root.end(end_time=now + duration_ms * ms)
    ids[name] = format(root.get_span_context().trace_id, "032x")


trace("failing", error=True)
trace("slow", duration_ms=900)
trace("vip", attributes={"customer.tier": "vip"})
trace("plain")
trace("plain-too")
provider.shutdown()
print(json.dumps(ids))
