#!/usr/bin/env python3
"""Sits between kube-apiserver and PolicyServer in the cluster suite and keeps every AdmissionReview.

usage: recorder.py PORT UPSTREAM CERT KEY CA OUT_DIR API_SERVER CLIENT_CERT CLIENT_KEY

Serves TLS on 127.0.0.1:PORT, forwards each POST unchanged to UPSTREAM (PolicyServer, verified with CA), answers
with PolicyServer's answer, and writes OUT_DIR/NNNN.json: {"path", "review" (what the API server sent),
"response" (what PolicyServer answered), "millis", "cluster"}. "cluster" is what the policy's lookups could read
at that moment (kind → objects, read from API_SERVER as the admin before forwarding), so that the wasmtime suite
replays each review against the cluster it met. Those files are e2e-tests/fixtures/cluster/recorded.
Standard library only.
"""
import http.server
import json
import os
import ssl
import sys
import threading
import time
import urllib.request

port, upstream, cert, key, ca, out, api_server, client_cert, client_key = sys.argv[1:10]
# RECORDER_SNAPSHOTS=0: no cluster snapshot per review (load measurements, where it would cost more than the
# review itself).
SNAPSHOTS = os.environ.get("RECORDER_SNAPSHOTS", "1") != "0"
counter = iter(range(1, 1 << 30))
lock = threading.Lock()
upstream_tls = ssl.create_default_context(cafile=ca)
admin_tls = ssl.create_default_context(cafile=ca)
admin_tls.load_cert_chain(client_cert, client_key)
# Every kind the policy's metadata.yml lets it read (contextAwareResources), and where the API serves it.
LOOKUPS = {
    "Node": "/api/v1/nodes",
    "Pod": "/api/v1/pods",
    "PodDisruptionBudget": "/apis/policy/v1/poddisruptionbudgets",
    "Deployment": "/apis/apps/v1/deployments",
    "StatefulSet": "/apis/apps/v1/statefulsets",
    "HorizontalPodAutoscaler": "/apis/autoscaling/v2/horizontalpodautoscalers",
    "NodePool": "/apis/karpenter.sh/v1/nodepools",
}


def cluster():
    """The lookups' view of the cluster now, without managedFields (PolicyServer's caches drop them too)."""
    state = {}
    for kind, path in LOOKUPS.items():
        with urllib.request.urlopen(api_server + path, context=admin_tls, timeout=10) as answer:
            items = json.load(answer).get("items") or []
        for item in items:
            item.get("metadata", {}).pop("managedFields", None)
        state[kind] = items
    return state


class Recorder(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # readiness, for up.sh
        self.send_response(200)
        self.end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        seen = cluster() if SNAPSHOTS else None
        started = time.monotonic()
        forward = urllib.request.Request(upstream + self.path, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(forward, context=upstream_tls, timeout=30) as answer:
                status, payload = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        millis = round((time.monotonic() - started) * 1000, 1)
        with lock:
            number = next(counter)
        record = {"path": self.path, "status": status, "millis": millis, "review": json.loads(body), "cluster": seen}
        try:
            record["response"] = json.loads(payload)
        except ValueError:
            record["response"] = payload.decode("utf-8", "replace")
        with open(os.path.join(out, f"{number:04d}.json"), "w") as f:
            json.dump(record, f, indent=1)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Recorder)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
