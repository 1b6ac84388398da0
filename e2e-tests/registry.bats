#!/usr/bin/env bats
# The release as users get it: `make release`'s files, pushed with kwctl to a real OCI registry (Debian's
# docker-registry, the CNCF distribution registry) on 127.0.0.1, pulled and inspected back, and served by a
# PolicyServer that downloads the module from that registry, as a cluster's PolicyServer does.
# Run with `make registry-tests` (skipped when a tool is missing).

setup_file() {
  export STATE="$BATS_FILE_TMPDIR/registry"
  mkdir -p "$STATE/logs"
  # kwctl's store and caches live in the test's directory, not the user's.
  export XDG_CACHE_HOME="$STATE/cache" XDG_CONFIG_HOME="$STATE/config" XDG_DATA_HOME="$STATE/data"
  free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
  local port
  port=$(free_port)
  cat > "$STATE/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $STATE/blobs
http:
  addr: 127.0.0.1:$port
EOF
  "${DOCKER_REGISTRY:-docker-registry}" serve "$STATE/registry.yml" > "$STATE/logs/registry.log" 2>&1 &
  echo $! > "$STATE/registry.pid"
  # A registry on loopback speaks plain HTTP: kwctl and PolicyServer are told so, for that host only.
  printf 'insecure_sources:\n  - "127.0.0.1:%s"\n' "$port" > "$STATE/sources.yml"
  local version
  version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$BATS_TEST_DIRNAME/../Cargo.toml")
  echo "export STATE=$STATE XDG_CACHE_HOME=$XDG_CACHE_HOME XDG_CONFIG_HOME=$XDG_CONFIG_HOME XDG_DATA_HOME=$XDG_DATA_HOME
export VERSION=$version MODULE=registry://127.0.0.1:$port/disruption-guard/policies/disruption-guard:v$version" > "$STATE/env"
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && return 0; sleep 0.2; done
  echo "the registry did not come up:" >&3; cat "$STATE/logs/registry.log" >&3
  return 1
}

teardown_file() {
  for pid in "$STATE"/*.pid; do
    [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null
  done
  return 0
}

setup() {
  source "$STATE/env"
  cd "$BATS_TEST_DIRNAME/.."
}

# review FILE: one of examples/requests as the AdmissionReview an API server sends.
review() { jq '{apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: .}' "examples/requests/$1"; }

@test "make release writes the annotated module, its sha256 and an SPDX SBOM of what is compiled in" {
  (cd dist && sha256sum -c policy.wasm.sha256)
  run kwctl inspect -o yaml dist/policy.wasm
  [ "$status" -eq 0 ]
  [[ "$output" == *"io.kubewarden.policy.version: $VERSION"* ]]
  # Kubewarden's own policies range from 0.65 to 1.7 MB; a PolicyServer downloads and compiles each one.
  size=$(stat -c %s dist/policy.wasm)
  echo "policy.wasm: $size bytes"
  [ "$size" -le 1500000 ]
  sbom=dist/policy-sbom.spdx.json
  [ "$(jq -r .spdxVersion "$sbom")" = "SPDX-2.3" ]
  names=$(jq -r '.packages[].name' "$sbom")
  for crate in disruption-guard disruption-guard-engine kubewarden-policy-sdk chrono-tz serde_json; do
    grep -qx "$crate" <<< "$names" || { echo "the SBOM lacks $crate"; return 1; }
  done
  # Only what the module is built from: no test, bench or host-side crate.
  for crate in wasmtime criterion proptest disruption-guard-cli; do
    ! grep -qx "$crate" <<< "$names" || { echo "the SBOM lists $crate, which policy.wasm does not contain"; return 1; }
  done
}

@test "kwctl pushes the release to the registry and pulls back the same bytes" {
  # stdout is the JSON answer; kwctl logs on stderr (the README, multi-line, stays out of the OCI manifest).
  immutable=$(kwctl push --sources-path "$STATE/sources.yml" -o json dist/policy.wasm "$MODULE" \
    2> "$STATE/logs/push.log" | jq -r .immutable_ref)
  [[ "$immutable" == "127.0.0.1:"*"/disruption-guard/policies/disruption-guard@sha256:"* ]]
  kwctl pull --sources-path "$STATE/sources.yml" -o "$STATE/pulled.wasm" "$MODULE"
  cmp dist/policy.wasm "$STATE/pulled.wasm"
}

@test "kwctl inspect reads the metadata, annotations and rules from the registry" {
  # kwctl inspects what its store holds: pull into the store, as a user does before inspecting.
  kwctl pull --sources-path "$STATE/sources.yml" "$MODULE" 2> "$STATE/logs/pull.log"
  run kwctl inspect -o yaml "$MODULE"
  [ "$status" -eq 0 ]
  [[ "$output" == *"io.kubewarden.policy.title: disruption-guard"* ]]
  [[ "$output" == *"io.kubewarden.policy.version: $VERSION"* ]]
  [[ "$output" == *"- nodepools"* ]]
  [[ "$output" == *"- poddisruptionbudgets"* ]]
  [[ "$output" == *"mutating: true"* ]]
  [[ "$output" == *"kubernetes/list_resources_all"* ]]
}

@test "a PolicyServer pulls the module from the registry and denies the incident NodePool" {
  free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
  port=$(free_port) ready=$(free_port)
  # The README's NodePool guard settings, without the capacity calculator: there is no cluster to read here.
  cat > "$STATE/policies.yml" <<EOF
nodepools:
  module: $MODULE
  allowedToMutate: true
  settings:
    businessHours: {timezone: Asia/Seoul, days: [Mon, Tue, Wed, Thu, Fri], start: "09:00", end: "18:00"}
    nodePools: {allowedConsolidationPolicies: [WhenEmpty], minConsolidateAfter: 5m, maxBudgetNodes: "10%"}
    capacity: {enabled: false}
EOF
  mkdir -p "$STATE/downloads"
  "${POLICY_SERVER:-policy-server}" --policies "$STATE/policies.yml" --sources-path "$STATE/sources.yml" \
    --policies-download-dir "$STATE/downloads" --sigstore-cache-dir "$STATE/sigstore" \
    --addr 127.0.0.1 --port "$port" --readiness-probe-port "$ready" --workers 1 \
    --ignore-kubernetes-connection-failure --log-no-color > "$STATE/logs/policy-server.log" 2>&1 &
  echo $! > "$STATE/policy-server.pid"
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$ready/readiness" >/dev/null && break; sleep 0.2; done
  # It serves the module it downloaded from the registry, byte for byte the release.
  downloaded=$(find "$STATE/downloads" -type f -name '*disruption-guard*' | head -n 1)
  [ -n "$downloaded" ] || { cat "$STATE/logs/policy-server.log"; return 1; }
  cmp dist/policy.wasm "$downloaded"

  response=$(review nodepool-incident.json | curl -sf -X POST -H 'Content-Type: application/json' \
    --data-binary @- "http://127.0.0.1:$port/validate/nodepools")
  [ "$(jq -r .response.allowed <<< "$response")" = false ]
  message=$(jq -r .response.status.message <<< "$response")
  [[ "$message" == *"WhenEmptyOrUnderutilized"* ]]
  [[ "$message" == *"nodepool-consolidation-policy"* ]]

  response=$(review nodepool-fixed.json | curl -sf -X POST -H 'Content-Type: application/json' \
    --data-binary @- "http://127.0.0.1:$port/validate/nodepools")
  [ "$(jq -r .response.allowed <<< "$response")" = true ]
}
