#!/usr/bin/env bash
# Fresh machine: install dependencies, build, and start the live explorer.
# Extra arguments go to syspect (e.g. `-r capture.scap`, a filter).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cargo-env.sh
bash scripts/deps.sh
cargo build --release --locked 2>&1 | tail -n 3
# (Built for the host triple, see .cargo/config.toml.)
exec "./target/$(rustc -vV | sed -n 's/^host: //p')/release/syspect" "$@"
