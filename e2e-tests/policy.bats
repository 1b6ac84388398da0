#!/usr/bin/env bats
# kwctl end-to-end tests, in the Kubewarden convention: `kwctl run` on annotated-policy.wasm, asserting
# `allowed`, messages and patches. Context-aware lookups are replayed from sessions recorded against
# examples/cluster.yaml by `cargo run -p e2e-tests --bin record` (the wasmtime harness's host).
# Run with `make e2e-tests` (skipped when kwctl is not installed).

setup() {
  cd "$BATS_TEST_DIRNAME/.."
  SEOUL=examples/settings-seoul.yaml
}

# kwctl run REQUEST [SETTINGS], replaying what the policy asks the cluster for.
evaluate() {
  local request=$1 settings=${2:-}
  local replay="$BATS_TEST_TMPDIR/replay.yml"
  cargo run -q -p e2e-tests --bin record -- "$request" $settings > "$replay"
  kwctl run --allow-context-aware --replay-host-capabilities-interactions "$replay" \
    --request-path "$request" ${settings:+--settings-path "$settings"} annotated-policy.wasm 2>/dev/null
}

@test "the incident NodePool is rejected, naming the three dangerous fields" {
  run evaluate examples/requests/nodepool-incident.json "$SEOUL"
  echo "output = ${output}"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r .allowed)" = false ]
  message=$(echo "$output" | jq -r .status.message)
  [[ "$message" == *'spec.disruption.consolidationPolicy = "WhenEmptyOrUnderutilized"'* ]]
  [[ "$message" == *'spec.disruption.consolidateAfter = "30s"'* ]]
  [[ "$message" == *'spec.disruption.budgets[0].nodes = "100%"'* ]]
}

@test "the fixed NodePool is accepted without a patch" {
  run evaluate examples/requests/nodepool-fixed.json "$SEOUL"
  echo "output = ${output}"
  [ "$(echo "$output" | jq -r .allowed)" = true ]
  [ "$(echo "$output" | jq -r '.patch // "none"')" = none ]
}

@test "a freeze written in local time gets the UTC freeze budget" {
  run evaluate examples/requests/nodepool-utc-freeze.json "$SEOUL"
  echo "output = ${output}"
  [ "$(echo "$output" | jq -r .allowed)" = true ]
  patch=$(echo "$output" | jq -r '.patch | @base64d')
  [ "$patch" = '[{"op":"add","path":"/spec/disruption/budgets/2","value":{"duration":"9h","nodes":"0","schedule":"0 0 * * 1-5"}}]' ]
}

@test "a Berlin maintenance window gets the budget that freezes the rest of the week" {
  run evaluate examples/requests/maintenance-windows/nodepool-general-purpose.json examples/settings-berlin-maintenance.yaml
  echo "output = ${output}"
  [ "$(echo "$output" | jq -r .allowed)" = true ]
  patch=$(echo "$output" | jq -r '.patch | @base64d')
  [ "$patch" = '[{"op":"add","path":"/spec/disruption/budgets/1","value":{"duration":"165h","nodes":"0","schedule":"0 4 * * 6"}}]' ]
}

@test "the capacity calculator rejects the batch pool" {
  run evaluate examples/requests/nodepool-batch.json "$SEOUL"
  echo "output = ${output}"
  [ "$(echo "$output" | jq -r .allowed)" = false ]
  [[ "$(echo "$output" | jq -r .status.message)" == *"report-generator: 3 replicas on 2 nodes, floor 2"* ]]
}

@test "a PDB that blocks drains at the HPA's minReplicas is rejected" {
  run evaluate examples/requests/pdb-search-min-2.json
  echo "output = ${output}"
  [ "$(echo "$output" | jq -r .allowed)" = false ]
  [[ "$(echo "$output" | jq -r .status.message)" == *"[pdb-blocks-workload]"*"HPA search minReplicas"* ]]
}

@test "a safe PDB is accepted with unhealthyPodEvictionPolicy filled in" {
  run evaluate examples/requests/pdb-api-gateway-half.json
  echo "output = ${output}"
  [ "$(echo "$output" | jq -r .allowed)" = true ]
  [ "$(echo "$output" | jq -r '.patch | @base64d')" = '[{"op":"add","path":"/spec/unhealthyPodEvictionPolicy","value":"AlwaysAllow"}]' ]
}

@test "a replicated Deployment without a PDB is rejected with one to apply" {
  run evaluate examples/requests/deployment-checkout-no-pdb.json
  echo "output = ${output}"
  [ "$(echo "$output" | jq -r .allowed)" = false ]
  [[ "$(echo "$output" | jq -r .status.message)" == *'kind: "PodDisruptionBudget"'*'app: "checkout"'* ]]
}

@test "context lookups that are not granted fail closed" {
  run bash -c 'kwctl run --request-path examples/requests/pdb-api-gateway-half.json annotated-policy.wasm 2>/dev/null'
  echo "output = ${output}"
  [ "$(echo "$output" | jq -r .allowed)" = false ]
  [[ "$(echo "$output" | jq -r .status.message)" == *"[context-lookup-failed]"* ]]
}

@test "invalid settings are refused before any request" {
  run bash -c 'kwctl run --request-path examples/requests/nodepool-fixed.json --settings-json "{\"businessHours\": {\"timezone\": \"Asia/Tokio\"}}" annotated-policy.wasm'
  echo "output = ${output}"
  [ "$status" -ne 0 ]
  [[ "$output" == *'unknown time zone \"Asia/Tokio\"'* || "$output" == *'unknown time zone "Asia/Tokio"'* ]]
}

@test "the README's kwctl commands run as written" {
  # Every ```sh block of the README's "Using it with kwctl" section, in order, as a user pastes them.
  script=$(awk '/^## Using it with kwctl/ {on = 1; next} /^## / {on = 0} on' README.md |
    awk '/^```sh$/ {block = 1; next} /^```$/ {block = 0} block')
  [ -n "$script" ]
  run bash -euo pipefail -c "$script" 2>/dev/null
  echo "output = ${output}"
  [ "$status" -eq 0 ]
  [[ "$output" == *'"allowed":false'* ]]
  [[ "$output" == *'[{"op":"add","path":"/spec/disruption/budgets/2","value":{"duration":"9h","nodes":"0","schedule":"0 0 * * 1-5"}}]'* ]]
  [[ "$output" == *'[pdb-blocks-workload]'* ]]
}

@test "without --allow-context-aware the refused lookup is the first finding, never hidden by a pending mutation" {
  run bash -c "kwctl run --request-path examples/requests/nodepool-utc-freeze.json --settings-path $SEOUL annotated-policy.wasm 2>/dev/null"
  echo "output = ${output}"
  [ "$(echo "$output" | jq -r .allowed)" = false ]
  first=$(echo "$output" | jq -r .status.message | grep -m1 '^- \[')
  [[ "$first" == '- [context-lookup-failed]'*'Node'* ]]
  [[ "$(echo "$output" | jq -r .status.message)" == *'[nodepool-business-hours-freeze]'*'once the other problems are fixed'* ]]
}
