# smoke.sh: `bench/run.sh --smoke`: every section, and the scripts that
# write a block of their own (bench/ctld.sh, bench/console.sh), for a
# few seconds each with tiny sizes, into a scratch report that is then
# checked for numbers.  The figures mean nothing; what counts is that
# every benchmark still runs to its end, so that none can rot unseen
# (CI runs this after ./stack test).
# shellcheck shell=bash

# Every step of a smoke run, in order: the sections, then the scripts.
# shellcheck disable=SC2034 # read by run.sh
BENCH_SMOKE_STEPS=("${BENCH_SECTIONS[@]}" "${BENCH_OWN_BLOCKS[@]}")

# Shrinks every section to a few seconds (after the flow files set their
# defaults, which it overrides).
# shellcheck disable=SC2034 # read by the flow files
bench_smoke_sizes()
{
	BENCH_SECONDS=3		# the least bench_wrk measures over
	BENCH_LOGIN_SECONDS=3 BENCH_LOGIN_RUNS=1 BENCH_LOGIN_CONNS=2
	BENCH_LOGIN_USERS=2 BENCH_ARGON2_COUNT=2
	BENCH_REPORT_COUNT=3 BENCH_REPORT_INTERVAL=0.2 BENCH_REPORT_POLL=0.02
	BENCH_REPORT_LOAD_RPS=20 BENCH_REPORT_LOAD_CONNS=2 BENCH_REPORT_REFS=2
	BENCH_UPLOAD_MIB=8 BENCH_UPLOAD_RUNS=1
	BENCH_THUMBS_COUNT=2 BENCH_THUMBS_WIDTH=640 BENCH_THUMBS_HEIGHT=480
	BENCH_THUMBS_RUNS=1 BENCH_THUMBS_UPLOADERS=2 BENCH_THUMBS_TIMEOUT=60
	BENCH_MEMORY_REST=1
	BENCH_SCALE_WORKERS=1 BENCH_SCALE_IDLE=1 BENCH_SCALE_CTLD_SIZES="8 64"
	BENCH_SCALE_CTLD_SECONDS=2 BENCH_SCALE_CTLD_WARMUP=1
	BENCH_SCALE_CTLD_CALLS=20 BENCH_SCALE_FILES="300 1000"
	BENCH_SCALE_ROUNDS=5 BENCH_SCALE_RENDERS=2 BENCH_SCALE_REPORTS=2
}

# The own-block scripts as steps, with their smallest shapes.  ctld.sh
# measures a private pfo3-ctld on the bench's stack (its PFO3_* variables
# are exported by bench_stack_start).
bench_section_ctld()
{
	bench_stack_start
	BENCH_OUT=$BENCH_OUT BENCH_WORKERS=4 BENCH_SECONDS=2 BENCH_WARMUP=2 \
	    BENCH_CALLS=20 "$BENCH_DIR/ctld.sh" >/dev/null
}

# console.sh keeps its 64 workers: it checks that the pane shows a part
# of them ("1-30 of 64"), which it does only when they do not all fit.
bench_section_console()
{
	BENCH_OUT=$BENCH_OUT BENCH_SECONDS=2 \
	    PFO3_BUILDDIR=$(dirname "$WORKERD") "$BENCH_DIR/console.sh" >/dev/null
}

# Accepts a step; fails, saying why, unless the scratch report holds its
# block with figures: a table row with a number other than zero, every
# bold figure (the ratios) a number or numbers joined by " / ", and no
# NaN or infinity from a division.
bench_smoke_check()
{
	local name=$1 block bold

	block=$(bench_doc_old_block "$BENCH_OUT" "$name")
	[[ -n $block ]] || { bench_say "smoke: $name wrote no block"; return 1; }
	if grep -Eiqw -- '-?nan|-?inf' <<<"$block"; then
		bench_say "smoke: $name wrote NaN or infinity:"
		grep -Eiw -- '-?nan|-?inf' <<<"$block" >&2
		return 1
	fi
	grep -Eq '^\|.*[1-9]' <<<"$block" ||
	    { bench_say "smoke: $name has no table with a figure"; return 1; }
	bold=$(grep -o '\*\*[^*]*\*\*' <<<"$block" | tr -d '*' |
	    grep -Evx '[0-9]+(\.[0-9]+)?( / [0-9]+(\.[0-9]+)?)*' || true)
	[[ -z $bold ]] ||
	    { bench_say "smoke: $name has figures that are not numbers: $bold"; return 1; }
}

# Accepts steps; runs each in a subshell of its own, so that one that
# fails (bench_die) leaves the others to run, and checks its block.
# Prints a verdict per step; fails when any step failed.
bench_smoke()
{
	local s rc failed=() t0

	BENCH_OUT=$BENCH_TMP/BENCHMARKS.md
	# Flow steps share one stack, started here: a stack started inside a
	# step's subshell would outlive it unseen.
	for s in "$@"; do
		case $s in
		console)	;;
		*)		bench_stack_start; break ;;
		esac
	done
	for s in "$@"; do
		bench_say "smoke: $s"
		t0=$SECONDS
		set +e
		(
			set -e
			trap bench_stop_section EXIT
			"bench_section_$s" >/dev/null
		)
		rc=$?
		set -e
		if ((rc == 0)) && bench_smoke_check "$s"; then
			bench_say "smoke: ok $s ($((SECONDS - t0)) s)"
		else
			bench_say "smoke: FAIL $s ($((SECONDS - t0)) s)"
			failed+=("$s")
		fi
	done
	if ((${#failed[@]})); then
		bench_say "smoke: failed: ${failed[*]} (rerun with BENCH_KEEP=1 to keep the logs)"
		return 1
	fi
	bench_say "smoke: all $# steps ran and wrote figures"
}
