# flow-upload.sh: the `upload` section.  MB/s of one large raw-body upload
# (POST /api/v1/files) through the stack's HAProxy, against `curl -T` of
# the same file straight to the same S3 server, alternated in one run.
# shellcheck shell=bash

BENCH_UPLOAD_MIB=${BENCH_UPLOAD_MIB:-256}
BENCH_UPLOAD_RUNS=${BENCH_UPLOAD_RUNS:-2}

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

# Accepts a run id and its kind (ref or up); runs it and fills UP_SECS,
# UP_MBS, UP_CPU and, for an upload, UP_WORKER and UP_RSS.
bench_upload_run()
{
	local id=$1 kind=$2 t0 t1 c0 c1 w0 w1 h0 h1 s0 s1 secs out fid pid d r1
	local -A rss0

	for pid in $UPLOAD_WPIDS; do
		read -r "rss0[$pid]" _ <<<"$(bench_rss_hwm "$pid")"
	done
	# shellcheck disable=SC2086 # lists of pids
	{ w0=$(bench_pid_ticks $UPLOAD_WPIDS); h0=$(bench_pid_ticks "$UPLOAD_HPID")
	  s0=$(bench_pid_ticks "$UPLOAD_SPID"); read -r c0 _ <<<"$(bench_machine_ticks)"; }
	t0=$(date +%s%N)
	if [[ $kind == ref ]]; then
		secs=$(bench_s3_put "$UPLOAD_FILE" "bench/upload-$id" \
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
	{ w1=$(bench_pid_ticks $UPLOAD_WPIDS); h1=$(bench_pid_ticks "$UPLOAD_HPID")
	  s1=$(bench_pid_ticks "$UPLOAD_SPID"); read -r c1 _ <<<"$(bench_machine_ticks)"; }
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
	bench_say "  $id: ${UP_MBS[$id]} MB/s (${secs}s)"
}

bench_section_upload()
{
	local i

	UPLOAD_LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
	bench_stack_start
	declare -gA UP_SECS UP_MBS UP_CPU UP_CPUMB UP_WORKER UP_RSS
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

	# One of each first, unmeasured: the S3 server (node) runs much slower
	# until its code is warm.
	bench_say "upload: warming up"
	bench_upload_run warm_ref ref
	bench_upload_run warm_up up
	# ref_1 up_1 ref_2 up_2 ... ref_N+1: each upload between two references.
	UPLOAD_ORDER=(ref_1)
	for ((i = 1; i <= BENCH_UPLOAD_RUNS; i++)); do
		UPLOAD_ORDER+=("up_$i" "ref_$((i + 1))")
	done
	for i in "${UPLOAD_ORDER[@]}"; do
		bench_upload_run "$i" "${i%%_*}"
	done
	rm -f "$UPLOAD_FILE"
	bench_doc_section upload bench_upload_block
}

# Accepts an upload run id; prints its MB/s ÷ the mean of the references
# around it.
bench_upload_ratio()
{
	local n=${1#up_}

	bench_ratio_around "${UP_MBS[$1]}" "${UP_MBS[ref_$n]}" \
	    "${UP_MBS[ref_$((n + 1))]}"
}

bench_upload_block()
{
	local id i=0 ratios=() ratio

	for id in "${UPLOAD_ORDER[@]}"; do
		[[ $id == up_* ]] && ratios+=("$(bench_upload_ratio "$id")")
	done
	cat <<-EOF
	## Upload MB/s against curl -T to S3

	| ratio | value |
	|---|---:|
	| upload MB/s through HAProxy ÷ \`curl -T\` straight to S3 (each run) | **$(bench_join "${ratios[@]}")** |

	One file of $BENCH_UPLOAD_MIB MiB of random bytes ($UPLOAD_BYTES bytes), sent
	by curl as a raw body: \`POST /api/v1/files?name=…\` with
	\`Content-Type: application/octet-stream\` and a Bearer token through
	the stack's HAProxy (the worker streams it to S3 as one PUT, its
	length being known and under \`s3.single_put_max\` = ${UPLOAD_PUT_MAX:-?},
	with \`x-amz-content-sha256: UNSIGNED-PAYLOAD\`, hashing it on the way, and
	records it in PostgreSQL), against \`curl -T\` of the same file straight to the same
	S3 server (SigV4 signed by curl, \`x-amz-content-sha256:
	UNSIGNED-PAYLOAD\`). The runs alternate, a reference before and after
	each upload, and each upload is compared with the mean of the two
	references around it. Each upload's answer must give the file's size
	and SHA-256; the file is deleted after each run. MB are 10^6 bytes;
	times are curl's \`time_total\`. The upload sends no \`Expect:\`
	header; the reference keeps curl's \`Expect: 100-continue\` (an empty
	\`Expect:\` would be signed and refused by the S3 server).

	| run | what | seconds | MB/s | ratio | CPU % workers / HAProxy / S3 server / machine | CPU ms per MB workers / HAProxy / S3 server | serving worker RSS KiB |
	|---:|---|---:|---:|---:|---|---|---|
	$(for id in "${UPLOAD_ORDER[@]}"; do
		i=$((i + 1))
		if [[ $id == ref_* ]]; then
			# shellcheck disable=SC2016 # backquotes of markdown
			printf '| %d | `curl -T` to S3 | %s | %s | — | %s | %s | — |\n' "$i" \
			    "${UP_SECS[$id]}" "${UP_MBS[$id]}" "${UP_CPU[$id]//|/\/}" \
			    "${UP_CPUMB[$id]}"
		else
			ratio=$(bench_upload_ratio "$id")
			printf '| %d | POST /api/v1/files via HAProxy (%s) | %s | %s | **%s** | %s | %s | %s |\n' \
			    "$i" "${UP_WORKER[$id]:-?}" "${UP_SECS[$id]}" "${UP_MBS[$id]}" \
			    "$ratio" "${UP_CPU[$id]//|/\/}" "${UP_CPUMB[$id]}" "${UP_RSS[$id]:-?}"
		fi
	done)

	One reference and one upload run first, unmeasured: the S3 server
	(node) is up to three times slower until its code is warm. CPU is each
	process's user+system time over the run, in percent of one core (the
	machine's is all its cores' busy time), and the same time in ms per MB
	of the file; RSS is the serving worker's
	VmRSS before → after the upload.

	$(bench_doc_machine "$UPLOAD_LOADAVG")

	Rerun: \`bench/run.sh upload\` (\`BENCH_UPLOAD_MIB\`, \`BENCH_UPLOAD_RUNS\`).
	EOF
}
