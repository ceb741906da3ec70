#!/usr/bin/env bash
# Open-ended fuzzing of every target in turn, SECONDS each (default 600), with libFuzzer through
# cargo-fuzz. New interesting inputs land in corpus/<target>/ (commit the ones worth keeping);
# a crash is written to artifacts/<target>/: fix it, then copy the input into corpus/<target>/ so
# the normal test command replays it for good (crates/fuzz-entry/tests/corpora.rs).
#
#   fuzz/run.sh [SECONDS] [TARGET ...]
#
# cargo-fuzz passes flags only a nightly compiler takes; RUSTC_BOOTSTRAP=1 lets this machine's
# stable compiler accept them. The first run builds every dependency with coverage
# instrumentation into fuzz/target (a long build, like a fresh workspace build).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}
shift || true
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz (crates.io)"
  cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi
for target in "${targets[@]}"; do
  echo "==> fuzzing $target for ${seconds}s"
  cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=65536
done
