# flow-upload.sh: the `upload` section.  MB/s of one large raw-body upload
# (POST /api/v1/files) through the stack's HAProxy, against `curl -T` of
# the same file straight to the same S3 server, and against the same chain
# with nginx in the workers' place, alternated in one run.
# shellcheck shell=bash

BENCH_UPLOAD_MIB=${BENCH_UPLOAD_MIB:-256}
BENCH_UPLOAD_RUNS=${BENCH_UPLOAD_RUNS:-3}

# Accepts a token; fails, saying so, unless POST /api/v1/files takes a
# small raw body with 201 (a build without the endpoint answers 404).
bench_files_probe()
{
	local token=$1 out code

	out=$(curl -sS -o "$BENCH_TMP/probe.out" -w '%{http_code}' -X POST \
	    --data-binary 'bench probe' -H "Authorization: Bearer $token" \
	    -H 'Content-Type: text/plain' \
	    "$BENCH_HTTP/api/v1/files?name=bench-probe.txt") ||
	    bench_die "POST /api/v1/files: curl failed: $out"
	code=$out
	case $code in
	201)	return 0 ;;
	404|405)
		bench_die "POST /api/v1/files answered $code" \
		    "($(head -c 200 "$BENCH_TMP/probe.out")): the upload endpoint" \
		    "is missing from this build ($WORKERD); nothing was measured" ;;
	*)
		bench_die "POST /api/v1/files answered $code" \
		    "($(head -c 300 "$BENCH_TMP/probe.out")) to a small upload;" \
		    "nothing was measured" ;;
	esac
}

# Accepts a pid; prints "VmRSS VmHWM" in KiB.
bench_rss_hwm()
{
	awk '$1 == "VmRSS:" { r = $2 } $1 == "VmHWM:" { h = $2 }
	    END { print r + 0, h + 0 }' "/proc/$1/status" 2>/dev/null ||
	    echo "0 0"
}

# Accepts pids; prints the context switches (voluntary and not) of all
# their threads so far.
bench_ctx_switches()
{
	local pid

	for pid in "$@"; do
		cat "/proc/$pid/task/"*/status 2>/dev/null
	done | awk '/^(non)?voluntary_ctxt_switches:/ { n += $2 }
	    END { print n + 0 }'
}

