/*
 * mail.c — see mail.h.
 *
 * The body is always quoted-printable: curl announces no 8BITMIME, so
 * raw 8-bit text could be mangled by a 7-bit relay, while QP of mostly
 * ASCII text stays readable.  Subjects that are not short plain ASCII
 * become base64 encoded-words, folded so no header line passes 76
 * characters.  Nothing from the caller reaches a header before it is
 * checked for CR and LF, so no header can be injected; dot-stuffing of
 * the body is done by curl.
 */
#include <sys/random.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "mail-conn.h"
#include "mail.h"
#include "xmalloc.h"

#define MAIL_QP_LINE	76	/* longest quoted-printable line */
#define MAIL_WORD_BYTES	39	/* text bytes per encoded-word: 52 base64 */

struct mail_buf {
	char	*data;
	size_t	 len;
	size_t	 size;
	size_t	 off;		/* read position of the upload */
};

/* Appends `len` bytes, keeping the buffer NUL-terminated. */
static void
mail_add(struct mail_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->size) {
		while (b->len + len + 1 > b->size)
			b->size = b->size == 0 ? 1024 : b->size * 2;
		b->data = xrealloc(b->data, b->size);
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

/* Appends a string. */
static void
mail_adds(struct mail_buf *b, const char *s)
{
	mail_add(b, s, strlen(s));
}

/* ---------------------------------------------------------------- checks */

/* Length of the valid UTF-8 sequence at `p` (at most `n` bytes), or 0.
 * Overlong forms, surrogates and values over U+10FFFF are invalid. */
static size_t
mail_utf8_len(const unsigned char *p, size_t n)
{
	size_t		 len, i;
	uint32_t	 c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return len;
}

/* True when the `n` bytes of `s` are valid UTF-8. */
static int
mail_utf8_valid(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, k;

	for (i = 0; i < n; i += k) {
		if ((k = mail_utf8_len(p + i, n - i)) == 0)
			return 0;
	}
	return 1;
}

/* True when `s` is only printable ASCII (space to tilde). */
static int
mail_printable(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	}
	return 1;
}

/*
 * Checks a bare address "local@domain": printable ASCII without spaces
 * or the characters that end an address in a header or an SMTP command.
 */
