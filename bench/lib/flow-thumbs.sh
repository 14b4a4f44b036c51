# flow-thumbs.sh: the `thumbs` section.  Thumbnails per second: N JPEG
# photos uploaded through the stack's HAProxy, timed from the first upload
# until PostgreSQL records both thumbnails (128 and 512 px) of every one,
# against `vipsthumbnail` making the same two sizes of the same files on
# every core of the machine, alone and with the same S3 traffic around it
# (the photos put to S3 first, the thumbnails put back after), alternated
# in one run; and the CPU each part of the stack spends per photo against
# vipsthumbnail's.
# shellcheck shell=bash

BENCH_THUMBS_COUNT=${BENCH_THUMBS_COUNT:-40}
BENCH_THUMBS_WIDTH=${BENCH_THUMBS_WIDTH:-3000}
BENCH_THUMBS_HEIGHT=${BENCH_THUMBS_HEIGHT:-2000}
BENCH_THUMBS_RUNS=${BENCH_THUMBS_RUNS:-2}
BENCH_THUMBS_UPLOADERS=${BENCH_THUMBS_UPLOADERS:-4}
BENCH_THUMBS_TIMEOUT=${BENCH_THUMBS_TIMEOUT:-300}

# Makes BENCH_THUMBS_COUNT different photos, WIDTH × HEIGHT JPEG at
# quality 90, in BENCH_TMP/thumbs/in: crops of one larger picture of
# coloured Perlin noise with grain, which compresses about like a photo
# (some 2 MB for 6 megapixels).
bench_thumbs_images()
{
	local d=$BENCH_TMP/thumbs w=$BENCH_THUMBS_WIDTH h=$BENCH_THUMBS_HEIGHT
	local bw bh i

	bw=$((w * 2)) bh=$((h * 2))
	mkdir -p "$d/in"
	bench_say "thumbs: making $BENCH_THUMBS_COUNT photos of ${w}x$h"
	for i in 1 2 3; do
		vips perlin "$d/p$i.v" "$bw" "$bh" --uchar --seed "$i"
	done
	vips bandjoin "$d/p1.v $d/p2.v $d/p3.v" "$d/rgb.v"
	vips gaussnoise "$d/noise.v" "$bw" "$bh" --sigma 12
	vips add "$d/rgb.v" "$d/noise.v" "$d/sum.v"
	vips cast "$d/sum.v" "$d/big.v" uchar
	rm -f "$d"/p?.v "$d/rgb.v" "$d/noise.v" "$d/sum.v"
	for ((i = 1; i <= BENCH_THUMBS_COUNT; i++)); do
		vips crop "$d/big.v" "$d/in/photo-$i.jpg[Q=90]" \
		    $(((i * 379) % w)) $(((i * 251) % h)) "$w" "$h"
	done
	rm -f "$d/big.v"
	THUMBS_BYTES=$(cat "$d"/in/*.jpg | wc -c)
}

# Accepts an object key; reads it from the stack's S3 bucket with curl
# (SigV4 signed by curl), the body thrown away.  Fails on an answer other
# than 200.
bench_thumbs_s3_get()
{
	local code

	code=$(curl -sS -o /dev/null -w '%{http_code}' \
	    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
	    --aws-sigv4 "aws:amz:$PFO3_S3_REGION:s3" \
	    --user "$PFO3_S3_ACCESS_KEY:$PFO3_S3_SECRET_KEY" \
	    "$PFO3_S3_ENDPOINT/$PFO3_S3_BUCKET/$1") ||
	    bench_die "curl GET of $1 from S3 failed"
	[[ $code == 200 ]] || bench_die "S3 GET $1 answered $code"
}

# Accepts "put" or "get", files and an S3 key prefix; puts each file to
# the stack's S3 bucket as PREFIX/NAME with bench_s3_put (`curl -T`,
# SigV4 signed by curl), or gets PREFIX/NAME back with curl,
# BENCH_THUMBS_UPLOADERS at a time, as the subject's uploads run.  Fails
# on an answer other than 200.
bench_thumbs_s3_each()
{
	local op=$1 prefix=${*: -1} f running=0

	for f in "${@:2:$#-2}"; do
		if ((running == BENCH_THUMBS_UPLOADERS)); then
			wait -n || bench_die "curl $op of files in S3 failed"
			running=$((running - 1))
		fi
		if [[ $op == put ]]; then
			bench_s3_put "$f" "$prefix/${f##*/}" image/jpeg >/dev/null &
		else
			bench_thumbs_s3_get "$prefix/${f##*/}" &
		fi
		running=$((running + 1))
	done
	for ((; running > 0; running--)); do
		wait -n || bench_die "curl $op of files in S3 failed"
	done
}

