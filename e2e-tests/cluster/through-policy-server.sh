#!/usr/bin/env bash
# Admission latency through a real PolicyServer and kube-apiserver, at cluster sizes a user runs:
#   [NODES=N] e2e-tests/cluster/through-policy-server.sh PODS [REQUESTS]
# Starts the cluster of up.sh, fills it (PODS pods on NODES nodes, by default PODS/30 and at least 1,000, of
# the NodePool general-purpose, whose size a stored NodePool `fleet` reports in status.nodes as Karpenter
# would; a Deployment and a PDB for every 10 pods, in 100 namespaces), then sends REQUESTS
# (default 20) server-side dry-run admissions per guard and prints PolicyServer's latency as the recorder
# saw it: the first request, which also fills PolicyServer's caches, then p50, p99 and max of the others.
# Not part of `make test`: it takes minutes. BENCHMARKS.md ("Through PolicyServer") has its results.
set -euo pipefail
pods=${1:?usage: through-policy-server.sh PODS [REQUESTS]} requests=${2:-20}
root=$(cd "$(dirname "$0")/../.." && pwd)
(cd "$root" && make -s annotated-policy.wasm) >&2 # the module under test, current
state=$(mktemp -d)
trap '"$root/e2e-tests/cluster/down.sh" "$state"' EXIT
RECORDER_SNAPSHOTS=0 "$root/e2e-tests/cluster/up.sh" "$state" >&2
source "$state/env"
kubectl delete -f "$state/webhooks.yaml" >/dev/null # the cluster predates the policy

# Objects as kubectl List files of 500, created 4 at a time.
nodes=${NODES:-$(( pods / 30 > 1000 ? pods / 30 : 1000 ))}
python3 - "$pods" "$state/load" "$nodes" <<'PY'
import json, os, sys
pods, out, nodes = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
os.makedirs(out, exist_ok=True)
objects = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"ns{i}"}} for i in range(100)]
objects += [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": f"ns{i}"}} for i in range(100)]
first = len(objects)
objects += [{"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"n{i}", "labels": {"karpenter.sh/nodepool": "general-purpose"}}} for i in range(nodes)]
for w in range(pods // 10):
    ns, app = f"ns{w % 100}", f"app{w}"
    objects.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": app, "namespace": ns},
        "spec": {"replicas": 10, "selector": {"matchLabels": {"app": app}},
                 "template": {"metadata": {"labels": {"app": app}}, "spec": {"containers": [{"name": "c", "image": "registry.example/app:1"}]}}}})
    objects.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": app, "namespace": ns},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": app}}}})
    for r in range(10):
        objects.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"{app}-{r}", "namespace": ns, "labels": {"app": app}},
            "spec": {"nodeName": f"n{(w * 7 + r * 13) % nodes}", "containers": [{"name": "c", "image": "registry.example/app:1"}]}})
def write(name, items):
    with open(os.path.join(out, name), "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": items}, f)
write("0000-first.json", objects[:first])
for i in range(first, len(objects), 500):
    write(f"{i:09d}.json", objects[i:i + 500])
PY
started=$(date +%s)
kubectl create -f "$state/load/0000-first.json" >/dev/null
ls "$state/load"/0*.json | grep -v first | xargs -P 4 -n 1 kubectl create -f >/dev/null
# The NodePool guard sizes the cluster by its NodePools' status.nodes before it lists any pod.
jq -c '.object | .metadata.name = "fleet"' "$root/examples/requests/nodepool-fixed.json" | kubectl create -f - >/dev/null
kubectl patch nodepool fleet --subresource=status --type=merge -p "{\"status\": {\"nodes\": $nodes}}" >/dev/null
echo "filled: $(kubectl get pods -A --no-headers | wc -l) pods on $nodes nodes in $(( $(date +%s) - started )) s" >&2
kubectl apply -f "$state/webhooks.yaml" >/dev/null
rm -f "$state"/recorded/*.json

# REQUESTS dry-run admissions per guard; PolicyServer's latency from the recorder.
measure() { # measure NAME OBJECT_JSON
  local name=$1 object=$2 before
  before=$(ls "$state/recorded" | wc -l)
  for _ in $(seq "$requests"); do
    echo "$object" | kubectl create --dry-run=server -f - >/dev/null 2>&1 || true
  done
  ls "$state"/recorded/*.json | tail -n +"$((before + 1))" | xargs jq -c -s --arg name "$name" '
    [.[] | .millis] as $all | ($all[1:] | sort) as $s | {
      guard: $name, requests: ($all | length), first_ms: $all[0],
      p50_ms: $s[(($s | length) * 0.5 | floor)], p99_ms: $s[(($s | length) * 0.99 | floor)], max_ms: $s[-1],
      denied: [.[] | select(.response.response.allowed != true)] | length,
      capacity_skipped: [.[] | select(.response.response.warnings // [] | any(contains("capacity check skipped")))] | length,
      messages: [.[] | .response.response.status.message // empty | .[0:160]] | unique }'
}
pool=$(jq -c '.object | .metadata.name = "general-purpose"' "$root/examples/requests/nodepool-fixed.json")
pdb='{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"probe","namespace":"ns7"},"spec":{"maxUnavailable":1,"selector":{"matchLabels":{"app":"probe"}}}}'
deployment='{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"probe","namespace":"ns7"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"probe"}},"template":{"metadata":{"labels":{"app":"probe"}},"spec":{"containers":[{"name":"c","image":"registry.example/app:1"}]}}}}'
echo "{\"pods\": $pods, \"nodes\": $nodes}"
measure NodePool "$pool"
measure PodDisruptionBudget "$pdb"
measure Deployment "$deployment"
