# disruption-guard. `make demo` and `make test` are the two entry points (see README.md).
CARGO ?= cargo
CARGO_FLAGS ?= --locked
SOURCES := $(shell find src engine/src -name '*.rs') engine/build.rs Cargo.toml Cargo.lock engine/Cargo.toml

WASM_BINDGEN_VERSION := 0.2.130
CARGO_SBOM_VERSION := 0.10.0
# The release's version, which every file that names one repeats (e2e-tests/tests/release.rs holds them equal).
VERSION := $(shell sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)

.PHONY: wasm-target web-target wasm-bindgen cargo-sbom version fmt lint unit-tests e2e-tests cluster-tests registry-tests cluster-fixtures release web web-test screenshots test demo bench bench-instructions fuzz clean

policy.wasm: $(SOURCES) | wasm-target
	$(CARGO) $(CARGO_FLAGS) build --release --target wasm32-wasip1 -p disruption-guard
	cp target/wasm32-wasip1/release/disruption_guard.wasm policy.wasm

wasm-target:
	@rustup target list --installed | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1

annotated-policy.wasm: policy.wasm metadata.yml README.md
	kwctl annotate -m metadata.yml -u README.md -o annotated-policy.wasm policy.wasm

# The policy hub package (Artifact Hub), regenerated from metadata.yml; a test keeps it consistent.
artifacthub-pkg.yml: metadata.yml
	kwctl scaffold artifacthub -m metadata.yml -o artifacthub-pkg.yml

# What a release publishes (CONTRIBUTING.md: Cutting a release): the annotated module under the name a
# Kubewarden release gives it, its sha256 (`sha256sum -c policy.wasm.sha256`), and an SPDX SBOM of the crates
# compiled into it (named as Kubewarden's releases name theirs). cargo sbom lists the crates linked in;
# sbom-build-data.jq adds chrono-tz, whose tz database engine/build.rs compiles into the module as tables.
release: annotated-policy.wasm | cargo-sbom
	rm -rf dist && mkdir dist
	cp annotated-policy.wasm dist/policy.wasm
	cd dist && sha256sum policy.wasm > policy.wasm.sha256
	$(CARGO) sbom --cargo-package disruption-guard > dist/cargo-sbom.json
	jq -f sbom-build-data.jq \
		--arg version "$$(awk '/^name = "chrono-tz"$$/ { getline; gsub(/version = |"/, ""); print }' Cargo.lock)" \
		--arg engine "SPDXRef-Package-disruption-guard-engine-$(VERSION)" dist/cargo-sbom.json > dist/policy-sbom.spdx.json
	rm dist/cargo-sbom.json
	@echo "dist/: disruption-guard v$(VERSION): policy.wasm ($$(stat -c %s dist/policy.wasm) bytes), its sha256, its SBOM"

version:
	@echo $(VERSION)

cargo-sbom:
	@$(CARGO) sbom --version 2>/dev/null | grep -q " $(CARGO_SBOM_VERSION)$$" || $(CARGO) install --locked cargo-sbom --version $(CARGO_SBOM_VERSION)

fmt:
	$(CARGO) fmt --all -- --check

lint: | wasm-target
	$(CARGO) $(CARGO_FLAGS) clippy --workspace --all-targets -- -D warnings
	$(CARGO) $(CARGO_FLAGS) clippy --target wasm32-wasip1 -p disruption-guard -- -D warnings

unit-tests:
	$(CARGO) $(CARGO_FLAGS) test --workspace --exclude e2e-tests

# The always-on suite runs policy.wasm in wasmtime; kwctl suites (*.bats) run only when kwctl is installed.
e2e-tests: policy.wasm
	$(CARGO) $(CARGO_FLAGS) test -p e2e-tests
	@if command -v kwctl >/dev/null && command -v bats >/dev/null; then \
		$(MAKE) annotated-policy.wasm && bats --tap e2e-tests/policy.bats; \
	else echo "kwctl suite (e2e-tests/policy.bats) skipped: it needs kwctl and bats on PATH"; fi

# The real-cluster suite: etcd, kube-apiserver and PolicyServer on 127.0.0.1, driven with kubectl
# (e2e-tests/cluster.bats). Skipped with one line when a tool is missing.
cluster-tests: policy.wasm
	@e2e-tests/cluster/run.sh

# The release through a real OCI registry: kwctl push, pull and inspect, and a PolicyServer that pulls it
# (e2e-tests/registry.bats). Skipped with one line when a tool is missing.
registry-tests: policy.wasm
	@e2e-tests/registry/run.sh

