#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS] [TARGET...]: builds the libFuzzer targets in
# build-fuzz/ (./configure --enable-fuzz CC=clang) and runs each for SECONDS
# (default 20), one after the other on one core; every tests/fuzz/fuzz-*.c
# by default, after checking that Makefile.am builds each.  The corpus in the tree
# (tests/fuzz/corpus/TARGET) is read, never written: new inputs go to
# build-fuzz/fuzz/corpus/TARGET.  Fails on the first target that crashes,
# leaks, hangs or breaks one of its checks, and prints where the input that
# did it was saved and how to replay it.
# shellcheck source-path=SCRIPTDIR/../..
set -euo pipefail

SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRCDIR/build-aux/stack/lib.sh"
. "$SRCDIR/build-aux/stack/deps.sh"
. "$SRCDIR/build-aux/stack/build.sh"

# The targets: one per tests/fuzz/fuzz-NAME.c, all run by default.  Each
# must be in Makefile.am's FUZZ_TARGETS too, or it is never built: a
# parser's fuzzer shipped in the tree but run by nothing fails here.
TARGETS=()
for f in "$SRCDIR"/tests/fuzz/fuzz-*.c; do
	t=${f##*/fuzz-}
	TARGETS+=("${t%.c}")
done
fuzz_listed=$(awk '/^FUZZ_TARGETS[ \t]*=/ { on = 1 }
	on { print; if (!/\\$/) exit }' "$SRCDIR/Makefile.am")
for t in "${TARGETS[@]}"; do
	[[ $fuzz_listed =~ (^|[[:space:]])tests/fuzz/fuzz-$t([[:space:]]|$) ]] ||
		die "tests/fuzz/fuzz-$t.c is not built: add tests/fuzz/fuzz-$t to FUZZ_TARGETS in Makefile.am (with its _SOURCES)"
done

seconds=${1:-20}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "usage: tests/fuzz/run.sh [SECONDS] [TARGET...]"
shift || true
(($# == 0)) || TARGETS=("$@")

deps_ensure	# clang and libclang-rt-14-dev (libFuzzer) among the rest
BUILD=$SRCDIR/build-fuzz
build_autogen
build_configure "$BUILD" --enable-fuzz CC=clang
build_make "$BUILD" "${TARGETS[@]/#/tests/fuzz/fuzz-}"

work=$BUILD/fuzz
# Leaks inside system libraries that pfo3 cannot free (see the file).
export LSAN_OPTIONS=suppressions=$SRCDIR/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}
for t in "${TARGETS[@]}"; do
	bin=$BUILD/tests/fuzz/fuzz-$t
	seeds=$SRCDIR/tests/fuzz/corpus/$t
	[[ -x $bin && -d $seeds ]] || die "no fuzz target '$t'"
	rm -rf "$work/crashes/$t"	# findings of an earlier run are not this one's
	mkdir -p "$work/corpus/$t" "$work/crashes/$t"
	dict=()
	[[ -f $SRCDIR/tests/fuzz/dict/$t.dict ]] &&
		dict=(-dict="$SRCDIR/tests/fuzz/dict/$t.dict")
	say "fuzzing $t for ${seconds}s"
	# One process on one core (-jobs/-workers left alone); a run over
	# 10 s for one input or 2 GB is a finding too.  Leak checks are on.
	if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/crashes/$t/" \
		"${dict[@]}" "$work/corpus/$t" "$seeds" >"$work/$t.log" 2>&1; then
		tail -n 60 "$work/$t.log" >&2
		for f in "$work/crashes/$t"/*; do
			[[ -f $f ]] || continue
			say "crashing input: $f"
			say "replay with: $bin $f"
		done
		die "fuzz target $t failed (log: $work/$t.log)"
	fi
	grep -E '^stat::number_of_executed_units|^Done' "$work/$t.log" >&2 || true
done
say "all ${#TARGETS[@]} fuzz targets ran ${seconds}s each without a finding"