# Accepts a run id and its kind (ref, up or ngx); runs it and fills
# UP_SECS, UP_MBS, UP_CPU, UP_CPUMB, UP_CTX and, for an upload, UP_WORKER
# and UP_RSS.  The middle of the chain is the workers for an upload, the
# three nginx (and their HAProxy) for ngx.
bench_upload_run()
{
	local id=$1 kind=$2 t0 t1 c0 c1 w0 w1 h0 h1 s0 s1 x0 x1 secs out fid pid d r1
	local mids=$UPLOAD_WPIDS hpid=$UPLOAD_HPID
	local -A rss0

	if [[ $kind == ngx ]]; then
		mids=$UPLOAD_NPIDS hpid=$UPLOAD_NHPID
	fi
	for pid in $UPLOAD_WPIDS; do
		read -r "rss0[$pid]" _ <<<"$(bench_rss_hwm "$pid")"
	done
	# shellcheck disable=SC2086 # lists of pids
	{ w0=$(bench_pid_ticks $mids); h0=$(bench_pid_ticks "$hpid")
	  s0=$(bench_pid_ticks "$UPLOAD_SPID"); read -r c0 _ <<<"$(bench_machine_ticks)"
	  x0=$(bench_ctx_switches $mids); }
	t0=$(date +%s%N)
	if [[ $kind == ref ]]; then
		secs=$(bench_s3_put "$UPLOAD_FILE" "bench/upload-$id" \
		    application/octet-stream)
		secs=$(awk -v s="$secs" 'BEGIN { printf "%.2f", s }')
		bench_s3_delete "bench/upload-$id"
	elif [[ $kind == ngx ]]; then
		# The same signed PUT, to the HAProxy in front of the nginx.
		secs=$(PFO3_S3_ENDPOINT=http://127.0.0.1:$HX_SHAPE_PORT \
		    bench_s3_put "$UPLOAD_FILE" "bench/upload-$id" \
		    application/octet-stream)
		secs=$(awk -v s="$secs" 'BEGIN { printf "%.2f", s }')
		bench_s3_delete "bench/upload-$id"
	else
		out=$(curl -sS -o "$BENCH_TMP/upload.out" -D "$BENCH_TMP/upload.hdr" \
		    -w '%{http_code} %{time_total}' -X POST -T "$UPLOAD_FILE" \
		    -H 'Expect:' -H "Authorization: Bearer $UPLOAD_TOKEN" \
		    -H 'Content-Type: application/octet-stream' \
		    "$BENCH_HTTP/api/v1/files?name=bench-upload.bin") ||
		    bench_die "the upload failed: $out"
		[[ ${out%% *} == 201 ]] || bench_die "the upload answered" \
		    "${out%% *}: $(head -c 300 "$BENCH_TMP/upload.out")"
		secs=$(awk -v s="${out#* }" 'BEGIN { printf "%.2f", s }')
		# The answer must describe the very bytes sent.
		fid=$(python3 - "$BENCH_TMP/upload.out" "$UPLOAD_BYTES" \
		    "$UPLOAD_SHA" <<-'PY'
		import json, sys
		f = json.load(open(sys.argv[1]))
		if f.get("size") != int(sys.argv[2]) or f.get("sha256") != sys.argv[3]:
		    sys.exit("the upload's answer does not match the file: %r" % f)
		print(f["id"])
		PY
		) || bench_die "wrong upload answer"
		UP_WORKER[$id]=$(awk -F': *' 'tolower($1) == "x-pfo3-worker" {
		    sub(/\r$/, "", $2); print $2 }' "$BENCH_TMP/upload.hdr")
		pid=$(pid_get "${UP_WORKER[$id]:-none}" || true)
		if [[ -n $pid ]]; then
			read -r r1 _ <<<"$(bench_rss_hwm "$pid")"
			UP_RSS[$id]="${rss0[$pid]} → $r1"
		fi
	fi
	t1=$(date +%s%N)
	# shellcheck disable=SC2086
	{ w1=$(bench_pid_ticks $mids); h1=$(bench_pid_ticks "$hpid")
	  s1=$(bench_pid_ticks "$UPLOAD_SPID"); read -r c1 _ <<<"$(bench_machine_ticks)"
	  x1=$(bench_ctx_switches $mids); }
	if [[ $kind == up ]] && ! bench_api DELETE "/api/v1/files/$fid" "" \
	    204 "$UPLOAD_TOKEN" >/dev/null; then
		bench_say "  (could not delete file $fid)"
	fi
	UP_SECS[$id]=$secs
	UP_MBS[$id]=$(awk -v b="$UPLOAD_BYTES" -v s="$secs" \
	    'BEGIN { printf "%.1f", b / s / 1e6 }')
	d="$(((t1 - t0) / 1000000))e-3"
	UP_CPU[$id]="$(bench_cpu_pct "$w0" "$w1" "$d") | $(bench_cpu_pct "$h0" "$h1" "$d") | $(bench_cpu_pct "$s0" "$s1" "$d") | $(bench_cpu_pct "$c0" "$c1" "$d")"
	# CPU per MB moves much less than MB/s with other tenants: the
	# cost of our side (workers, HAProxy) beside the S3 server's.
	UP_CPUMB[$id]=$(awk -v w=$((w1 - w0)) -v h=$((h1 - h0)) \
	    -v s=$((s1 - s0)) -v b="$UPLOAD_BYTES" -v hz="$(getconf CLK_TCK)" \
	    'BEGIN { f = 1000 / hz / (b / 1e6)
	    printf "%.2f / %.2f / %.2f", w * f, h * f, s * f }')
	UP_CTX[$id]=$(awk -v x=$((x1 - x0)) -v b="$UPLOAD_BYTES" \
	    'BEGIN { printf "%.1f", x / (b / 1e6) }')
	bench_say "  $id: ${UP_MBS[$id]} MB/s (${secs}s)"
}