static int
mail_check_address(const char *what, const char *a, size_t n, char **cause)
{
	const char	*at;
	size_t		 i;

	if (n == 0 || n > MAIL_MAX_ADDRESS) {
		*cause = xasprintf("%s address must be 1 to %d bytes", what,
		    MAIL_MAX_ADDRESS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (a[i] == '\r' || a[i] == '\n') {
			*cause = xasprintf("%s address holds CR or LF", what);
			return -1;
		}
		if (a[i] <= 0x20 || a[i] > 0x7e ||
		    strchr("<>()[],;:\"\\", a[i]) != NULL) {
			*cause = xasprintf("%s address holds a character not "
			    "allowed in an address (0x%02x)", what,
			    (unsigned char)a[i]);
			return -1;
		}
	}
	at = memchr(a, '@', n);
	if (at == NULL || at == a || at == a + n - 1 ||
	    memchr(at + 1, '@', a + n - at - 1) != NULL) {
		*cause = xasprintf("%s address is not local@domain", what);
		return -1;
	}
	return 0;
}

/*
 * Splits smtp.from ("addr" or "Name <addr>") and returns the bare address
 * (allocated), or NULL with *cause.
 */
static char *
mail_from_address(const char *from, char **cause)
{
	const char	*lt, *gt;

	if (from == NULL || *from == '\0') {
		*cause = xstrdup("no sender address (smtp.from)");
		return NULL;
	}
	if (strchr(from, '\r') != NULL || strchr(from, '\n') != NULL) {
		*cause = xstrdup("smtp.from holds CR or LF");
		return NULL;
	}
	if (!mail_printable(from)) {
		*cause = xstrdup("smtp.from must be printable ASCII");
		return NULL;
	}
	if ((lt = strchr(from, '<')) == NULL) {
		if (mail_check_address("sender", from, strlen(from),
		    cause) != 0)
			return NULL;
		return xstrdup(from);
	}
	gt = strchr(lt, '>');
	if (gt == NULL || gt[1] != '\0' || strchr(lt + 1, '<') != NULL) {
		*cause = xstrdup("smtp.from is not \"Name <addr@domain>\"");
		return NULL;
	}
	if (mail_check_address("sender", lt + 1, gt - lt - 1, cause) != 0)
		return NULL;
	return xstrndup(lt + 1, gt - lt - 1);
}

/* ---------------------------------------------------------------- message */

/* RFC 5322 date in UTC; names written here, not by the locale. */
static void
mail_date(struct mail_buf *b, time_t now)
{
	static const char	*wday[7] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char	*mon[12] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec"
	};
	struct tm		 tm;
	char			 line[64];

	gmtime_r(&now, &tm);
	snprintf(line, sizeof line, "Date: %s, %02d %s %04d %02d:%02d:%02d "
	    "+0000\r\n", wday[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	mail_adds(b, line);
}

/* <time.random@domain-of-sender> */
static void
mail_message_id(struct mail_buf *b, const char *from_addr, time_t now)
{
	struct timespec	 ts;
	unsigned char	 rnd[12];
	char		 hex[sizeof rnd * 2 + 1], line[512];
	uint64_t	 v;
	size_t		 i, got = 0;
	ssize_t		 n;

	while (got < sizeof rnd) {
		n = getrandom(rnd + got, sizeof rnd - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < sizeof rnd) {
		/* No entropy: the clock and the process keep it unique,
		 * which is all a Message-ID needs. */
		clock_gettime(CLOCK_REALTIME, &ts);
		v = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32) ^
		    (uint64_t)(uintptr_t)&ts;
		memset(rnd, 0, sizeof rnd);
		memcpy(rnd, &v, sizeof v);
	}
	for (i = 0; i < sizeof rnd; i++)
		snprintf(hex + i * 2, 3, "%02x", rnd[i]);
	snprintf(line, sizeof line, "Message-ID: <%lld.%s%s>\r\n",
	    (long long)now, hex, strchr(from_addr, '@'));
	mail_adds(b, line);
}

/* Appends the `n` bytes at `p` in base64 (RFC 4648, padded). */
static void
mail_base64(struct mail_buf *b, const unsigned char *p, size_t n)
{
	static const char	 alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char			 out[4];
	uint32_t		 v;
	size_t			 i;

	for (i = 0; i < n; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[0] = alphabet[(v >> 18) & 63];
		out[1] = alphabet[(v >> 12) & 63];
		out[2] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
		out[3] = i + 2 < n ? alphabet[v & 63] : '=';
		mail_add(b, out, 4);
	}
}

/*
 * "Subject: " and the subject: as is when it is short printable ASCII
 * that cannot be read as an encoded-word, otherwise as encoded-words of
 * whole UTF-8 characters, one per folded line.
 */
static void
mail_subject(struct mail_buf *b, const char *subject)
{
	const unsigned char	*p = (const unsigned char *)subject;
	size_t			 n = strlen(subject), take, k;

	mail_adds(b, "Subject: ");
	if (mail_printable(subject) && n <= MAIL_QP_LINE - 9 &&
	    strstr(subject, "=?") == NULL) {
		mail_add(b, subject, n);
		mail_adds(b, "\r\n");
		return;
	}
	while (n > 0) {
		take = 0;
		while (take < n) {
			k = mail_utf8_len(p + take, n - take);
			if (take + k > MAIL_WORD_BYTES)
				break;
			take += k;
		}
		mail_adds(b, "=?UTF-8?B?");
		mail_base64(b, p, take);
		mail_adds(b, "?=");
		p += take;
		n -= take;
		mail_adds(b, n > 0 ? "\r\n " : "\r\n");
	}
}

/*
 * Quoted-printable (RFC 2045): every line end of the text becomes CRLF,
 * lines are soft-broken at 76 characters, '=' and bytes outside printable
 * ASCII are =XX, and so is a space or tab ending a line (relays strip
 * those).  A leading "." or "From " is encoded as well, so neither
 * depends on the relay's handling of such lines.
 */
static void
mail_qp(struct mail_buf *b, const char *text)
{
	static const char	 hexd[] = "0123456789ABCDEF";
	const unsigned char	*p = (const unsigned char *)text;
	char			 tok[3];
	size_t			 col = 0, tlen;
	int			 end, encode;

	while (*p != '\0') {
		if (*p == '\r' || *p == '\n') {
			if (p[0] == '\r' && p[1] == '\n')
				p++;
			p++;
			mail_adds(b, "\r\n");
			col = 0;
			continue;
		}
		end = p[1] == '\0' || p[1] == '\r' || p[1] == '\n';
		encode = *p == '=' || *p > 0x7e || (*p < 0x20 && *p != '\t') ||
		    ((*p == ' ' || *p == '\t') && end) ||
		    (col == 0 && (*p == '.' ||
		    strncmp((const char *)p, "From ", 5) == 0));
		if (encode) {
			tok[0] = '=';
			tok[1] = hexd[*p >> 4];
			tok[2] = hexd[*p & 15];
			tlen = 3;
		} else {
			tok[0] = (char)*p;
			tlen = 1;
		}
		/* Room for the token and a soft break "=" after it, unless
		 * the line ends right after it. */
		if (col + tlen > MAIL_QP_LINE - (end ? 0 : 1)) {
			mail_adds(b, "=\r\n");
			col = 0;
			if (*p == '.' || *p == 'F') {
				/* Now at the start of a line: re-decide. */
				continue;
			}
		}
		mail_add(b, tok, tlen);
		col += tlen;
		p++;
	}
	if (col > 0)
		mail_adds(b, "\r\n");
}

/* The whole message: headers, blank line, quoted-printable body. */
static void
mail_build(struct mail_buf *b, const char *from, const char *from_addr,
    const char *to, const char *subject, const char *body)
{
	time_t	 now = time(NULL);

	mail_date(b, now);
	mail_adds(b, "From: ");
	mail_adds(b, from);
	mail_adds(b, "\r\nTo: ");
	mail_adds(b, to);
	mail_adds(b, "\r\n");
	mail_subject(b, subject);
	mail_message_id(b, from_addr, now);
	mail_adds(b, "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n");
	mail_qp(b, body);
}

/* ---------------------------------------------------------------- sending */

/* curl's read callback: the next bytes of the message in memory. */
static size_t
mail_read(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct mail_buf	*b = arg;
	size_t		 n = size * nmemb;

	if (n > b->len - b->off)
		n = b->len - b->off;
	memcpy(buf, b->data + b->off, n);
	b->off += n;
	return n;
}

/* curl rewinds the upload when it must send it again. */
static int
mail_seek(void *arg, curl_off_t offset, int origin)
{
	struct mail_buf	*b = arg;

	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > b->len)
		return CURL_SEEKFUNC_CANTSEEK;
	b->off = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

/* Everything a relay sees, checked before anything is built. */
static int
mail_check(const struct conf_smtp *c, const char *to, const char *subject,
    const char *body, char **cause)
{
	size_t	 n;

	if (c == NULL || c->url == NULL || *c->url == '\0') {
		*cause = xstrdup("no SMTP relay (smtp.url)");
		return -1;
	}
	if (to == NULL || subject == NULL || body == NULL) {
		*cause = xstrdup("recipient, subject and body are required");
		return -1;
	}
	if (mail_check_address("recipient", to, strnlen(to,
	    MAIL_MAX_ADDRESS + 1), cause) != 0)
		return -1;
	n = strnlen(subject, MAIL_MAX_SUBJECT + 1);
	if (n > MAIL_MAX_SUBJECT) {
		*cause = xasprintf("subject is over %d bytes",
		    MAIL_MAX_SUBJECT);
		return -1;
	}
	if (memchr(subject, '\r', n) != NULL ||
	    memchr(subject, '\n', n) != NULL) {
		*cause = xstrdup("subject holds CR or LF");
		return -1;
	}
	if (!mail_utf8_valid(subject, n)) {
		*cause = xstrdup("subject is not valid UTF-8");
		return -1;
	}
	n = strnlen(body, MAIL_MAX_BODY + 1);
	if (n > MAIL_MAX_BODY) {
		*cause = xasprintf("body is over %d bytes", MAIL_MAX_BODY);
		return -1;
	}
	if (!mail_utf8_valid(body, n)) {
		*cause = xstrdup("body is not valid UTF-8");
		return -1;
	}
	return 0;
}

/* Sets `curl` up for the relay of `c`: errors into errbuf, the
 * connection within connect_ms (the relay's greeting included) and all
 * within total_ms. */
static void
mail_curl_setup(CURL *curl, const struct conf_smtp *c, char *errbuf,
    long connect_ms, long total_ms)
{
	errbuf[0] = '\0';
	curl_easy_setopt(curl, CURLOPT_URL, c->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, total_ms);
	/* Also bounds the QUIT when a failed session is closed. */
	curl_easy_setopt(curl, CURLOPT_SERVER_RESPONSE_TIMEOUT,
	    (total_ms + 999) / 1000);
}

/*
 * One delivery of the message `msg` to `rcpt` on a handle of the pool
 * (mail-conn.h).  Returns curl's result; *code is the last SMTP reply
 * and *reused says whether the session was an earlier one.
 */
static CURLcode
mail_deliver(const struct conf_smtp *c, const char *from_addr,
    struct curl_slist *rcpt, struct mail_buf *msg, char *errbuf,
    long *code, int *reused, char **cause)
{
	CURL		*curl;
	CURLcode	 rc;
	char		*s;
	long		 timeout, connects = -1;

	*code = 0;
	*reused = 0;
	if ((curl = mail_conn_take(c->idle_timeout)) == NULL) {
		*cause = xstrdup("curl_easy_init failed");
		return CURLE_FAILED_INIT;
	}
	/* smtp.connect_timeout: a relay that accepts and never greets;
	 * smtp.timeout: the whole delivery, so no thread waits longer. */
	timeout = c->timeout > 0 ? (long)c->timeout : 10000;
	mail_curl_setup(curl, c, errbuf, c->connect_timeout > 0 ?
	    (long)c->connect_timeout : timeout, timeout);
	s = xasprintf("<%s>", from_addr);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, s);
	free(s);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, mail_read);
	curl_easy_setopt(curl, CURLOPT_READDATA, msg);
	curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, mail_seek);
	curl_easy_setopt(curl, CURLOPT_SEEKDATA, msg);
	curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg->len);
	msg->off = 0;
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, code);
	curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
	*reused = connects == 0;
	mail_conn_give(curl, rc == CURLE_OK, c->idle_timeout, c->connect_timeout >
	    0 ? c->connect_timeout : timeout);
	return rc;
}

