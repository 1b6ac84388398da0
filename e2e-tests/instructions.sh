#!/usr/bin/env bash
# Instructions per call for each admission case (see examples/wasm_instructions.rs), from callgrind's dump
# after each case. Usage: instructions.sh EXAMPLE_BINARY [CALLS]
set -euo pipefail
binary=$1
calls=${2:-20}
out=$(mktemp -d)
valgrind --tool=callgrind --collect-atstart=no --toggle-collect='wasm_instructions::run' \
    --dump-after='wasm_instructions::run' --callgrind-out-file="$out/cg" "$binary" "$calls" \
    2> >(grep -v '^==' > "$out/names") > /dev/null
sleep 1 # Let the names arrive.
echo "| case | instructions per call |"
echo "|---|---|"
i=0
while IFS= read -r name; do
    i=$((i + 1))
    total=$(awk '/^totals:/ { print $2 }' "$out/cg.$i")
    printf '| %s | %s |\n' "$name" "$((total / calls))"
done < "$out/names"
rm -r "$out"
