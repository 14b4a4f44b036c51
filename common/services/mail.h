/*
 * mail.h — plain-text notification mail over SMTP (libcurl).
 *
 * mail_send() builds one RFC 5322 message in memory (UTF-8 text sent as
 * quoted-printable, a non-ASCII subject as RFC 2047 encoded-words, CRLF
 * line ends) and hands it to the relay of smtp.url for one recipient.
 * Each call has its own curl easy handle, so calls run in parallel on any
 * threads; curl_global_init() (s3_global_init()) must have run first.
 */
#ifndef PFO3_MAIL_H
#define PFO3_MAIL_H

#include <stdint.h>

#include "conf.h"

#define MAIL_MAX_ADDRESS	254		/* bytes of an address */
#define MAIL_MAX_SUBJECT	900		/* bytes of a subject */
#define MAIL_MAX_BODY		(1024 * 1024)	/* bytes of a body */

/*
 * Sends `text_body` (UTF-8; LF, CRLF or CR line ends) with `subject`
 * (UTF-8, one line) from c->from to the single address `to`, within
 * c->timeout ms in all.  c->from is "addr@domain" or "Name <addr@domain>"
 * in ASCII; `to` is a bare ASCII "addr@domain".
 *
 * Returns 0 once the relay accepted the message.  Returns -1 with *cause
 * when an argument is refused before anything is sent (CR or LF in the
 * recipient or subject, a malformed address, invalid UTF-8, over the
 * limits above), or when the relay cannot be reached or refuses: the
 * cause then holds curl's error and the last SMTP reply code.
 */
int	mail_send(const struct conf_smtp *c, const char *to,
	    const char *subject, const char *text_body, char **cause);

/*
 * Checks that the relay of c->url greets and answers EHLO, within
 * `timeout_ms` in all; sends nothing.  0 and the time it took in
 * *latency_ms, or -1 and *cause.  For the dependency prober (probe.h).
 */
int	mail_ping(const struct conf_smtp *c, int64_t timeout_ms,
	    double *latency_ms, char **cause);

#endif
