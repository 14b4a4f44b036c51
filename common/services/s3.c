/*
 * s3.c — the S3 client: making and freeing clients, and the object and
 * bucket requests (put, get, delete, the bucket probe).  Requests are run
 * by s3-request.c, multipart uploads live in s3-multipart.c and URLs in
 * s3-url.c.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "s3-int.h"
#include "xmalloc.h"

int
s3_global_init(char **cause)
{
	CURLcode	 rc;

	rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		*cause = xasprintf("curl_global_init: %s",
		    curl_easy_strerror(rc));
		return -1;
	}
	if (sodium_init() < 0) {
		curl_global_cleanup();
		*cause = xstrdup("sodium_init failed");
		return -1;
	}
	return 0;
}

void
s3_global_cleanup(void)
{
	curl_global_cleanup();
}

/* The configured key, or the environment's when it is "". */
static char *
s3_credential(const char *conf, const char *env, const char *what,
    char **cause)
{
	const char	*v = conf;

	if (v == NULL || *v == '\0')
		v = getenv(env);
	if (v == NULL || *v == '\0') {
		*cause = xasprintf("no S3 %s: set s3.%s or $%s", what, what,
		    env);
		return NULL;
	}
	return xstrdup(v);
}

struct s3 *
s3_new(const struct conf_s3 *c, char **cause)
{
	struct s3	*s3;

	s3 = xcalloc(1, sizeof *s3);
	s3->path_style = c->path_style != 0;
	s3->base = s3_base(c->endpoint, c->bucket, s3->path_style, cause);
	if (s3->base == NULL)
		goto fail;
	if (c->region == NULL || *c->region == '\0' ||
	    strchr(c->region, ':') != NULL) {
		*cause = xasprintf("bad S3 region \"%s\"",
		    c->region != NULL ? c->region : "");
		goto fail;
	}
	s3->access_key = s3_credential(c->access_key, "PFO3_S3_ACCESS_KEY",
	    "access_key", cause);
	if (s3->access_key == NULL)
		goto fail;
	s3->secret_key = s3_credential(c->secret_key, "PFO3_S3_SECRET_KEY",
	    "secret_key", cause);
	if (s3->secret_key == NULL)
		goto fail;
	s3->bucket = xstrdup(c->bucket);
	s3->sigv4 = xasprintf("aws:amz:%s:s3", c->region);
	s3->timeout_ms = c->timeout > 0 ? (long)c->timeout : 10000;
	s3->complete_ms = c->complete_timeout > 0 ?
	    (long)c->complete_timeout : 300000;
	s3->connect_ms = c->connect_timeout > 0 ? (long)c->connect_timeout :
	    3000;
	s3->part_size = c->part_size;
	s3->single_put_max = c->single_put_max;
	s3->retries = (int)c->retries;
	if (s3->part_size < S3_PART_MIN)
		s3->part_size = S3_PART_MIN;
	s3->curl = curl_easy_init();
	if (s3->curl == NULL) {
		*cause = xstrdup("curl_easy_init failed");
		goto fail;
	}
	return s3;

fail:
	s3_free(s3);
	return NULL;
}

void
s3_free(struct s3 *s3)
{
	if (s3 == NULL)
		return;
	if (s3->curl != NULL)
		curl_easy_cleanup(s3->curl);
	if (s3->secret_key != NULL) {
		sodium_memzero(s3->secret_key, strlen(s3->secret_key));
		free(s3->secret_key);
	}
	free(s3->access_key);
	free(s3->sigv4);
	free(s3->bucket);
	free(s3->base);
	free(s3);
}

int64_t
s3_part_size(const struct s3 *s3)
{
	return s3->part_size;
}

int64_t
s3_single_put_max(const struct s3 *s3)
{
	return s3->single_put_max;
}

int64_t
s3_connections(const struct s3 *s3)
{
	return s3->connects;
}

/* A PUT body's hash must be 64 hex digits: anything else would be sent as
 * is and signed, and fail later with a less clear error. */
