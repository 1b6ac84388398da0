#!/usr/bin/env bash
# `make cluster-tests`: runs e2e-tests/cluster.bats when every tool it needs is here, and otherwise says in
# one line what is missing and passes (a fresh clone without the binaries still passes `make test`).
# Binaries come from PATH, or KUBE_APISERVER, ETCD, POLICY_SERVER, KUBECTL; the CRD from KARPENTER_CRD.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
crd=${KARPENTER_CRD:-$root/../shared/tools/karpenter-crds/karpenter.sh_nodepools.yaml}
missing=()
for tool in "${KUBE_APISERVER:-kube-apiserver}" "${ETCD:-etcd}" "${POLICY_SERVER:-policy-server}" \
            "${KUBECTL:-kubectl}" kwctl bats openssl curl jq python3; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ -f "$crd" ] || missing+=("the NodePool CRD (KARPENTER_CRD)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "cluster suite (e2e-tests/cluster.bats) skipped: missing ${missing[*]} (README: Run it in a real API server)"
  exit 0
fi
cd "$root" && make -s annotated-policy.wasm && bats --tap e2e-tests/cluster.bats