int
mail_send(const struct conf_smtp *c, const char *to, const char *subject,
    const char *text_body, char **cause)
{
	struct mail_buf		 msg = { 0 };
	struct curl_slist	*rcpt = NULL;
	CURLcode		 rc;
	char			 errbuf[CURL_ERROR_SIZE], *from_addr, *s;
	long			 code = 0;
	int			 reused;

	if (mail_check(c, to, subject, text_body, cause) != 0)
		return -1;
	if ((from_addr = mail_from_address(c->from, cause)) == NULL)
		return -1;
	mail_build(&msg, c->from, from_addr, to, subject, text_body);
	s = xasprintf("<%s>", to);
	rcpt = curl_slist_append(rcpt, s);
	free(s);
	if (rcpt == NULL) {
		free(msg.data);
		free(from_addr);
		*cause = xasprintf("mail to %s: out of memory", to);
		return -1;
	}
	rc = mail_deliver(c, from_addr, rcpt, &msg, errbuf, &code, &reused,
	    cause);
	/*
	 * A kept session the relay closed just as it was reused (it checked
	 * alive an instant before) fails with no reply, or with 421 (the
	 * relay is closing it): once more, on a session of its own.
	 */
	if (rc != CURLE_OK && rc != CURLE_FAILED_INIT && reused &&
	    (code == 0 || code == 421))
		rc = mail_deliver(c, from_addr, rcpt, &msg, errbuf, &code,
		    &reused, cause);
	curl_slist_free_all(rcpt);
	free(msg.data);
	free(from_addr);
	if (rc == CURLE_OK)
		return 0;
	if (rc == CURLE_FAILED_INIT)
		return -1;
	if (code > 0)
		*cause = xasprintf("mail to %s: %s%s%s (SMTP reply %ld)", to,
		    curl_easy_strerror(rc), *errbuf != '\0' ? ": " : "",
		    errbuf, code);
	else
		*cause = xasprintf("mail to %s: %s%s%s (no SMTP reply)", to,
		    curl_easy_strerror(rc), *errbuf != '\0' ? ": " : "",
		    errbuf);
	return -1;
}

/*
 * The relay greets and answers EHLO: libcurl's connect-only mode stops
 * right after the protocol's own handshake, so no mail is sent.
 */
int
mail_ping(const struct conf_smtp *c, int64_t timeout_ms, double *latency_ms,
    char **cause)
{
	char	 errbuf[CURL_ERROR_SIZE];
	CURL	*curl;
	CURLcode rc;
	double	 t = 0;

	if ((curl = curl_easy_init()) == NULL) {
		*cause = xstrdup("curl_easy_init failed");
		return -1;
	}
	mail_curl_setup(curl, c, errbuf, (long)timeout_ms, (long)timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECT_ONLY, 1L);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &t);
	curl_easy_cleanup(curl);
	if (rc != CURLE_OK) {
		*cause = xasprintf("SMTP relay: %s", *errbuf != '\0' ? errbuf :
		    curl_easy_strerror(rc));
		return -1;
	}
	*latency_ms = t * 1000.0;
	return 0;
}