static int
s3_hash_valid(const char *hex)
{
	return strlen(hex) == 64 && strspn(hex, "0123456789abcdef") == 64;
}

int
s3_put(struct s3 *s3, const char *key, const char *content_type,
    s3_read_cb read_cb, void *arg, int64_t size, const char *sha256_hex,
    char **cause)
{
	struct s3_req	 r = { 0 };
	int		 rv;

	if (s3_key_check(key, cause) != 0)
		return -1;
	r.method = "PUT";
	r.key = key;
	if (size < 0 || (read_cb == NULL && size != 0)) {
		s3_fail(s3, &r, cause, "no body");
		return -1;
	}
	if (sha256_hex != NULL && !s3_hash_valid(sha256_hex)) {
		s3_fail(s3, &r, cause, "bad SHA-256 \"%.80s\"", sha256_hex);
		return -1;
	}
	r.content_type = content_type != NULL ? content_type :
	    "application/octet-stream";
	r.payload_hash = sha256_hex != NULL ? sha256_hex : S3_UNSIGNED;
	r.read_cb = read_cb;
	r.read_arg = arg;
	r.size = size;
	rv = s3_perform(s3, &r, cause);
	s3_req_clear(&r);
	return rv;
}

int
s3_put_buf(struct s3 *s3, const char *key, const char *content_type,
    const void *data, size_t len, char **cause)
{
	struct s3_req	 r = { 0 };
	char		 hex[S3_SHA256_HEX];
	int		 rv;

	if (s3_key_check(key, cause) != 0)
		return -1;
	s3_sha256_hex(data, len, hex);
	r.method = "PUT";
	r.key = key;
	r.content_type = content_type != NULL ? content_type :
	    "application/octet-stream";
	r.payload_hash = hex;
	r.data = data;
	r.len = len;
	r.size = (int64_t)len;
	rv = s3_perform(s3, &r, cause);
	s3_req_clear(&r);
	return rv;
}

int
s3_get(struct s3 *s3, const char *key, s3_write_cb write_cb, void *arg,
    int64_t *size, char **cause)
{
	struct s3_req	 r = { 0 };
	int		 rv;

	if (size != NULL)
		*size = 0;
	if (s3_key_check(key, cause) != 0)
		return -1;
	r.method = "GET";
	r.key = key;
	if (write_cb == NULL) {
		s3_fail(s3, &r, cause, "no receiver");
		return -1;
	}
	r.write_cb = write_cb;
	r.write_arg = arg;
	rv = s3_perform(s3, &r, cause);
	if (rv != 0 && r.status == 404)
		rv = S3_NOTFOUND;
	if (rv == 0 && size != NULL)
		*size = r.received;
	s3_req_clear(&r);
	return rv;
}

int
s3_delete(struct s3 *s3, const char *key, char **cause)
{
	struct s3_req	 r = { 0 };
	int		 rv;

	if (s3_key_check(key, cause) != 0)
		return -1;
	r.method = "DELETE";
	r.key = key;
	rv = s3_perform(s3, &r, cause);
	s3_req_clear(&r);
	return rv;
}

int
s3_head_bucket(struct s3 *s3, double *latency_ms, char **cause)
{
	struct s3_req	 r = { 0 };
	int		 rv;

	r.method = "HEAD";
	rv = s3_perform(s3, &r, cause);
	if (latency_ms != NULL)
		*latency_ms = r.seconds * 1000.0;
	s3_req_clear(&r);
	return rv;
}

int
s3_ping(struct s3 *s3, double *latency_ms, char **cause)
{
	struct s3_req	 r = { 0 };
	char		*why = NULL;
	int		 rv;

	r.method = "HEAD";
	r.key = S3_PING_KEY;
	rv = s3_perform(s3, &r, &why);
	if (rv != 0 && r.status == 404) {
		/* Answered, signature checked: all a probe asks. */
		free(why);
		rv = 0;
	} else if (rv != 0)
		*cause = why;
	if (latency_ms != NULL)
		*latency_ms = r.seconds * 1000.0;
	s3_req_clear(&r);
	return rv;
}