# Accepts a run id and "local" or "s3"; makes both thumbnails of every
# photo with vipsthumbnail, the photos split over nproc processes running
# at once, each with one libvips thread (as the worker's thumbnails run).
# With "s3", the photos are first put to the stack's S3 and the
# thumbnails put back after, BENCH_THUMBS_UPLOADERS at a time, all
# inside the time.  Fills TH_SECS[id] and TH_CPU[id] (vipsthumbnail's
# user + system CPU per photo, ms).
bench_thumbs_ref()
{
	local id=$1 how=$2 d=$BENCH_TMP/thumbs out t0 t1 n all
	local TIMEFORMAT='%U %S' cpu

	out=$d/ref-$id
	mkdir -p "$out"
	n=$(nproc)
	all=("$d"/in/*.jpg)
	t0=$(date +%s%N)
	[[ $how == s3 ]] && bench_thumbs_s3_each put "${all[@]}" "bench/thumbs-$id/in"
	cpu=$({ time bench_thumbs_vips "$out" "$n" "${all[@]}" 2>&3; } 3>&2 2>&1) ||
	    bench_die "vipsthumbnail failed"
	[[ $how == s3 ]] && bench_thumbs_s3_each put "$out"/*.jpg "bench/thumbs-$id/out"
	t1=$(date +%s%N)
	n=$(find "$out" -name '*.jpg' | wc -l)
	((n == 2 * BENCH_THUMBS_COUNT)) ||
	    bench_die "vipsthumbnail made $n thumbnails, not $((2 * BENCH_THUMBS_COUNT))"
	rm -rf "$out"
	TH_SECS[$id]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	TH_CPU[$id]=$(awk -v u="${cpu% *}" -v s="${cpu#* }" -v k="$BENCH_THUMBS_COUNT" \
	    'BEGIN { printf "%.1f", (u + s) * 1000 / k }')
	bench_thumbs_rate "$id"
}

# Accepts an output folder, a process count and the photos; runs the
# vipsthumbnail processes and waits for them.
bench_thumbs_vips()
{
	local out=$1 n=$2 i j all files pids=()

	shift 2
	all=("$@")
	for ((i = 0; i < n; i++)); do
		files=()
		for ((j = i; j < ${#all[@]}; j += n)); do
			files+=("${all[j]}")
		done
		((${#files[@]})) || continue
		(
			export VIPS_CONCURRENCY=1
			for size in 128 512; do
				vipsthumbnail -s "$size" -o \
				    "$out/%s-$size.jpg[Q=80,strip,optimize_coding]" \
				    "${files[@]}" || exit 1
			done
		) &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || return 1
	done
}

bench_thumbs_rate()
{
	TH_RATE[$1]=$(awk -v n="$BENCH_THUMBS_COUNT" -v s="${TH_SECS[$1]}" \
	    'BEGIN { printf "%.1f", n / s }')
	bench_say "  $1: ${TH_RATE[$1]} photos/s (${TH_SECS[$1]}s)"
}

# Accepts a comma-separated list of file ids; prints "thumbnails failed":
# the thumbnails recorded for them and their failed thumbnail jobs.
bench_thumbs_state()
{
	bench_sql "SELECT (SELECT count(*) FROM thumbnails WHERE file_id IN ($1)),
	    (SELECT count(*) FROM jobs WHERE type = 'thumbnail' AND
	     status = 'failed' AND (payload->>'file_id')::bigint IN ($1))" |
	    tr '|' ' '
}

# Accepts a comma-separated list of file ids and a bound in seconds;
# waits until both thumbnails of each are recorded.  Fails, with the
# reason of a failed job, when one fails or the time runs out.  The
# waiting is a loop inside one PostgreSQL session (a statement every
# 20 ms): a psql started for each look, every 50 ms, cost some 30 ms of
# CPU each, taken from the stage it timed.
bench_thumbs_wait()
{
	local ids=$1 bound=$2 want have failed why

	want=$((2 * $(tr ',' '\n' <<<"$ids" | wc -l)))
	bench_sql "DO \$\$ DECLARE until timestamptz :=
	    clock_timestamp() + interval '$bound seconds'; BEGIN
	    WHILE (SELECT count(*) FROM thumbnails WHERE file_id IN ($ids)) < $want
	    AND NOT EXISTS (SELECT FROM jobs WHERE type = 'thumbnail' AND
	     status = 'failed' AND (payload->>'file_id')::bigint IN ($ids))
	    AND clock_timestamp() < until LOOP
	    PERFORM pg_sleep(0.02); END LOOP; END \$\$" ||
	    bench_die "waiting for the thumbnails in PostgreSQL failed"
	read -r have failed <<<"$(bench_thumbs_state "$ids")"
	((have >= want)) && return 0
	if ((failed > 0)); then
		why=$(bench_sql "SELECT error FROM jobs WHERE type = 'thumbnail'
		    AND status = 'failed' AND (payload->>'file_id')::bigint
		    IN ($ids) LIMIT 1")
		bench_die "a thumbnail job failed: $why"
	fi
	why=$(bench_sql "SELECT count(*), string_agg(DISTINCT status, ',')
	    FROM jobs WHERE type = 'thumbnail' AND
	    (payload->>'file_id')::bigint IN ($ids)" | tr '|' ' ')
	bench_die "$have of $want thumbnails after ${bound}s" \
	    "(thumbnail jobs: $why); is the thumbnail job in this build?"
}

# The parts of the stack whose CPU the subject runs count.
BENCH_THUMBS_PARTS=(workers s3 postgres haproxy rabbitmq)

# Accepts a part's name; prints the clock ticks its processes used so far.
bench_thumbs_part_ticks()
{
	local pids

	case $1 in
	workers) pids=$(bench_stack_worker_pids) ;;
	postgres) pids=$(bench_stack_pg_pids) ;;
	rabbitmq) pids=$(rmq_beam_pid) ;;
	*) pids=$(pid_get "$1") ;;
	esac
	# shellcheck disable=SC2086 # a list of pids
	bench_pid_ticks $pids
}

# Accepts "hold" or "release"; sends `jobs.hold` or `jobs.release` to
# every worker's control socket, and with "hold" waits until none of them
# consumes jobs any more.
bench_thumbs_jobs()
{
	local i sock deadline=$((SECONDS + 30))

	for i in 1 2 3; do
		sock=$RUN_DIR/workers/w$i.sock
		"$PFO3_BUILDDIR/pfo3ctl" -s "$sock" jobs "$1" >/dev/null ||
		    bench_die "pfo3ctl -s $sock jobs $1 failed"
	done
	[[ $1 == hold ]] || return 0
	for i in 1 2 3; do
		sock=$RUN_DIR/workers/w$i.sock
		until "$PFO3_BUILDDIR/pfo3ctl" --json -s "$sock" stats |
		    python3 -c 'import json, sys
sys.exit(json.load(sys.stdin)["jobs"]["consuming"] is not False)'; do
			((SECONDS < deadline)) ||
			    bench_die "w$i still consumes jobs 30 s after jobs.hold"
			sleep 0.05
		done
	done
}

# Accepts a run id and "whole" or "stage".  "whole": uploads every photo
# and waits for all thumbnails, timed from the first upload.  "stage":
# holds the workers' job consumers (`jobs.hold`), uploads every photo
# (their jobs wait queued), then releases them, timed from the release:
# the thumbnail stage alone.  Fills TH_SECS[id] and TH_UPLOAD[id] (the
# uploads alone), and TH_PART[id:PART], the CPU of each part of the stack
# per photo (ms) over the timed span.
bench_thumbs_subject()
{
	local id=$1 mode=$2 t0 t1 tu ids bad part
	local -A c0

	[[ $mode == stage ]] && bench_thumbs_jobs hold
	for part in "${BENCH_THUMBS_PARTS[@]}"; do
		[[ $mode == whole ]] && c0[$part]=$(bench_thumbs_part_ticks "$part")
	done
	t0=$(date +%s%N)
	ids=$(python3 "$BENCH_DIR/upload-many.py" "$BENCH_HTTP" "$THUMBS_TOKEN" \
	    "$BENCH_THUMBS_UPLOADERS" "$BENCH_TMP"/thumbs/in/*.jpg |
	    paste -sd, -) || bench_die "the photo uploads failed"
	tu=$(date +%s%N)
	if [[ $mode == stage ]]; then
		for part in "${BENCH_THUMBS_PARTS[@]}"; do
			c0[$part]=$(bench_thumbs_part_ticks "$part")
		done
		t0=$(date +%s%N)
		bench_thumbs_jobs release
	fi
	bench_thumbs_wait "$ids" "$BENCH_THUMBS_TIMEOUT"
	t1=$(date +%s%N)
	for part in "${BENCH_THUMBS_PARTS[@]}"; do
		TH_PART[$id:$part]=$(awk -v a="${c0[$part]}" \
		    -v b="$(bench_thumbs_part_ticks "$part")" \
		    -v hz="$(getconf CLK_TCK)" -v k="$BENCH_THUMBS_COUNT" \
		    'BEGIN { printf "%.1f", (b - a) / hz * 1000 / k }')
	done
	# Each thumbnail fits its box: its longer side is the size asked for.
	bad=$(bench_sql "SELECT count(*) FROM thumbnails WHERE file_id IN ($ids)
	    AND greatest(width, height) <> size")
	((bad == 0)) || bench_die "$bad thumbnails have the wrong size"
	TH_SECS[$id]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	if [[ $mode == whole ]]; then
		TH_UPLOAD[$id]=$(awk -v a="$t0" -v b="$tu" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	else
		TH_UPLOAD[$id]="— (before)"
	fi
	TH_WORKERS[$id]=$(bench_sql "SELECT string_agg(worker || ':' || n, ', ' ORDER BY worker)
	    FROM (SELECT worker, count(*) AS n FROM jobs WHERE type = 'thumbnail'
	    AND (payload->>'file_id')::bigint IN ($ids) GROUP BY worker) AS w")
	bench_thumbs_rate "$id"
}

# Accepts the id of a reference run with S3 traffic; makes the S3 server
# serve the thumbnail stage's own requests, sent by curl: a GET of each
# photo (that run put them there) and a PUT of both its thumbnails,
# BENCH_THUMBS_UPLOADERS at a time.  Untimed; fills THUMBS_S3_CURL, the
# S3 server's CPU per photo (ms), to set beside its CPU in the stage:
# what those requests cost the server whoever makes them.
bench_thumbs_s3_alone()
{
	local id=$1 d=$BENCH_TMP/thumbs out=$BENCH_TMP/thumbs/s3-alone c0

	mkdir -p "$out"
	bench_thumbs_vips "$out" "$(nproc)" "$d"/in/*.jpg ||
	    bench_die "vipsthumbnail failed"
	c0=$(bench_thumbs_part_ticks s3)
	bench_thumbs_s3_each get "$d"/in/*.jpg "bench/thumbs-$id/in"
	bench_thumbs_s3_each put "$out"/*.jpg "bench/thumbs-$id/again"
	THUMBS_S3_CURL=$(awk -v a="$c0" -v b="$(bench_thumbs_part_ticks s3)" \
	    -v hz="$(getconf CLK_TCK)" -v k="$BENCH_THUMBS_COUNT" \
	    'BEGIN { printf "%.1f", (b - a) / hz * 1000 / k }')
	rm -rf "$out"
}

bench_section_thumbs()
{
	local i probe id

	THUMBS_LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
	bench_stack_start
	declare -gA TH_SECS TH_RATE TH_UPLOAD TH_WORKERS TH_CPU TH_PART
	bench_user 1 thumbs
	THUMBS_TOKEN=$(bench_token 1 thumbs)
	bench_files_probe "$THUMBS_TOKEN"
	bench_thumbs_images

	# One photo first: the thumbnail job must exist and work.
	probe=$(python3 "$BENCH_DIR/upload-many.py" "$BENCH_HTTP" \
	    "$THUMBS_TOKEN" 1 "$BENCH_TMP/thumbs/in/photo-1.jpg") ||
	    bench_die "the probe photo upload failed"
	bench_thumbs_wait "$probe" 60

	# Unmeasured: the first vipsthumbnail run is the slowest.
	bench_thumbs_ref warm local
	THUMBS_ORDER=(ref_1 s3_1)
	for ((i = 1; i <= BENCH_THUMBS_RUNS; i++)); do
		THUMBS_ORDER+=("up_$i" "st_$i" "ref_$((i + 1))" "s3_$((i + 1))")
	done
	for id in "${THUMBS_ORDER[@]}"; do
		case $id in
		ref_*) bench_thumbs_ref "$id" local ;;
		s3_*) bench_thumbs_ref "$id" s3 ;;
		up_*) bench_thumbs_subject "$id" whole ;;
		st_*) bench_thumbs_subject "$id" stage ;;
		esac
	done
	bench_thumbs_s3_alone "${THUMBS_ORDER[-1]}"
	bench_doc_section thumbs bench_thumbs_block
}

# Accepts a subject run id and a reference kind (ref, s3); prints its
# rate ÷ the mean of the references of that kind around it.
bench_thumbs_ratio()
{
	local n=${1#*_} k=${2:-ref}

	bench_ratio_around "${TH_RATE[$1]}" "${TH_RATE[${k}_$n]}" \
	    "${TH_RATE[${k}_$((n + 1))]}"
}

# Accepts a key prefix (ref, s3, up) and, for the subject, a part; prints
# the mean CPU per photo (ms) over the runs of that kind.
bench_thumbs_cpu_mean()
{
	local id

	for id in "${THUMBS_ORDER[@]}"; do
		[[ $id == "$1"_* ]] || continue
		if [[ $1 == up || $1 == st ]]; then
			echo "${TH_PART[$id:$2]}"
		else
			echo "${TH_CPU[$id]}"
		fi
	done | awk '{ s += $1 } END { printf "%.1f", NR ? s / NR : 0 }'
}

bench_thumbs_block()
{
	local id i=0 ratios=() ratios_s3=() stage=() part parts=() ref_cpu st_cpu

	for id in "${THUMBS_ORDER[@]}"; do
		case $id in
		up_*)
			ratios+=("$(bench_thumbs_ratio "$id" ref)")
			ratios_s3+=("$(bench_thumbs_ratio "$id" s3)") ;;
		st_*) stage+=("$(bench_thumbs_ratio "$id" ref)") ;;
		esac
	done
	ref_cpu=$(bench_thumbs_cpu_mean ref)
	st_cpu=$(bench_thumbs_cpu_mean st workers)
	for part in "${BENCH_THUMBS_PARTS[@]}"; do
		parts+=("$part $(bench_thumbs_cpu_mean st "$part") $(bench_thumbs_cpu_mean up "$part")")
	done
	cat <<-EOF
	## Thumbnails/s against vipsthumbnail

	| ratio | value |
	|---|---:|
	| the thumbnail stage: photos/s from the jobs' release until both thumbnails are recorded ÷ \`vipsthumbnail\` on local files (each run) | **$(bench_join "${stage[@]}")** |
	| the whole pipeline: photos/s from the first upload until both thumbnails are recorded ÷ \`vipsthumbnail\` with the same S3 traffic around it (each run) | **$(bench_join "${ratios_s3[@]}")** |
	| the whole pipeline ÷ \`vipsthumbnail\` on local files alone (each run) | **$(bench_join "${ratios[@]}")** |
	| CPU per photo: \`vipsthumbnail\` ÷ the workers in the thumbnail stage (the photo from S3, both thumbnails, two S3 puts, the rows) | **$(bench_div "$ref_cpu" "$st_cpu")** |

	$BENCH_THUMBS_COUNT JPEG photos of ${BENCH_THUMBS_WIDTH}x$BENCH_THUMBS_HEIGHT at quality 90
	($THUMBS_BYTES bytes in all; crops of one picture of coloured Perlin noise
	with grain, made by \`vips\` in the run). A photo counts when both its
	thumbnails, 128 and 512 px, are made.

	- Thumbnail stage: the workers' job consumers are held first
	  (\`pfo3ctl -s WORKER.sock jobs hold\`, on each worker's control
	  socket: HTTP goes on, jobs wait in their queue), the photos uploaded
	  as below, and the consumers released (\`jobs release\`); timed from
	  the release until PostgreSQL holds every thumbnail row. This is the
	  same work as the reference's on local files, plus the photo's GET from S3, the
	  thumbnails' PUTs and rows, and the broker (a held consumer leaves
	  the broker: its new connection at the release is inside the time).
	- Whole pipeline: the photos are uploaded through the stack's HAProxy
	  (\`POST /api/v1/files\`, $BENCH_THUMBS_UPLOADERS uploads at a time, \`bench/upload-many.py\`);
	  each upload stores the photo in S3 and submits a thumbnail job, which a worker's consumer runs: the
	  photo from S3, both thumbnails with libvips (the 512 px one from the
	  photo, the 128 px one from that: one decode of the photo where the
	  reference makes two), each stored in S3 and recorded in PostgreSQL. Timed from the first upload until PostgreSQL
	  holds all $((2 * BENCH_THUMBS_COUNT)) thumbnail rows (looked at every 20 ms by a loop in one PostgreSQL session); every
	  thumbnail's longer side must be its size.
	- Reference on local files: \`vipsthumbnail -s SIZE -o 'DIR/%s-SIZE.jpg[Q=80,strip,optimize_coding]'\`
	  for 128 and 512 on the same files (the worker's quality and options),
	  the files split over $(nproc) processes (\`nproc\`) at once, each with
	  \`VIPS_CONCURRENCY=1\` as the worker runs libvips: the machine making
	  thumbnails from local files and nothing else.
	- Reference with the same S3 traffic: the photos put to the same S3
	  server with \`curl -T\` ($BENCH_THUMBS_UPLOADERS at a time, as the subject's uploads),
	  then the same \`vipsthumbnail\` runs, then the $((2 * BENCH_THUMBS_COUNT)) thumbnails put back
	  the same way, all inside its time. What it still leaves out of the
	  subject's work: HAProxy, the worker between client and S3, the
	  photo's GET back from S3, PostgreSQL's rows and the broker.
	- CPU per photo: user + system time of each part of the stack
	  (\`/proc/PID/stat\`) over the subject's runs ÷ photos, and of the
	  \`vipsthumbnail\` processes over the local references ÷ photos; the
	  CPU moves much less than the wall time when other programs share the
	  machine. The S3 server's CPU is also measured once, untimed, serving
	  the stage's own requests sent by \`curl\` ($BENCH_THUMBS_UPLOADERS at a time, a connection
	  each): what those requests cost the server, whoever makes them.
	- The runs alternate, the references before and after each subject run, and
	  each subject run is compared with the mean of the two of each kind around it. One
	  photo goes through the stack first and one reference runs first, both
	  unmeasured: to check that the job works, and to warm up.

	| CPU per photo (ms) | thumbnail stage | whole pipeline |
	|---|---:|---:|
	| \`vipsthumbnail\`, both sizes (local references) | $ref_cpu | |
	$(for part in "${parts[@]}"; do
		read -r part a b <<<"$part"
		printf '| %s | %s | %s |\n' "$part" "$a" "$b"
	done)
	| s3, serving the stage's requests sent by \`curl\` (a GET of each photo, a PUT of both thumbnails; untimed) | $THUMBS_S3_CURL | |

	| run | what | seconds | photos/s | ratio | uploads alone (s) | jobs run by |
	|---:|---|---:|---:|---:|---:|---|
	$(for id in "${THUMBS_ORDER[@]}"; do
		i=$((i + 1))
		case $id in
		ref_*)
			# shellcheck disable=SC2016 # backquotes of markdown
			printf '| %d | `vipsthumbnail` ×%d processes, local files | %s | %s | — | — | — |\n' \
			    "$i" "$(nproc)" "${TH_SECS[$id]}" "${TH_RATE[$id]}" ;;
		s3_*)
			# shellcheck disable=SC2016 # backquotes of markdown
			printf '| %d | `curl -T` photos, `vipsthumbnail` ×%d, `curl -T` thumbnails | %s | %s | — | — | — |\n' \
			    "$i" "$(nproc)" "${TH_SECS[$id]}" "${TH_RATE[$id]}" ;;
		st_*)
			printf '| %d | held jobs released → thumbnails | %s | %s | **%s** | %s | %s |\n' \
			    "$i" "${TH_SECS[$id]}" "${TH_RATE[$id]}" \
			    "$(bench_thumbs_ratio "$id" ref)" \
			    "${TH_UPLOAD[$id]}" "${TH_WORKERS[$id]}" ;;
		*)
			printf '| %d | upload → thumbnail jobs | %s | %s | **%s** / **%s** | %s | %s |\n' \
			    "$i" "${TH_SECS[$id]}" "${TH_RATE[$id]}" \
			    "$(bench_thumbs_ratio "$id" s3)" "$(bench_thumbs_ratio "$id" ref)" \
			    "${TH_UPLOAD[$id]}" "${TH_WORKERS[$id]}" ;;
		esac
	done)

	The ratio column: the whole pipeline ÷ the references with S3 traffic /
	÷ the local ones; the thumbnail stage ÷ the local ones.

	$(bench_doc_machine "$THUMBS_LOADAVG")

	Rerun: \`bench/run.sh thumbs\` (\`BENCH_THUMBS_COUNT\`, \`BENCH_THUMBS_WIDTH\`,
	\`BENCH_THUMBS_HEIGHT\`, \`BENCH_THUMBS_RUNS\`, \`BENCH_THUMBS_UPLOADERS\`).
	EOF
}
