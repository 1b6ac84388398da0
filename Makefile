# disruption-guard. `make demo` and `make test` are the two entry points (see README.md).
CARGO ?= cargo
CARGO_FLAGS ?= --locked
SOURCES := $(shell find src engine/src -name '*.rs') Cargo.toml Cargo.lock engine/Cargo.toml

.PHONY: wasm-target fmt lint unit-tests e2e-tests test demo bench clean

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

fmt:
	$(CARGO) fmt --all -- --check

lint: | wasm-target
	$(CARGO) $(CARGO_FLAGS) clippy --workspace --all-targets -- -D warnings
	$(CARGO) $(CARGO_FLAGS) clippy --target wasm32-wasip1 -p disruption-guard -- -D warnings

unit-tests:
	$(CARGO) $(CARGO_FLAGS) test -p disruption-guard-engine -p disruption-guard -p disruption-guard-cli

# The always-on suite runs policy.wasm in wasmtime; kwctl suites (*.bats) run only when kwctl is installed.
e2e-tests: policy.wasm
	$(CARGO) $(CARGO_FLAGS) test -p e2e-tests
	@if command -v kwctl >/dev/null && command -v bats >/dev/null; then \
		$(MAKE) annotated-policy.wasm && bats e2e-tests/*.bats; \
	else echo "kwctl suites (e2e-tests/*.bats) skipped: they need kwctl and bats on PATH"; fi

test: fmt lint unit-tests e2e-tests

demo: policy.wasm
	@$(CARGO) $(CARGO_FLAGS) run -q -p e2e-tests --bin demo

bench: policy.wasm
	$(CARGO) $(CARGO_FLAGS) bench -p disruption-guard-engine
	$(CARGO) $(CARGO_FLAGS) bench -p e2e-tests

clean:
	$(CARGO) clean
	rm -f policy.wasm annotated-policy.wasm
