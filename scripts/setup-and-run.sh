#!/usr/bin/env bash
# Fresh machine: install dependencies, build, and start the live explorer.
# Extra arguments go to syspect (e.g. `-r capture.scap`, a filter).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cargo-env.sh
bash scripts/deps.sh
# The optimised binary (profile-guided, see xtask/src/dist.rs): it prints
# its path, `target/<host triple>/dist/syspect`.
bin="$(cargo xtask dist)"
exec "$bin" "$@"
