/*
 * s3-request.c — one S3 request on the client's curl easy handle.
 *
 * Signing is libcurl's (CURLOPT_AWS_SIGV4).  Version 7.88 needs help:
 * - it signs the URL as given, so s3_url() builds it canonical;
 * - it hashes no body sent through a read callback and adds no
 *   x-amz-content-sha256, so every request carries that header (it is
 *   then signed, and S3 requires it);
 * - it signs every header of CURLOPT_HTTPHEADER, including an empty
 *   "Expect:" meant to suppress a header, which breaks the signature.  So
 *   no Expect header is ever set by hand: curl adds its own
 *   "Expect: 100-continue" to uploads after signing (outside
 *   SignedHeaders), which also lets S3 refuse a bad request before the
 *   body is sent;
 * - CURLOPT_INFILESIZE_LARGE is always set on uploads: without it curl
 *   sends a chunked body, which plain SigV4 S3 refuses.
 * The handle is reset before each request (curl_easy_reset keeps the live
 * connections), so no option of one request leaks into the next.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "s3-int.h"
#include "xmalloc.h"

/* Replaces every copy of the secret in `msg` (a last line of defence:
 * nothing is meant to put it there). */
static char *
s3_redact(const struct s3 *s3, char *msg)
{
	struct s3_buf	 b = { 0 };
	const char	*p, *hit;
	size_t		 n;

	if (s3->secret_key == NULL || *s3->secret_key == '\0' ||
	    strstr(msg, s3->secret_key) == NULL)
		return msg;
	n = strlen(s3->secret_key);
	for (p = msg; (hit = strstr(p, s3->secret_key)) != NULL; p = hit + n) {
		s3_buf_add(&b, p, hit - p);
		s3_buf_addstr(&b, "[secret]");
	}
	s3_buf_addstr(&b, p);
	free(msg);
	return b.data;
}

void
s3_fail(struct s3 *s3, const struct s3_req *r, char **cause,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatalx("out of memory");
	va_end(ap);
	*cause = s3_redact(s3, xasprintf("S3 %s %s: %s", r->method,
	    r->key != NULL ? r->key : s3->bucket, msg));
	free(msg);
}

/* Upload bytes: from the caller's callback or from memory. */
static size_t
s3_read(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct s3_req	*r = arg;
	size_t		 want = size * nmemb;
	ssize_t		 n;

	if (r->read_cb == NULL) {
		if (want > r->len - r->data_off)
			want = r->len - r->data_off;
		if (want == 0)
			return 0;
		memcpy(buf, (const char *)r->data + r->data_off, want);
		r->data_off += want;
		return want;
	}
	/* Never more than the announced size, and no early end: either
	 * would leave the server waiting or the body cut. */
	if ((int64_t)want > r->size - r->sent)
		want = (size_t)(r->size - r->sent);
	if (want == 0)
		return 0;
	n = r->read_cb(buf, want, r->read_arg);
	if (n <= 0 || (size_t)n > want) {
		r->read_failed = 1;
		return CURL_READFUNC_ABORT;
	}
	r->sent += n;
	return (size_t)n;
}

/* Curl rewinds an upload to send it again (after a redirect or an
 * authentication round trip); only a body in memory can be. */
static int
s3_seek(void *arg, curl_off_t offset, int origin)
{
	struct s3_req	*r = arg;

	if (r->read_cb != NULL || origin != SEEK_SET || offset < 0 ||
	    (uint64_t)offset > r->len)
		return CURL_SEEKFUNC_CANTSEEK;
	r->data_off = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

static size_t
s3_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct s3_req	*r = arg;
	size_t		 len = size * nmemb;

	if (r->write_cb != NULL && r->status >= 200 && r->status < 300) {
		if (r->write_cb(data, len, r->write_arg) != 0) {
			r->write_failed = 1;
			return 0;
		}
		r->received += (int64_t)len;
		return len;
	}
	s3_buf_add(&r->body, data, len);
	return len;
}

