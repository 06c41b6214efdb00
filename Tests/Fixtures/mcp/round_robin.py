"""A trivial load balancer for keyway's tests: each HTTP request goes to the next backend
in turn (no stickiness), with its headers and body; the answer comes back as it is.

Usage: round_robin.py PORT_FILE BACKEND_URL... — listens on a free loopback port, which
it writes to PORT_FILE; each forwarded request is logged to stdout as "N METHOD PATH".
"""
import http.client
import itertools
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

backends = [urllib.parse.urlsplit(url) for url in sys.argv[2:]]
turns = itertools.count()
lock = threading.Lock()
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection", "host", "content-length"}


class Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self):
        with lock:
            n = next(turns) % len(backends)
        backend = backends[n]
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        connection = http.client.HTTPConnection(backend.hostname, backend.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        headers["Host"] = f"{backend.hostname}:{backend.port}"
        connection.request(self.command, self.path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        self.send_response(response.status)
        for k, v in response.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        print(f"{n} {self.command} {self.path}", flush=True)

    do_GET = do_POST = do_DELETE = forward

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