# Every AdmissionReview the cluster suite's API server sent, kept as the wasmtime suite's fixtures.
cluster-fixtures: policy.wasm
	rm -rf e2e-tests/fixtures/cluster/recorded
	CLUSTER_RECORDINGS=$(CURDIR)/e2e-tests/fixtures/cluster/recorded e2e-tests/cluster/run.sh

# The browser playground: the engine through wasm-bindgen, served from web/ by any static server.
web: | web-target wasm-bindgen
	$(CARGO) $(CARGO_FLAGS) build --profile web --target wasm32-unknown-unknown -p disruption-guard-web
	wasm-bindgen --target web --no-typescript --out-dir web/pkg target/wasm32-unknown-unknown/web/disruption_guard_web.wasm

web-target:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

# --locked first; when the registry no longer holds a locked version (webpki-roots 1.0.11, which
# wasm-bindgen-cli 0.2.130 locks, is gone from it), the newest compatible versions instead.
wasm-bindgen:
	@wasm-bindgen --version 2>/dev/null | grep -q " $(WASM_BINDGEN_VERSION)$$" || \
		$(CARGO) install --locked wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) || \
		$(CARGO) install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)

# The playground in Debian's Chromium, driven by playwright-core (installs both when missing; apt needs root).
web-test: web
	@command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)
	cd web/test && npm ci --no-audit --no-fund && node --test playground.test.mjs

# docs/playground-*.png, as referenced from the README.
screenshots: web
	cd web/test && SCREENSHOTS=1 node --test playground.test.mjs

# Every suite, then one line: how many tests passed and failed, and which suite skipped itself and why.
test:
	@log=$$(mktemp); \
	{ $(MAKE) --no-print-directory fmt lint unit-tests e2e-tests cluster-tests registry-tests web-test 2>&1; echo $$? > $$log.status; } | tee $$log; \
	e2e-tests/summary.sh $$log "$$(cat $$log.status)"

demo: policy.wasm
	@$(CARGO) $(CARGO_FLAGS) run -q -p e2e-tests --bin demo

# The table (median and p99, wasm and native, every case) first; then criterion, natively for the engine
# and for the same cases natively and in wasm. BENCH_FILTER selects cases by name.
bench: policy.wasm
	$(CARGO) $(CARGO_FLAGS) bench -p e2e-tests --bench table -- $(BENCH_FILTER)
	$(CARGO) $(CARGO_FLAGS) bench -p disruption-guard-engine
	$(CARGO) $(CARGO_FLAGS) bench -p e2e-tests --bench wasm

# Instructions per call of each admission case in policy.wasm, counted by valgrind (apt-get install valgrind):
# the same from run to run, where wall-clock medians on a shared machine vary. The host is built unstripped,
# so that callgrind finds the function it counts in, in a target directory of its own.
INSTRUCTIONS_TARGET := target/instructions
# Calls per case: the count is exact, so a few suffice (the hostile cases run 1,000x longer under valgrind).
INSTRUCTION_CALLS ?= 3
bench-instructions: policy.wasm
	@command -v valgrind >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y valgrind)
	CARGO_TARGET_DIR=$(INSTRUCTIONS_TARGET) CARGO_PROFILE_RELEASE_STRIP=false CARGO_PROFILE_RELEASE_LTO=false \
		CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 $(CARGO) $(CARGO_FLAGS) build --release -p e2e-tests --example wasm_instructions
	DISRUPTION_GUARD_WASM=$(CURDIR)/policy.wasm e2e-tests/instructions.sh $(INSTRUCTIONS_TARGET)/release/examples/wasm_instructions $(INSTRUCTION_CALLS)

# libFuzzer campaigns (not part of CI): FUZZ_SECONDS per target; an input over 1 s fails (-timeout=1).
# cargo fuzz needs nightly flags; on the stable toolchain RUSTC_BOOTSTRAP=1 enables them, and panics are
# caught without a sanitizer runtime.
FUZZ_SECONDS ?= 600
fuzz:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz
	cd fuzz && for target in validate validate_nodepool validate_settings evaluate_with_cluster; do \
		RUSTC_BOOTSTRAP=1 cargo fuzz run $$target --sanitizer none -- -max_total_time=$(FUZZ_SECONDS) -timeout=1 -dict=json.dict || exit 1; \
	done

clean:
	$(CARGO) clean
	rm -rf policy.wasm annotated-policy.wasm dist
