#!/usr/bin/env bats
# disruption-guard in a real API server: etcd + kube-apiserver + PolicyServer on 127.0.0.1, the webhooks the
# Kubewarden controller would register for policies/*.yaml (e2e-tests/cluster/up.sh), and kubectl as a user
# runs it. Every AdmissionReview the API server sends is kept under $CLUSTER_STATE/recorded.
# Run with `make cluster-tests` (skipped when the tools are missing).

setup_file() {
  export CLUSTER_STATE="$BATS_FILE_TMPDIR/cluster"
  mkdir -p "$CLUSTER_STATE"
  "$BATS_TEST_DIRNAME/cluster/up.sh" "$CLUSTER_STATE" >&3
  # PolicyServer starts each lookup's informer on its first use. On a loaded machine the first Deployment
  # can outlast the workload guard's 5 s timeout, and failurePolicy: Ignore then admits it unchecked (seen
  # once in CI while the machine compiled). A server-side dry run warms them, as a cluster's earlier traffic
  # would; its reviews are not kept with the suite's recordings.
  source "$CLUSTER_STATE/env"
  kubectl apply --dry-run=server -f <(deployment warm-up 3) >/dev/null 2>&1 || true
  # The PDB guard's lookups too (PDBs, Deployments, StatefulSets, HPAs and pods of the namespace): its first
  # request timed out once in CI and failed test 6.
  kubectl apply --dry-run=server -f <(pdb warm-up '"50%"') >/dev/null 2>&1 || true
  grep -l '"name": "warm-up"' "$CLUSTER_STATE"/recorded/*.json 2>/dev/null | xargs -r rm -f
}

teardown_file() {
  "$BATS_TEST_DIRNAME/cluster/down.sh" "$CLUSTER_STATE"
  if [ -n "${CLUSTER_RECORDINGS:-}" ]; then # make cluster-fixtures: keep what the API server sent
    mkdir -p "$CLUSTER_RECORDINGS" && cp "$CLUSTER_STATE"/recorded/*.json "$CLUSTER_RECORDINGS"/
  fi
}

setup() {
  source "$CLUSTER_STATE/env"
  cd "$BATS_TEST_DIRNAME/.."
}

# without_policy COMMAND...: runs COMMAND with the webhooks unregistered: objects that predate the policy.
without_policy() {
  kubectl delete -f "$CLUSTER_STATE/webhooks.yaml" >/dev/null
  "$@"
  local status=$?
  kubectl apply -f "$CLUSTER_STATE/webhooks.yaml" >/dev/null
  return $status
}

# request FILE: the admission request object of one of examples/requests, for kubectl.
request_object() { jq '.object' "examples/requests/$1"; }

nodepool() { kubectl get nodepool "$1" -o json; }

@test "the incident NodePool is denied, with the message kubectl prints" {
  run kubectl apply -f <(request_object nodepool-incident.json)
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *'admission webhook "clusterwide-disruption-guard-nodepools.kubewarden.admission" denied the request: disruption-guard rejected NodePool "general-purpose"'* ]]
  [[ "$output" == *'[nodepool-consolidation-policy] spec.disruption.consolidationPolicy = "WhenEmptyOrUnderutilized"'* ]]
  [[ "$output" == *'Fix: set spec.disruption.budgets[0].nodes: "10%"'* ]]
  run kubectl get nodepool general-purpose
  [ "$status" -ne 0 ]
}

@test "the fixed NodePool is stored as written" {
  kubectl apply -f examples/manifests/nodepool-fixed.yaml
  stored=$(nodepool general-purpose | jq -cS .spec.disruption)
  written=$(jq -cS .object.spec.disruption examples/requests/nodepool-fixed.json)
  [ "$stored" = "$written" ]
  kubectl delete nodepool general-purpose
}

@test "a freeze written in local time is stored with the UTC freeze budget added" {
  kubectl apply -f <(request_object nodepool-utc-freeze.json | jq '.metadata.name = "utc-freeze"')
  budgets=$(nodepool utc-freeze | jq -c .spec.disruption.budgets)
  echo "$budgets"
  [ "$(echo "$budgets" | jq 'map(select(.schedule == "0 0 * * 1-5" and .nodes == "0" and .duration == "9h")) | length')" = 1 ]
  [ "$(echo "$budgets" | jq 'map(select(.schedule == "0 9 * * mon-fri")) | length')" = 1 ] # the user's own, kept
}

@test "a NodePool without a disruption block or consolidateAfter: the API server's defaults reach the policy, 0s counts as omitted" {
  run kubectl apply -f <(request_object nodepool-fixed.json | jq '.metadata.name = "no-disruption" | del(.spec.disruption)')
  echo "$output"
  # The CRD defaults consolidationPolicy to WhenEmptyOrUnderutilized, which these settings do not allow …
  [ "$status" -ne 0 ]
  [[ "$output" == *'[nodepool-consolidation-policy] spec.disruption.consolidationPolicy = "WhenEmptyOrUnderutilized"'* ]]
  # … and consolidateAfter to 0s, which the policy raises by itself.
  [[ "$output" == *'[nodepool-consolidate-after] spec.disruption.consolidateAfter = "0s"'*'(disruption-guard adds this itself once the other problems are fixed)'* ]]
  # What the webhook received is the defaulted object.
  review=$(grep -l '"name": "no-disruption"' "$CLUSTER_STATE"/recorded/*.json | head -1)
  [ "$(jq -c .review.request.object.spec.disruption "$review")" = '{"budgets":[{"nodes":"10%"}],"consolidateAfter":"0s","consolidationPolicy":"WhenEmptyOrUnderutilized"}' ]
  # With WhenEmpty written, the pool is stored with consolidateAfter raised and the freeze added.
  kubectl apply -f <(request_object nodepool-fixed.json | jq '.metadata.name = "no-disruption" | .spec.disruption = {consolidationPolicy: "WhenEmpty", consolidateAfter: "0s"}')
  stored=$(nodepool no-disruption | jq -c .spec.disruption)
  echo "$stored"
  [ "$(echo "$stored" | jq -r .consolidateAfter)" = 5m ]
  [ "$(echo "$stored" | jq '.budgets | map(select(.schedule == "0 0 * * 1-5")) | length')" = 1 ]
  # A disruption block without consolidateAfter, which v1.14.1's CRD requires (Karpenter after it defaults
  # it to 0s): the mutating webhook writes the minimum before the API server's schema check, so it is stored.
  kubectl apply -f <(request_object nodepool-fixed.json | jq '.metadata.name = "no-consolidate-after" | del(.spec.disruption.consolidateAfter)')
  [ "$(nodepool no-consolidate-after | jq -r .spec.disruption.consolidateAfter)" = 5m ]
}

@test "Karpenter's annotation patch of a non-compliant pool that predates the policy is admitted" {
  without_policy kubectl apply -f <(request_object nodepool-incident.json | jq '.metadata.name = "legacy"')
  before=$(nodepool legacy | jq -c .spec)
  run kubectl annotate nodepool legacy karpenter.sh/nodepool-hash=6821555240594823858 --overwrite
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *'Warning: disruption-guard: not enforced on this update'*'[nodepool-consolidation-policy]'* ]]
  [ "$(nodepool legacy | jq -c .spec)" = "$before" ]
  # A change that makes it worse is still denied.
  run kubectl patch nodepool legacy --type merge -p '{"spec":{"disruption":{"consolidateAfter":"10s"}}}'
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *'[nodepool-consolidate-after] spec.disruption.consolidateAfter = "10s"'* ]]
}

deployment() { # deployment NAME REPLICAS [NAMESPACE]
  cat <<EOF
{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "$1", "namespace": "${3:-shop}"},
 "spec": {"replicas": $2, "selector": {"matchLabels": {"app": "$1"}},
  "template": {"metadata": {"labels": {"app": "$1"}}, "spec": {"containers": [{"name": "app", "image": "registry.example/$1:1"}]}}}}
EOF
}

pdb() { # pdb NAME MIN_AVAILABLE
  cat <<EOF
{"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "$1", "namespace": "shop"},
 "spec": {"minAvailable": $2, "selector": {"matchLabels": {"app": "$1"}}}}
EOF
}

@test "PDB first, then the Deployment: both admitted, the Deployment spread" {
  kubectl apply -f <(pdb api-gateway '"50%"')
  [ "$(kubectl get pdb api-gateway -n shop -o jsonpath='{.spec.unhealthyPodEvictionPolicy}')" = AlwaysAllow ]
  kubectl apply -f <(deployment api-gateway 3)
  anti=$(kubectl get deployment api-gateway -n shop -o json | jq -c .spec.template.spec.affinity.podAntiAffinity)
  [[ "$anti" == *'"topologyKey":"kubernetes.io/hostname"'* ]]
}

@test "Deployment first, then the PDB its rejection carries: both admitted" {
  run kubectl apply -f <(deployment checkout 3)
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *'[workload-missing-pdb] spec.replicas = 3'* ]]
  # The message carries the PDB to apply, as a heredoc.
  echo "$output" | sed -n "/<<'EOF'/,/^EOF/p" | sed '1d;$d' > "$BATS_TEST_TMPDIR/pdb.yaml"
  kubectl apply -f "$BATS_TEST_TMPDIR/pdb.yaml"
  kubectl apply -f <(deployment checkout 3)
}

@test "kubectl scale below the PDB's floor is denied, above it allowed" {
  kubectl apply -f <(pdb orders 2)
  kubectl apply -f <(deployment orders 3)
  run kubectl scale deployment orders -n shop --replicas 2
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *'[workload-pdb-blocks] spec.replicas = 2'* ]]
  [ "$(kubectl get deployment orders -n shop -o jsonpath='{.spec.replicas}')" = 3 ]
  kubectl scale deployment orders -n shop --replicas 5
  [ "$(kubectl get deployment orders -n shop -o jsonpath='{.spec.replicas}')" = 5 ]
  kubectl scale deployment orders -n shop --replicas 3
}

@test "a label change on a Deployment that predates the policy neither fails nor rolls its pods" {
  without_policy kubectl apply -f <(deployment legacy-app 3)
  template=$(kubectl get deployment legacy-app -n shop -o json | jq -c .spec.template)
  run kubectl label deployment legacy-app -n shop team=payments
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(kubectl get deployment legacy-app -n shop -o json | jq -c .spec.template)" = "$template" ]
}

@test "foreground deletion of a Deployment without a PDB completes" {
  without_policy kubectl apply -f <(deployment doomed 3)
  kubectl delete deployment doomed -n shop --cascade=foreground --wait=false
  [ "$(kubectl get deployment doomed -n shop -o jsonpath='{.metadata.finalizers}')" = '["foregroundDeletion"]' ]
  # No controller-manager runs here: send the garbage collector's own write, the finalizer's removal.
  kubectl patch deployment doomed -n shop --type json -p '[{"op": "remove", "path": "/metadata/finalizers"}]'
  run kubectl get deployment doomed -n shop
  [ "$status" -ne 0 ]
  [[ "$output" == *NotFound* ]]
}

@test "the capacity calculator reads the pool's nodes and pods from the API server" {
  kubectl create namespace analytics
  kubectl create serviceaccount default -n analytics
  for i in 01 02 03 04 05 06 07 08 09 10; do
    kubectl apply -f - <<EOF
{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "batch-$i", "labels": {"karpenter.sh/nodepool": "batch"}}}
EOF
  done
  without_policy kubectl apply -f <(deployment report-generator 3 analytics)
  for pod in 0:batch-01 1:batch-01 2:batch-02; do
    kubectl apply -f - <<EOF
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "report-generator-${pod%%:*}", "namespace": "analytics",
  "labels": {"app": "report-generator"}},
 "spec": {"nodeName": "${pod#*:}", "containers": [{"name": "app", "image": "registry.example/report-generator:1"}]}}
EOF
  done
  run kubectl apply -f <(request_object nodepool-batch.json)
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *'[nodepool-capacity]'*'Deployment analytics/report-generator'* ]]
  # A pod annotated karpenter.sh/do-not-disrupt holds batch-01 (two of the three replicas) back from
  # voluntary drains, so no drain can break the floor (PolicyServer's pod watch may take a moment).
  kubectl apply -f - <<EOF
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "log-agent", "namespace": "analytics",
  "annotations": {"karpenter.sh/do-not-disrupt": "true"}},
 "spec": {"nodeName": "batch-01", "containers": [{"name": "agent", "image": "registry.example/log-agent:1"}]}}
EOF
  for _ in $(seq 25); do
    kubectl apply --dry-run=server -f <(request_object nodepool-batch.json) >/dev/null 2>&1 && break
    sleep 0.2
  done
  kubectl apply --dry-run=server -f <(request_object nodepool-batch.json)
  kubectl delete pod log-agent -n analytics --grace-period=0 --force
  # With a PDB that protects it, the pool is admitted.
  kubectl apply -f - <<EOF
{"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "report-generator", "namespace": "analytics"},
 "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "report-generator"}}}}
EOF
  kubectl apply -f <(request_object nodepool-batch.json)
}

@test "the expiry forecast reads the nodes' creation time from the API server" {
  # The batch nodes were created moments ago, by the capacity test above. An expireAfter that ends at
  # 10:30 KST (01:30 UTC) next Wednesday puts their expiry inside Seoul business hours.
  created=$(kubectl get node batch-01 -o jsonpath='{.metadata.creationTimestamp}')
  target=$(( $(date -ud "next wednesday" +%s) + 5400 ))
  minutes=$(( (target - $(date -ud "$created" +%s)) / 60 ))
  run kubectl apply -f <(request_object nodepool-batch.json | jq --arg e "${minutes}m" '.spec.template.spec.expireAfter = $e')
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Warning: disruption-guard: [nodepool-expiry-forecast] spec.template.spec.expireAfter = \"${minutes}m\": 10 of the pool's 10 nodes"*'batch-01 at Wed '*' 10:'*' KST'* ]]
}

@test "a static NodePool is admitted with the outage's consolidation values, and kubectl scale down is warned about" {
  # Karpenter never consolidates a static pool: the outage's WhenEmptyOrUnderutilized and 30s are not judged.
  kubectl apply -f <(request_object nodepool-fixed.json | jq '.metadata.name = "static" | .spec.replicas = 30 |
    .spec.disruption.consolidationPolicy = "WhenEmptyOrUnderutilized" | .spec.disruption.consolidateAfter = "30s"')
  [ "$(nodepool static | jq -r .spec.disruption.consolidateAfter)" = 30s ]
  run kubectl scale nodepool static --replicas 20
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *'Warning: disruption-guard: static NodePool static: spec.replicas 30 → 20 drains 10 nodes at once'* ]]
  [ "$(nodepool static | jq .spec.replicas)" = 20 ]
  run kubectl scale nodepool static --replicas 18
  [ "$status" -eq 0 ]
  [[ "$output" != *Warning* ]]
}

@test "background audit reports the existing non-compliant objects" {
  # The audit scanner sends each existing object as a CREATE to PolicyServer's /audit endpoint.
  audit() { # audit POLICY OBJECT_JSON
    jq -n --argjson o "$2" '{apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: {
        uid: $o.metadata.uid, name: $o.metadata.name, namespace: ($o.metadata.namespace // ""), operation: "CREATE",
        userInfo: {},
        kind: {group: ($o.apiVersion | split("/")[0]), version: ($o.apiVersion | split("/")[1]), kind: $o.kind},
        resource: {group: ($o.apiVersion | split("/")[0]), version: ($o.apiVersion | split("/")[1]), resource: $o.kind},
        object: $o}}' |
      curl -sf --cacert "$CLUSTER_STATE/ca.crt" -H 'Content-Type: application/json' --data-binary @- \
        "https://127.0.0.1:$POLICY_PORT/audit/clusterwide-disruption-guard-$1"
  }
  legacy=$(audit nodepools "$(nodepool legacy)")
  echo "$legacy"
  [ "$(echo "$legacy" | jq .response.allowed)" = false ]
  [[ "$(echo "$legacy" | jq -r .response.status.message)" == *'[nodepool-budget-max]'* ]]
  fixed=$(audit nodepools "$(nodepool no-disruption)")
  [ "$(echo "$fixed" | jq .response.allowed)" = true ]
  app=$(audit workloads "$(kubectl get deployment legacy-app -n shop -o json)")
  [ "$(echo "$app" | jq .response.allowed)" = false ]
  [[ "$(echo "$app" | jq -r .response.status.message)" == *'[workload-missing-pdb]'* ]]
}

@test "disruption-guard fix over a snapshot writes the PDBs the cluster lacks, and the policy admits them" {
  snapshot="$BATS_TEST_TMPDIR/snapshot.json"
  kubectl get deployments,statefulsets,poddisruptionbudgets,horizontalpodautoscalers -A -o json > "$snapshot"
  # The workload and PDB guards' settings, as policies/ gives them.
  settings="$BATS_TEST_TMPDIR/settings.json"
  jq -n '{workloads: {minReplicas: 2, availabilityFloor: "50%"}, pdbs: {unhealthyPodEvictionPolicy: "AlwaysAllow"}}' > "$settings"
  # legacy-app predates the policy and has no PDB: a change of its replicas is denied.
  run kubectl patch deployment legacy-app -n shop --type merge -p '{"spec":{"replicas":4}}'
  [ "$status" -ne 0 ]
  [[ "$output" == *'[workload-missing-pdb]'* ]]
  cargo run -q -p disruption-guard-cli -- fix --cluster "$snapshot" --settings "$settings" --output - > "$BATS_TEST_TMPDIR/pdbs.yaml"
  cat "$BATS_TEST_TMPDIR/pdbs.yaml"
  run kubectl apply -f "$BATS_TEST_TMPDIR/pdbs.yaml"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *'poddisruptionbudget.policy/legacy-app created'* ]]
  kubectl patch deployment legacy-app -n shop --type merge -p '{"spec":{"replicas":4}}'
  # Run again on a fresh snapshot, fix has nothing left to write.
  kubectl get deployments,statefulsets,poddisruptionbudgets,horizontalpodautoscalers -A -o json > "$snapshot"
  cargo run -q -p disruption-guard-cli -- fix --cluster "$snapshot" --settings "$settings" --output - --dry-run > /dev/null
}
