#!/usr/bin/env bash
# Starts a real API server with disruption-guard in the loop, all on 127.0.0.1, under STATE (a fresh directory):
#   etcd → kube-apiserver (TLS, RBAC) with Karpenter's NodePool CRD → the Mutating/ValidatingWebhookConfigurations
#   the Kubewarden controller would generate for policies/*.yaml → a recorder that keeps every AdmissionReview
#   → PolicyServer serving policy.wasm, reading the cluster as a ServiceAccount bound to the README's ClusterRole.
# PolicyServer loads annotated-policy.wasm (make annotated-policy.wasm: it needs the metadata kwctl annotates),
# or POLICY_MODULE.
# Writes STATE/env (KUBECONFIG for the admin, the ports) and STATE/pids; e2e-tests/cluster/down.sh STATE stops it.
# Tools: kube-apiserver, etcd, policy-server, kubectl on PATH, or KUBE_APISERVER, ETCD, POLICY_SERVER, KUBECTL;
# the CRD from KARPENTER_CRD (default: ../shared/tools/karpenter-crds/karpenter.sh_nodepools.yaml).
set -euo pipefail
state=$(cd "${1:?usage: up.sh STATE_DIR}" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
KUBE_APISERVER=${KUBE_APISERVER:-kube-apiserver} ETCD=${ETCD:-etcd}
POLICY_SERVER=${POLICY_SERVER:-policy-server} KUBECTL=${KUBECTL:-kubectl}
KARPENTER_CRD=${KARPENTER_CRD:-$root/../shared/tools/karpenter-crds/karpenter.sh_nodepools.yaml}
cd "$state"
mkdir -p logs recorded

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# wait_for WHAT COMMAND...: retries for 30 s, then shows the logs and fails.
wait_for() {
  local what=$1; shift
  for _ in $(seq 150); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "up.sh: $what did not come up; logs in $state/logs:" >&2
  tail -n 20 logs/* >&2
  return 1
}
start() { # start NAME COMMAND...: in the background, logged, its pid kept for down.sh
  local name=$1; shift
  "$@" > "logs/$name.log" 2>&1 &
  echo "$! $name" >> pids
}

# Certificates: one CA for the API server, its clients and the webhook; service account signing keys.
sign() { # sign NAME SUBJECT [SAN]
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -out "$1.crt" \
    ${3:+-extfile <(printf 'subjectAltName=%s' "$3")} 2>/dev/null
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=disruption-guard-test-ca 2>/dev/null
sign apiserver /CN=kube-apiserver IP:127.0.0.1,DNS:localhost
sign admin "/CN=admin/O=system:masters"
sign webhook /CN=policy-server IP:127.0.0.1
openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null

etcd_port=$(free_port) peer_port=$(free_port) api_port=$(free_port)
start etcd "$ETCD" --data-dir "$state/etcd" --name default \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "default=http://127.0.0.1:$peer_port"
start kube-apiserver "$KUBE_APISERVER" --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --tls-cert-file apiserver.crt --tls-private-key-file apiserver.key --client-ca-file ca.crt \
  --service-account-issuer https://kubernetes.default.svc --service-account-key-file sa.pub \
  --service-account-signing-key-file sa.key --service-cluster-ip-range 10.96.0.0/24 \
  --authorization-mode RBAC --endpoint-reconciler-type none

kubeconfig() { # kubeconfig FILE USER-FLAGS...
  local file=$1; shift
  "$KUBECTL" config --kubeconfig "$file" set-cluster local --server "https://127.0.0.1:$api_port" \
    --certificate-authority ca.crt --embed-certs >/dev/null
  "$KUBECTL" config --kubeconfig "$file" set-credentials user "$@" >/dev/null
  "$KUBECTL" config --kubeconfig "$file" set-context local --cluster local --user user >/dev/null
  "$KUBECTL" config --kubeconfig "$file" use-context local >/dev/null
}
kubeconfig admin.kubeconfig --client-certificate admin.crt --client-key admin.key --embed-certs
export KUBECONFIG=$state/admin.kubeconfig
wait_for kube-apiserver "$KUBECTL" get --raw /readyz

# The NodePool CRD, and what a cluster has before the policy: namespaces with their default ServiceAccount
# (no controller-manager here creates it), and PolicyServer's identity bound to the README's ClusterRole.
"$KUBECTL" apply -f "$KARPENTER_CRD" >/dev/null
wait_for "the NodePool CRD" "$KUBECTL" get nodepools
for ns in kubewarden shop; do
  "$KUBECTL" create namespace "$ns" >/dev/null
  "$KUBECTL" create serviceaccount default -n "$ns" >/dev/null
done
"$KUBECTL" create serviceaccount policy-server -n kubewarden >/dev/null
awk '/^```yaml$/ { block = "" ; inside = 1; next } /^```$/ { if (inside && block ~ /kind: ClusterRole\n/) print block; inside = 0 }
     inside { block = block $0 "\n" }' "$root/README.md" > readme-clusterrole.yaml
"$KUBECTL" apply -f readme-clusterrole.yaml >/dev/null
role=$("$KUBECTL" get -f readme-clusterrole.yaml -o jsonpath='{.metadata.name}')
"$KUBECTL" create clusterrolebinding policy-server-reads --clusterrole "$role" \
  --serviceaccount kubewarden:policy-server >/dev/null
kubeconfig policy-server.kubeconfig --token "$("$KUBECTL" create token policy-server -n kubewarden --duration 2h)"

# PolicyServer behind the recorder, configured as the controller would configure it.
policy_port=$(free_port) recorder_port=$(free_port) ready_port=$(free_port)
(cd "$root" && cargo run -q --locked -p e2e-tests --bin controller -- "file://${POLICY_MODULE:-$root/annotated-policy.wasm}" \
  "https://127.0.0.1:$recorder_port" "$(base64 -w0 < "$state/ca.crt")" "$state")
start policy-server env KUBECONFIG="$state/policy-server.kubeconfig" "$POLICY_SERVER" \
  --policies policies.yml --addr 127.0.0.1 --port "$policy_port" --readiness-probe-port "$ready_port" \
  --cert-file webhook.crt --key-file webhook.key --policies-download-dir "$state" \
  --sigstore-cache-dir "$state/sigstore" --workers 2 --log-no-color
start recorder python3 "$root/e2e-tests/cluster/recorder.py" "$recorder_port" "https://127.0.0.1:$policy_port" \
  webhook.crt webhook.key ca.crt recorded "https://127.0.0.1:$api_port" admin.crt admin.key
wait_for policy-server curl -sf "http://127.0.0.1:$ready_port/readiness"
wait_for recorder curl -sf --cacert ca.crt "https://127.0.0.1:$recorder_port/healthz"
"$KUBECTL" apply -f webhooks.yaml >/dev/null

cat > env <<EOF
export KUBECONFIG=$state/admin.kubeconfig
export CLUSTER_STATE=$state
export API_PORT=$api_port POLICY_PORT=$policy_port
EOF
echo "up.sh: API server https://127.0.0.1:$api_port, PolicyServer https://127.0.0.1:$policy_port (state: $state)"
