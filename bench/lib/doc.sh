# doc.sh: doc/BENCHMARKS.md as one block per section of bench/run.sh.
# A run rewrites the blocks of the sections it ran and keeps every other
# block, and the hand-written notes, as they were in the file.
# shellcheck shell=bash

# The sections, in the order a run of all of them takes: memory first, so
# that it measures the daemons at rest before the other sections' loads
# (a worker keeps what its libraries loaded for a job).
BENCH_SECTIONS=(memory http login report upload thumbs seed scale)
# Blocks written by scripts of their own (bench/ctld.sh, bench/console.sh),
# kept after the notes.
BENCH_OWN_BLOCKS=(ctld console)

# Accepts the report file and a section; prints that section's block,
# markers included, from the file; nothing when it has none.  A file
# written before the sections existed holds the http benchmark alone,
# from "## Method" to "## Notes": that becomes the http block.
bench_doc_old_block()
{
	local file=$1 name=$2

	[[ -f $file ]] || return 0
	if grep -q "^<!-- bench:$name -->\$" "$file"; then
		sed -n "/^<!-- bench:$name -->\$/,/^<!-- \\/bench:$name -->\$/p" \
		    "$file"
	elif [[ $name == http ]] && ! grep -q '^<!-- bench:' "$file" &&
	    grep -q '^## Method$' "$file"; then
		echo "<!-- bench:http -->"
		awk '/^## Method$/ { on = 1 } /^## Notes$/ { on = 0 } on' \
		    "$file" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
		echo "<!-- /bench:http -->"
	fi
}

# Accepts the report file, a section and a file holding its new block
# (without markers); rewrites the report with that block in its place
# (through a temporary file, so a failed run leaves the report whole).
bench_doc_put()
{
	local out=$1 name=$2 block=$3 tmp=$1.tmp.$$ s old

	{
	cat <<-EOF
	# Benchmarks

	Written by \`bench/run.sh\`, one block per section: \`bench/run.sh\`
	runs them all, \`bench/run.sh SECTION...\` some of them (\`${BENCH_SECTIONS[*]}\`),
	and a run replaces only the blocks of the sections it ran. The other
	blocks and the notes between the \`notes\` markers are kept.
	\`bench/run.sh --smoke\` (run by CI) runs every benchmark for a few
	seconds into a scratch report and leaves this file alone.

	EOF
	for s in "${BENCH_SECTIONS[@]}"; do
		if [[ $s == "$name" ]]; then
			echo "<!-- bench:$s -->"
			cat "$block"
			echo "<!-- /bench:$s -->"
			echo
		else
			old=$(bench_doc_old_block "$out" "$s")
			[[ -n $old ]] && printf '%s\n\n' "$old"
		fi
	done
	printf '## Notes\n\n'
	bench_notes "$out"
	for s in "${BENCH_OWN_BLOCKS[@]}"; do
		old=$(bench_doc_old_block "$out" "$s")
		[[ -n $old ]] && printf '\n%s\n' "$old"
	done
	} >"$tmp"
	mv "$tmp" "$out"
}

# Accepts the report file, a block name and the block's text, markers
# included; replaces that block in the file, or appends it.  For the
# scripts that write a block of their own (BENCH_OWN_BLOCKS).
bench_doc_replace()
{
	local out=$1 name=$2 text=$3 tmp=$1.tmp.$$

	if [[ -f $out ]] && grep -q "^<!-- bench:$name -->\$" "$out"; then
		# Through the environment: -v would read backslashes as escapes.
		BENCH_TEXT=$text awk -v name="$name" '
			$0 == "<!-- bench:" name " -->" {
				print ENVIRON["BENCH_TEXT"]; skip = 1; next
			}
			$0 == "<!-- /bench:" name " -->" { skip = 0; next }
			!skip' "$out" >"$tmp"
	else
		{ [[ -f $out ]] && cat "$out" && echo; printf '%s\n' "$text"; } \
		    >"$tmp"
	fi
	mv "$tmp" "$out"
}

# Accepts a section and a function that prints its block; writes it into
# BENCH_OUT.
bench_doc_section()
{
	local name=$1 fn=$2 block

	block=$BENCH_TMP/block-$name.md
	"$fn" >"$block"
	mkdir -p "$(dirname "$BENCH_OUT")"
	bench_doc_put "$BENCH_OUT" "$name" "$block"
	bench_say "wrote the $name section of $BENCH_OUT"
}

# Prints the lines on the machine and the time of a section's run.
bench_doc_machine()
{
	cat <<-EOF
	- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); \`nproc\`: $(nproc); CPU: $BENCH_CPU_MODEL; kernel $(uname -r)
	- Load average before the section: ${1:-$(cut -d' ' -f1-3 /proc/loadavg)}
	- $BENCH_WORKERD_VERSION, behind $BENCH_HAPROXY_VERSION
	EOF
}

# bench_ratio_around SUBJECT REF_BEFORE REF_AFTER: prints the subject's
# value divided by the mean of the two references measured around it.
bench_ratio_around()
{
	awk -v s="$1" -v a="$2" -v b="$3" \
	    'BEGIN { printf "%.2f", s / ((a + b) / 2) }'
}