bench_section_upload()
{
	local i

	UPLOAD_LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
	bench_stack_start
	declare -gA UP_SECS UP_MBS UP_CPU UP_CPUMB UP_CTX UP_WORKER UP_RSS
	bench_user 1 upload
	UPLOAD_TOKEN=$(bench_token 1 upload)
	bench_files_probe "$UPLOAD_TOKEN"

	UPLOAD_FILE=$BENCH_TMP/upload.bin
	head -c $((BENCH_UPLOAD_MIB * 1048576)) /dev/urandom >"$UPLOAD_FILE"
	UPLOAD_BYTES=$(stat -c %s "$UPLOAD_FILE")
	UPLOAD_SHA=$(sha256sum "$UPLOAD_FILE" | cut -d' ' -f1)
	UPLOAD_WPIDS=$(bench_stack_worker_pids)
	UPLOAD_HPID=$(pid_get haproxy)
	UPLOAD_SPID=$(pid_get s3)
	# The stack's configuration, else the default of the sample file.
	UPLOAD_PUT_MAX=$(awk '$1 == "single_put_max" && $2 == "=" {
	    gsub(/[";]/, "", $3); print $3; exit }' "$(worker_conf)" \
	    "$SRCDIR/etc/pfo3.conf")
	# The same chain with nginx streaming to the same S3 in the workers'
	# place, behind a HAProxy on the configuration ./stack generates.
	bench_shape_servers "$BENCH_DIR/nginx-upload.conf.in" \
	    "S3_ADDR=${PFO3_S3_ENDPOINT#http://}"
	UPLOAD_NHPID=$HX_SHAPE_PID
	UPLOAD_NPIDS=$(for pid in "${SHAPE_PIDS[@]}"; do
		echo "$pid"; pgrep -P "$pid"; done | tr '\n' ' ')

	# One of each first, unmeasured: the S3 server (node) runs much slower
	# until its code is warm.
	bench_say "upload: warming up"
	bench_upload_run warm_ref ref
	bench_upload_run warm_up up
	bench_upload_run warm_ngx ngx
	# ref_1 up_1 ngx_1 ref_2 ngx_2 up_2 ref_3 ...: each upload and each
	# nginx run between two references, taking turns at going first.
	UPLOAD_ORDER=(ref_1)
	for ((i = 1; i <= BENCH_UPLOAD_RUNS; i++)); do
		if ((i % 2)); then
			UPLOAD_ORDER+=("up_$i" "ngx_$i")
		else
			UPLOAD_ORDER+=("ngx_$i" "up_$i")
		fi
		UPLOAD_ORDER+=("ref_$((i + 1))")
	done
	for i in "${UPLOAD_ORDER[@]}"; do
		bench_upload_run "$i" "${i%%_*}"
	done
	rm -f "$UPLOAD_FILE"
	bench_stop_spawned
	HX_SHAPE_PID=	# gone: later sections' CPU groups leave it out
	bench_doc_section upload bench_upload_block
}

# Accepts an upload or nginx run id; prints its MB/s ÷ the mean of the
# references around it.
bench_upload_ratio()
{
	local n=${1#*_}

	bench_ratio_around "${UP_MBS[$1]}" "${UP_MBS[ref_$n]}" \
	    "${UP_MBS[ref_$((n + 1))]}"
}

# Accepts a kind (up or ngx); prints the ratios of its runs, then "|"
# and their median in bold: two cells of a table row.
bench_upload_ratios()
{
	local id ratios=()

	for id in "${UPLOAD_ORDER[@]}"; do
		[[ $id == "$1"_* ]] && ratios+=("$(bench_upload_ratio "$id")")
	done
	printf '%s | **%s**' "$(bench_join "${ratios[@]}")" \
	    "$(printf '%s\n' "${ratios[@]}" | bench_median)"
}

# Prints each upload's MB/s ÷ that of the nginx run beside it, then "|"
# and their median in bold: two cells of a table row.
bench_upload_vs_nginx()
{
	local i ratios=()

	for ((i = 1; i <= BENCH_UPLOAD_RUNS; i++)); do
		ratios+=("$(bench_div "${UP_MBS[up_$i]}" "${UP_MBS[ngx_$i]}")")
	done
	printf '%s | **%s**' "$(bench_join "${ratios[@]}")" \
	    "$(printf '%s\n' "${ratios[@]}" | bench_median)"
}

bench_upload_block()
{
	local id i=0 ratio what

	cat <<-EOF
	## Upload MB/s against curl -T to S3

	| ratio | each run | median |
	|---|---|---:|
	| upload MB/s through HAProxy ÷ \`curl -T\` straight to S3 | $(bench_upload_ratios up) |
	| the same chain with nginx in the workers' place ÷ \`curl -T\` straight to S3 | $(bench_upload_ratios ngx) |
	| upload MB/s through HAProxy ÷ the same chain with nginx (the run beside it) | $(bench_upload_vs_nginx) |

	One file of $BENCH_UPLOAD_MIB MiB of random bytes ($UPLOAD_BYTES bytes), sent
	by curl as a raw body: \`POST /api/v1/files?name=…\` with
	\`Content-Type: application/octet-stream\` and a Bearer token through
	the stack's HAProxy (the worker streams it to S3 as one PUT, its
	length being known and under \`s3.single_put_max\` = ${UPLOAD_PUT_MAX:-?},
	with \`x-amz-content-sha256: UNSIGNED-PAYLOAD\`, hashing it on the way, and
	records it in PostgreSQL), against \`curl -T\` of the same file straight to the same
	S3 server (SigV4 signed by curl, \`x-amz-content-sha256:
	UNSIGNED-PAYLOAD\`), and against the same signed \`curl -T\` sent to the
	same chain with nginx in the workers' place: three nginx of one process
	each (\`bench/nginx-upload.conf.in\`: \`proxy_pass\` to the same S3
	server with \`proxy_request_buffering off\`, the Host header passed on
	so the signature holds) behind a HAProxy on the configuration
	\`./stack\` generates from \`etc/haproxy.cfg.in\` for them (splice,
	checks, logs as shipped). That row is what a plain streaming proxy
	gets through the same chain with no authentication, hash or
	database: the part of the gap that is not the worker's. The runs
	alternate, a reference before and after each pair of an upload and an
	nginx run (which goes first takes turns), each compared with the
	mean of the two references around it; the median of the runs is the
	figure. The third row divides each upload by the nginx run beside it,
	the two being of the same chain and moved alike by other load on the
	machine. Each upload's answer must give the file's size and SHA-256;
	the file is deleted after each run. MB are 10^6 bytes; times are
	curl's \`time_total\`. The upload sends no \`Expect:\` header; the
	references keep curl's \`Expect: 100-continue\` (an empty \`Expect:\`
	would be signed and refused by the S3 server).

	| run | what | seconds | MB/s | ratio | CPU % middle / HAProxy / S3 server / machine | CPU ms per MB middle / HAProxy / S3 server | context switches per MB, middle | serving worker RSS KiB |
	|---:|---|---:|---:|---:|---|---|---:|---|
	$(for id in "${UPLOAD_ORDER[@]}"; do
		i=$((i + 1))
		case $id in
		ref_*)
			# shellcheck disable=SC2016 # backquotes of markdown
			printf '| %d | `curl -T` to S3 | %s | %s | — | %s | %s | — | — |\n' "$i" \
			    "${UP_SECS[$id]}" "${UP_MBS[$id]}" "${UP_CPU[$id]//|/\/}" \
			    "${UP_CPUMB[$id]}"
			continue ;;
		ngx_*)
			# shellcheck disable=SC2016
			what='`curl -T` via HAProxy → nginx → S3' ;;
		*)
			what="POST /api/v1/files via HAProxy (${UP_WORKER[$id]:-?})" ;;
		esac
		ratio=$(bench_upload_ratio "$id")
		printf '| %d | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
		    "$i" "$what" "${UP_SECS[$id]}" "${UP_MBS[$id]}" \
		    "$ratio" "${UP_CPU[$id]//|/\/}" "${UP_CPUMB[$id]}" \
		    "${UP_CTX[$id]}" "${UP_RSS[$id]:-—}"
	done)

	One run of each first, unmeasured: the S3 server (node) is up to
	three times slower until its code is warm. The middle of the chain is
	the three workers for an upload, the three nginx (masters and their
	worker processes) for the nginx runs; the HAProxy is the stack's for
	an upload, the nginx's own (same configuration) for the nginx runs.
	CPU is each process's user+system time over the run, in percent of
	one core (the machine's is all its cores' busy time), and the same
	time in ms per MB of the file; context switches are the middle's
	threads', voluntary and not, per MB. RSS is the serving worker's
	VmRSS before → after the upload.

	$(bench_doc_machine "$UPLOAD_LOADAVG")

	Rerun: \`bench/run.sh upload\` (\`BENCH_UPLOAD_MIB\`, \`BENCH_UPLOAD_RUNS\`).
	EOF
}