/* Keeps the reason phrase of the last status line and the ETag. */
static size_t
s3_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct s3_req	*r = arg;
	size_t		 len = size * nmemb, n;
	const char	*p, *end = data + len;

	while (end > data && (end[-1] == '\r' || end[-1] == '\n'))
		end--;
	n = end - data;
	if (n > 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* "HTTP/1.1 404 Not Found": a new response (after 100). */
		free(r->reason);
		r->reason = NULL;
		r->status = 0;
		p = memchr(data, ' ', n);
		if (p == NULL)
			return len;
		r->status = strtol(p + 1, NULL, 10);
		if ((p = memchr(p + 1, ' ', end - p - 1)) != NULL)
			r->reason = xstrndup(p + 1, end - p - 1);
		return len;
	}
	if (n > 5 && strncasecmp(data, "etag:", 5) == 0) {
		for (p = data + 5; p < end && (*p == ' ' || *p == '\t'); p++)
			;
		free(r->etag);
		r->etag = xstrndup(p, end - p);
	}
	return len;
}

/*
 * libcurl calls this at least once a second, moving or not.  A request
 * whose bytes have not moved either way for its stall bound is given up:
 * the bound is exact, where CURLOPT_LOW_SPEED_TIME, which averages the
 * speed over a few seconds, lets a small request that sent its body and
 * then met a hung server wait seconds past it.
 */
static int
s3_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct s3_req	*r = arg;
	int64_t		 now = clock_mono_ms();

	(void)dltotal;
	(void)ultotal;
	if (dlnow != r->moved_down || ulnow != r->moved_up) {
		r->moved_down = dlnow;
		r->moved_up = ulnow;
		r->moved_ms = now;
		return 0;
	}
	if (now - r->moved_ms < r->stall_limit_ms)
		return 0;
	r->stalled = 1;
	return 1;
}

/* Sets every option of one request on a freshly reset handle. */
static struct curl_slist *
s3_setup(struct s3 *s3, struct s3_req *r, const char *url)
{
	CURL			*c = s3->curl;
	struct curl_slist	*h = NULL;
	char			*line;

	curl_easy_reset(c);
	s3->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s3->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "pfo3-workerd");
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s3->sigv4);
	curl_easy_setopt(c, CURLOPT_USERNAME, s3->access_key);
	curl_easy_setopt(c, CURLOPT_PASSWORD, s3->secret_key);

	/*
	 * s3.connect_timeout bounds connecting; s3.timeout bounds any stall
	 * (a server that accepted and went silent), not the whole transfer:
	 * a large object may take long, but never sits idle that long.  A
	 * request known to be silent for long (joining parts) says so.
	 */
	r->stall_limit_ms = r->stall_ms > 0 ? r->stall_ms : s3->timeout_ms;
	r->moved_ms = clock_mono_ms();
	r->moved_down = r->moved_up = 0;
	r->stalled = 0;
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, s3->connect_ms);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, s3_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, r);

	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s3_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s3_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);

	if (strcmp(r->method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)r->size);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, s3_read);
		curl_easy_setopt(c, CURLOPT_READDATA, r);
		curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, s3_seek);
		curl_easy_setopt(c, CURLOPT_SEEKDATA, r);
		/* A body streamed from a callback comes in larger pieces,
		 * and goes out in fewer sends, than curl's 64 KiB. */
		if (r->read_cb != NULL)
			curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE,
			    (long)S3_UPLOAD_BUFFER);
	} else if (strcmp(r->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)r->len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS,
		    r->data != NULL ? r->data : "");
	} else if (strcmp(r->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(r->method, "GET") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);

	line = xasprintf("x-amz-content-sha256: %s", r->payload_hash);
	h = curl_slist_append(h, line);
	free(line);
	if (r->content_type != NULL) {
		line = xasprintf("Content-Type: %s", r->content_type);
		h = curl_slist_append(h, line);
		free(line);
	}
	if (r->header != NULL)
		h = curl_slist_append(h, r->header);
	if (h == NULL)
		fatalx("curl_slist_append: out of memory");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	return h;
}

/* A header value must not end the header early: no CR, LF or other
 * control character. */
static int
s3_header_value_ok(const char *v)
{
	for (; *v != '\0'; v++) {
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return 0;
	}
	return 1;
}

