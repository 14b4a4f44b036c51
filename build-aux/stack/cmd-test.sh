# shellcheck shell=bash
# cmd-test.sh: `./stack test [--sanitize=asan|tsan] [--keep] [--only=LIST]
# [--fault-doc]`: a -Werror build, a private stack on free ports in a
# temporary state folder, `make check` against it, then the fault suite on
# the same stack, and a verdict that also fails on skipped integration tests.

TEST_KEEP=0
TEST_FAILED=0

# test_sanitizer_env KIND: runtime options so reports land in the logs and
# the run stops being green when one appears.
test_sanitizer_env()
{
	case $1 in
	asan)
		export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1}
		export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
		;;
	tsan)
		export TSAN_OPTIONS=${TSAN_OPTIONS:-second_deadlock_stack=1:history_size=4}
		;;
	esac
}

# test_counts BUILDDIR: "passed failed skipped" over every test case of the
# last `make check` (automake's .trs files, one result per TAP line).
test_counts()
{
	local dir=$1
	find "$dir/tests" -name '*.trs' -print0 2>/dev/null |
		xargs -0 -r cat | awk '
		/^:test-result: (PASS|XFAIL)/ { p++ }
		/^:test-result: (FAIL|XPASS|ERROR)/ { f++ }
		/^:test-result: SKIP/ { s++ }
		END { printf "%d %d %d\n", p, f, s }'
}

# test_failed_logs BUILDDIR: prints the .log of each test that did not pass.
test_failed_logs()
{
	local trs
	while IFS= read -r -d '' trs; do
		if grep -Eq '^:global-test-result: (FAIL|XPASS|ERROR)' "$trs"; then
			printf '\n===== %s =====\n' "${trs%.trs}.log"
			cat "${trs%.trs}.log" 2>/dev/null || true
		fi
	done < <(find "$1/tests" -name '*.trs' -print0 2>/dev/null)
}

# test_skips BUILDDIR: prints every skipped integration test or test case;
# true when there is none.
test_skips()
{
	local dir=$1/tests/integration found=0 f
	for f in "$dir"/*.trs; do
		[[ -e $f ]] || continue
		if grep -q '^:test-result: SKIP' "$f"; then
			printf 'skipped: %s\n' "${f%.trs}"
			found=1
		fi
	done
	for f in "$dir"/*.log; do
		[[ -e $f ]] || continue
		if grep -q '# SKIP' "$f"; then
			grep -H '# SKIP' "$f"
			found=1
		fi
	done
	((found == 0))
}

# test_sanitizer_reports: prints the worker and pfo3-ctld logs holding a
# sanitizer report; true when there is none. They write their reports at
# exit, so this runs after the stack is stopped.
test_sanitizer_reports()
{
	local f found=0
	for f in "$RUN_DIR"/log/w*.log "$RUN_DIR"/log/ctld.log; do
		[[ -e $f ]] || continue
		if grep -Eq 'ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:' "$f"; then
			printf '\n===== sanitizer report in %s =====\n' "$f"
			cat "$f"
			found=1
		fi
	done
	((found == 0))
}

# test_workers_alive: true when pfo3-ctld, its supervisor and every worker
# of the stack still run (a test that kills a worker or pfo3-ctld waits
# until it has been started again; other tests start and stop private
# workers of their own).
test_workers_alive()
{
	local i alive=0
	if ! pid_get ctld >/dev/null; then
		warn "pfo3-ctld is gone"
		log_tail ctld 40
		alive=1
	fi
	if ! pid_get ctld-supervisor >/dev/null; then
		warn "the supervisor of pfo3-ctld is gone"
		log_tail ctld-supervisor 20
		alive=1
	fi
	for ((i = 1; i <= PFO3_WORKER_COUNT; i++)); do
		if ! pid_get "w$i" >/dev/null; then
			warn "w$i is gone"
			log_tail "w$i" 40
			alive=1
		fi
	done
	return "$alive"
}

# test_service_logs: the end of every service log.
test_service_logs()
{
	local f
	for f in "$RUN_DIR"/log/*.log; do
		[[ -e $f ]] || continue
		f=${f##*/}
		log_tail "${f%.log}" 25
	done
}

# test_faults SELECTION DOC: the fault suite (tests/fault/run.py) on the
# running test stack, after make check; SELECTION is "all" or fault names,
# DOC 1 to write doc/RELIABILITY.md. Its TAP goes to BUILDDIR/tests/fault.log.
# Bounded: the suite keeps to PFO3_FAULT_BUDGET seconds (default 600) and
# is killed 120 s past it. Adds its counts to FAULT_COUNTS; false on a failure.
test_faults()
{
	local sel=$1 doc=$2 log=$PFO3_BUILDDIR/tests/fault.log rc args=()
	[[ $sel == all ]] || args+=("--only=${sel// /,}")
	((doc)) && args+=(--write-doc)
	say "fault suite (${sel}; budget ${PFO3_FAULT_BUDGET:-600} s)"
	mkdir -p "${log%/*}"
	if timeout --kill-after=10 $((${PFO3_FAULT_BUDGET:-600} + 120)) \
		/usr/bin/python3 "$SRCDIR/tests/fault/run.py" "${args[@]}" >"$log" 2>&1; then
		rc=0
	else
		rc=$?
	fi
	FAULT_COUNTS=$(awk '/^ok /{p++} /^not ok /{f++} END {printf "%d %d", p, f}' "$log")
	grep -E '^(not ok|# )' "$log" | sed 's/^/    /' >&2 || true
	say "fault suite: $(grep -c '^ok ' "$log") passed, $(grep -c '^not ok ' "$log") failed (log: $log)"
	((rc == 0)) && ! grep -q '^not ok ' "$log" && grep -q '^1\.\.[0-9]' "$log"
}

