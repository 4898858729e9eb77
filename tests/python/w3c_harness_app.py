"""A plain header-copying application for the W3C trace-context test suite (Python stdlib only).

It speaks the suite's service protocol: a POST carries a JSON list of {"url", "arguments"}; for
each entry the app POSTs `arguments` as JSON to `url`, copying the `traceparent` and
`tracestate` header lines of the request it serves, exactly as received, one line each. It does
no tracing of its own: its calls go through the sidecar's outbound listener (explicit mode, the
destination in `Host`), so the sidecar in front of it does all the propagation, as in a mesh.

usage: w3c_harness_app.py --listen HOST:PORT --outbound HOST:PORT
  Prints "app http listening on HOST:PORT" once it accepts connections (PORT 0 picks one).
"""
import argparse
import http.client
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

COPIED_HEADERS = ("traceparent", "tracestate")
CALL_TIMEOUT_S = 10


def host_port(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    outbound = ("127.0.0.1", 15001)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            actions = json.loads(raw or b"null")
        except ValueError as err:
            return self.answer(400, {"error": f"body is not JSON: {err}"})
        if actions is None:
            actions = []
        if not isinstance(actions, list):
            actions = [actions]
        results = []
        for action in actions:
            try:
                results.append(self.call(action))
            except (OSError, http.client.HTTPException, KeyError, TypeError) as err:
                results.append({"url": str(action), "error": f"{type(err).__name__}: {err}"})
        failed = any("error" in r for r in results)
        self.answer(502 if failed else 200, results)

    def call(self, action):
        """POSTs action["arguments"] to action["url"] through the sidecar's outbound listener."""
        url = urlsplit(action["url"])
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        body = json.dumps(action.get("arguments") or []).encode()
        conn = http.client.HTTPConnection(*self.outbound, timeout=CALL_TIMEOUT_S)
        try:
            conn.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", url.netloc)
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Content-Length", str(len(body)))
            for name in COPIED_HEADERS:
                for value in self.headers.get_all(name) or []:
                    conn.putheader(name, value)
            conn.endheaders(body)
            response = conn.getresponse()
            response.read()
            return {"url": action["url"], "status": response.status}
        finally:
            conn.close()

    def answer(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        sys.stderr.write("app: " + (format % args) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:0", type=host_port)
    parser.add_argument("--outbound", required=True, type=host_port,
                        help="the sidecar's outbound listener")
    args = parser.parse_args()
    Handler.outbound = args.outbound
    server = ThreadingHTTPServer(args.listen, Handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    print(f"app http listening on {host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
