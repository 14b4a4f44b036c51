# shellcheck shell=bash
# smtp.sh: an SMTP sink (python3-aiosmtpd) that stores every message it is
# given in the Maildir RUN_DIR/smtp/maildir (one file per message in new/).

# smtp_maildir
smtp_maildir()
{
	printf '%s/smtp/maildir' "$RUN_DIR"
}

# smtp_banner: true once the server greets with 220.
smtp_banner()
{
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 3 bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		read -r -t 2 line <&3 || exit 1
		printf "QUIT\r\n" >&3
		[[ $line == 220* ]]' _ "$PFO3_SMTP_PORT"
}

# smtp_start: starts the sink and waits for its banner.
smtp_start()
{
	local pid dir
	if pid=$(pid_get smtp); then
		say "smtp already running (pid $pid, port $PFO3_SMTP_PORT)"
		return 0
	fi
	ports_check_free smtp "$PFO3_SMTP_PORT"
	dir=$(smtp_maildir)
	# The Maildir handler wants the folder either absent or complete.
	mkdir -p "$dir/cur" "$dir/new" "$dir/tmp"
	# Only Debian's interpreter has aiosmtpd; -n: stay root (no setuid nobody).
	spawn smtp /usr/bin/python3 -u -m aiosmtpd -n -l "127.0.0.1:$PFO3_SMTP_PORT" \
		-c aiosmtpd.handlers.Mailbox "$dir"
	pid=$SPAWNED_PID
	wait_for smtp "$pid" 15 "SMTP banner on port $PFO3_SMTP_PORT" smtp_banner
	say "smtp ready (pid $pid, port $PFO3_SMTP_PORT, maildir $dir)"
}

# smtp_stop
smtp_stop()
{
	pid_stop smtp TERM 10
}

# smtp_status: one status line.
smtp_status()
{
	status_line smtp "$PFO3_SMTP_PORT"
}