# test_teardown: always runs (EXIT trap): stops the stack, removes the
# temporary state folder unless kept for a failure or --keep.
test_teardown()
{
	local rc=$?
	trap - EXIT INT TERM
	say "stopping the test stack"
	stack_stop || true
	if ((rc != 0 || TEST_FAILED)) && ((!TEST_ABORTED)); then
		test_service_logs
	fi
	if ((TEST_KEEP || rc != 0 || TEST_FAILED)); then
		say "state kept in $RUN_DIR"
	else
		rm -rf "$RUN_DIR"
	fi
	exit "$rc"
}

# cmd_test ARGS...
cmd_test()
{
	local sanitize='' builddir=build-test arg rc counts skipped=0
	local flags=(--enable-werror) only='' faults=default fault_doc=0 t
	FAULT_COUNTS='0 0'
	for arg in "$@"; do
		case $arg in
		--sanitize=asan) sanitize=asan builddir=build-asan flags+=(--enable-asan) ;;
		--sanitize=tsan) sanitize=tsan builddir=build-tsan flags+=(--enable-tsan) ;;
		--keep) TEST_KEEP=1 ;;
		--only=*)
			# tests/fault (all faults) or tests/fault/NAME select the
			# fault suite; the rest are make check's TESTS.
			only='' faults=''
			for t in ${arg#--only=}; do
				case $t in
				tests/fault | tests/fault/) faults=all ;;
				tests/fault/*) [[ $faults == all ]] || faults+="${faults:+ }${t#tests/fault/}" ;;
				*) only+="${only:+ }$t" ;;
				esac
			done
			[[ -n $only ]] || only=' '
			;;
		--fault-doc) fault_doc=1 ;;
		*) die "test: unknown option $arg (see ./stack help)" ;;
		esac
	done
	# The fault suite's bounds (answers within the dependency deadlines,
	# recovery within 20 s) are those of the shipped build; a sanitizer
	# build is several times slower, so its full run is make check alone,
	# and --only=tests/fault runs the suite on it by request.
	if [[ $faults == default ]]; then
		if [[ -n $sanitize ]]; then
			faults=''
			say "fault suite: runs on the plain build (./stack test); this $sanitize run is make check"
		else
			faults=all
		fi
	fi
	deps_ensure
	node_ensure
	PFO3_BUILDDIR=$SRCDIR/$builddir
	build_autogen
	build_configure "$PFO3_BUILDDIR" "${flags[@]}"
	build_make "$PFO3_BUILDDIR"
	# Build the test programs on two jobs; the tests then run one at a time.
	build_make "$PFO3_BUILDDIR" check TESTS=
	[[ -x $(workerd_path) ]] || die "$(workerd_path) was not built"
	test_sanitizer_env "$sanitize"
	# Tests that measure memory know the allocator is not the real one.
	export PFO3_SANITIZER=$sanitize

	RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pfo3-test.XXXXXX")
	# shellcheck disable=SC2034 # read by postgres.sh
	STACK_EPHEMERAL=1
	TEST_ABORTED=0
	ports_pick_free
	trap test_teardown EXIT
	trap 'TEST_ABORTED=1; exit 130' INT TERM
	say "test stack in $RUN_DIR (http port $PFO3_HTTP_PORT)"
	stack_start 1
	env_apply

	say "make check in $PFO3_BUILDDIR"
	# Results of tests no longer listed must not be counted.
	find "$PFO3_BUILDDIR/tests" \( -name '*.trs' -o -name '*.log' \) -delete 2>/dev/null || true
	# --only=LIST narrows the run to some tests while working on them; a
	# full run (no --only) is what CI and a release need.
	if make -C "$PFO3_BUILDDIR" -j1 check ${only:+TESTS="$only"}; then rc=0; else rc=$?; fi
	if [[ -n $faults ]] && ! test_faults "$faults" "$fault_doc"; then
		say "FAIL: the fault suite"
		TEST_FAILED=1
	fi

	if ! test_workers_alive; then
		say "FAIL: a worker of the stack died during the tests"
		TEST_FAILED=1
	fi
	workers_stop
	if ! test_sanitizer_reports; then
		say "FAIL: sanitizer reports in the worker logs"
		TEST_FAILED=1
	fi
	if ((rc != 0)); then
		test_failed_logs "$PFO3_BUILDDIR"
		say "FAIL: make check exited with status $rc"
		TEST_FAILED=1
	fi
	if ! test_skips "$PFO3_BUILDDIR"; then
		say "FAIL: integration tests were skipped (every one must run here)"
		TEST_FAILED=1
		skipped=1
	fi
	counts=$(test_counts "$PFO3_BUILDDIR")
	read -r -a counts <<<"$counts"
	printf '\nstack test%s: %s\n' "${sanitize:+ ($sanitize)}" \
		"$( ((TEST_FAILED)) && echo FAILED || echo OK)"
	printf 'test: %d passed, %d failed, %d skipped\n' "${counts[@]}"
	read -r -a counts <<<"$FAULT_COUNTS"
	[[ -n $faults ]] && printf 'fault suite: %d passed, %d failed\n' "${counts[@]}"
	if ((TEST_FAILED)); then
		((skipped)) && ((rc == 0)) && say "every test passed, but skipped ones count as failures"
		exit 1
	fi
}