/* Turns a non-2xx answer into "403 SignatureDoesNotMatch: message". */
static void
s3_fail_status(struct s3 *s3, const struct s3_req *r, char **cause)
{
	char	*code, *msg;

	code = s3_xml_text(r->body.data, "Code");
	msg = s3_xml_text(r->body.data, "Message");
	if (code != NULL && msg != NULL && *msg != '\0')
		s3_fail(s3, r, cause, "%ld %s: %.300s", r->status, code, msg);
	else if (code != NULL)
		s3_fail(s3, r, cause, "%ld %s", r->status, code);
	else
		s3_fail(s3, r, cause, "%ld %s", r->status,
		    r->reason != NULL && *r->reason != '\0' ? r->reason :
		    "error");
	free(code);
	free(msg);
}

/* One try of `r`; see s3_perform. */
static int
s3_perform_once(struct s3 *s3, struct s3_req *r, char **cause)
{
	struct curl_slist	*h;
	CURLcode		 rc;
	char			*url;
	long			 status = 0, connects = 0;
	double			 total = 0;

	if (r->payload_hash == NULL)
		r->payload_hash = S3_EMPTY_SHA256;
	if (r->content_type != NULL && !s3_header_value_ok(r->content_type)) {
		s3_fail(s3, r, cause, "bad Content-Type");
		return -1;
	}
	r->body.max = S3_BODY_MAX;
	url = s3_url(s3->base, s3->bucket, s3->path_style, r->key, r->params,
	    r->nparams);
	h = s3_setup(s3, r, url);
	rc = curl_easy_perform(s3->curl);
	curl_easy_getinfo(s3->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(s3->curl, CURLINFO_NUM_CONNECTS, &connects);
	curl_easy_getinfo(s3->curl, CURLINFO_TOTAL_TIME, &total);
	/* Drop every pointer into `r` and `h` before they go away. */
	curl_easy_reset(s3->curl);
	curl_slist_free_all(h);
	free(url);
	r->status = status;
	r->seconds = total;
	s3->connects += connects;

	if (rc != CURLE_OK) {
		if (r->write_failed)
			s3_fail(s3, r, cause, "the receiver stopped the "
			    "download");
		else if (r->stalled)
			s3_fail(s3, r, cause, "nothing moved for %ld ms "
			    "(%s)", r->stall_limit_ms, r->stall_ms > 0 ?
			    "s3.complete_timeout" : "s3.timeout");
		else if (r->read_failed)
			s3_fail(s3, r, cause, "the body source failed after "
			    "%lld of %lld bytes", (long long)r->sent,
			    (long long)r->size);
		else
			s3_fail(s3, r, cause, "%s%s%s", curl_easy_strerror(rc),
			    s3->errbuf[0] != '\0' ? ": " : "", s3->errbuf);
		r->status = 0;
		return -1;
	}
	log_debug("S3 %s %s: %ld in %.1f ms", r->method,
	    r->key != NULL ? r->key : s3->bucket, status, total * 1000.0);
	if (status < 200 || status > 299) {
		s3_fail_status(s3, r, cause);
		return -1;
	}
	return 0;
}

/*
 * 1 when a new try may mend `r`: S3 said it failed (5xx: an internal
 * error, "slow down") and the request can be sent again as it was: its
 * body, if any, is in memory, and nothing of an answer was handed on.
 */
static int
s3_retryable(const struct s3_req *r)
{
	return r->status >= 500 && r->status <= 599 && r->read_cb == NULL &&
	    r->received == 0;
}

int
s3_perform(struct s3 *s3, struct s3_req *r, char **cause)
{
	int	try;

	for (try = 0;; try++) {
		if (s3_perform_once(s3, r, cause) == 0)
			return 0;
		if (try >= s3->retries || !s3_retryable(r))
			return -1;
		log_debug("%s: trying again", *cause);
		free(*cause);
		*cause = NULL;
		s3_req_clear(r);
		r->data_off = 0;
		r->write_failed = r->read_failed = 0;
		/* 100 ms, then 200 ms, …: give a busy server room. */
		usleep(100000U << (try < 4 ? try : 4));
	}
}

void
s3_req_clear(struct s3_req *r)
{
	free(r->reason);
	r->reason = NULL;
	free(r->etag);
	r->etag = NULL;
	s3_buf_free(&r->body);
}
