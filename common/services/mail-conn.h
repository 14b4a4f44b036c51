/*
 * mail-conn.h — curl handles for SMTP kept with their open session, so
 * that mail after mail does not open a new connection (TCP, greeting,
 * EHLO: some 4 ms each) to the same relay.
 *
 * A handle is taken by one thread for one delivery and given back after
 * it; one idle longer than smtp.idle_timeout is closed instead of being
 * reused (0: every mail has its own session, as before).  A relay that
 * restarted or dropped an idle session is noticed by curl before reuse
 * (the socket reads as closed); mail.c retries once on a new session
 * when a reused one fails before any reply.
 */
#ifndef PFO3_MAIL_CONN_H
#define PFO3_MAIL_CONN_H

#include <stdint.h>

#include <curl/curl.h>

/* An idle handle not older than idle_ms, with its options reset (its
 * session kept), or a new one; NULL when curl cannot make one. */
CURL	*mail_conn_take(int64_t idle_ms);

/* Gives back a handle whose last delivery succeeded, for reuse within
 * idle_ms; with idle_ms 0, or after a failure (keep 0), closes it.
 * Closing a kept session later waits at most quit_ms for the relay. */
void	 mail_conn_give(CURL *curl, int keep, int64_t idle_ms,
	    int64_t quit_ms);

#endif
