#!/usr/bin/env bash
# Fresh machine: install dependencies and run the whole test suite.
# Live eBPF tests need root; with CI=true they fail instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cargo-env.sh
bash scripts/deps.sh
export SYSPECT_SHARED="${SYSPECT_SHARED:-$(cd .. && pwd)/shared}"
cargo build --release --locked --bins 2>&1 | tail -n 2
# The binary the setup installs (`cargo xtask dist`, profile-guided): the
# suite checks it prints what the release build does.
SYSPECT_DIST_BIN="$(cargo xtask dist)"
export SYSPECT_DIST_BIN
cargo test --release --locked --all-targets --no-fail-fast -- --test-threads=2
