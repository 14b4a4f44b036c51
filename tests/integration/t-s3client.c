/*
 * t-s3client.c — the S3 client against the S3 server of the running stack
 * (./stack test sets PFO3_S3_*): objects with awkward keys up and down,
 * checked byte for byte through the curl command as an independent
 * client, multipart uploads, delete, a wrong secret, the bucket probe,
 * connection reuse, clients in parallel threads, and that a 64 MiB upload
 * and download stream through bounded memory.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "s3.h"
#include "tap.h"
#include "testutil.h"
#include "xmalloc.h"

#define MiB		(1024 * 1024)
#define BIG_SIZE	(64 * MiB)
#define RSS_SLACK	(16 * MiB)

extern char **environ;

static const char *env_endpoint, *env_bucket, *env_region, *env_access,
    *env_secret;
static char prefix[128];
static char tmpfile_path[256];

/* ---------------------------------------------------------------- helpers */

/* A reproducible byte stream (xorshift64*). */
static uint64_t
prng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void
prng_fill(uint64_t *s, unsigned char *buf, size_t len)
{
	uint64_t	 v;
	size_t		 i, n;

	for (i = 0; i < len; i += n) {
		v = prng_next(s);
		n = len - i < sizeof v ? len - i : sizeof v;
		memcpy(buf + i, &v, n);
	}
}

/* VmRSS of this process in bytes, from /proc/self/status. */
static long long
rss_bytes(void)
{
	FILE		*f;
	char		 line[256];
	long long	 kb = -1;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "VmRSS: %lld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb * 1024;
}

static char *
key_of(const char *name)
{
	return xasprintf("%s/%s", prefix, name);
}

/* The test's own SigV4 path encoding, written apart from the client's so
 * that the curl command checks it rather than repeats it. */
static char *
url_of(const char *key)
{
	size_t		 i, n = 0, len = strlen(key);
	char		*path = xmalloc(len * 3 + 1), *url;
	unsigned char	 c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)key[i];
		if (strchr("-._~/", c) != NULL || (c >= '0' && c <= '9') ||
		    ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
			path[n++] = (char)c;
		else
			n += (size_t)sprintf(path + n, "%%%02X", c);
	}
	path[n] = '\0';
	url = xasprintf("%s/%s/%s", env_endpoint, env_bucket, path);
	free(path);
	return url;
}

/* Runs the curl command on `key`: a GET into tmpfile_path, or a PUT of
 * it.  Returns curl's exit status (22 for an HTTP error with --fail). */
static int
curl_cli(const char *method, const char *key)
{
	char	*url, *user, *sigv4;
	int	 rv;

	url = url_of(key);
	user = xasprintf("%s:%s", env_access, env_secret);
	sigv4 = xasprintf("aws:amz:%s:s3", env_region);
	{
		char *argv[] = {
			"curl", "-sS", "--fail", "--aws-sigv4", sigv4,
			"--user", user,
			"-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
			strcmp(method, "GET") == 0 ? "-o" : "-T", tmpfile_path,
			url, NULL
		};
		rv = testutil_run(argv, NULL);
	}
	free(url);
	free(user);
	free(sigv4);
	return rv;
}

/* Reading from memory. */
struct mem_reader {
	const unsigned char	*data;
	size_t			 len;
	size_t			 off;
};

static ssize_t
mem_read(void *buf, size_t len, void *arg)
{
	struct mem_reader	*m = arg;

	if (len > m->len - m->off)
		len = m->len - m->off;
	memcpy(buf, m->data + m->off, len);
	m->off += len;
	return (ssize_t)len;
}

/* Collecting into memory. */
struct mem_writer {
	unsigned char	*data;
	size_t		 len;
};

static int
mem_write(const void *data, size_t len, void *arg)
{
	struct mem_writer	*m = arg;

	m->data = xrealloc(m->data, m->len + len + 1);
	memcpy(m->data + m->len, data, len);
	m->len += len;
	return 0;
}

/* Comparing a download with a generated stream, without keeping either. */
struct stream_check {
	uint64_t			 seed;
	crypto_hash_sha256_state	 sha;
	int64_t				 len;
	int64_t				 size;	/* generator: bytes to make */
	long long			 rss_max;
	int64_t				 next_rss;
};

static void
stream_rss(struct stream_check *c)
{
	long long	 rss;

	if (c->len >= c->next_rss) {
		rss = rss_bytes();
		if (rss > c->rss_max)
			c->rss_max = rss;
		c->next_rss += 2 * MiB;
	}
}

static ssize_t
gen_read(void *buf, size_t len, void *arg)
{
	struct stream_check	*c = arg;

	if ((int64_t)len > c->size - c->len)
		len = (size_t)(c->size - c->len);
	prng_fill(&c->seed, buf, len);
	crypto_hash_sha256_update(&c->sha, buf, len);
	c->len += (int64_t)len;
	stream_rss(c);
	return (ssize_t)len;
}

static int
hash_write(const void *data, size_t len, void *arg)
{
	struct stream_check	*c = arg;

	crypto_hash_sha256_update(&c->sha, data, len);
	c->len += (int64_t)len;
	stream_rss(c);
	return 0;
}

static ssize_t
fail_read(void *buf, size_t len, void *arg)
{
	return -1;
}

static int
refuse_write(const void *data, size_t len, void *arg)
{
	return -1;
}

static int
has(const char *s, const char *what)
{
	return s != NULL && strstr(s, what) != NULL;
}

static struct conf_s3
conf_from_env(void)
{
	struct conf_s3	 c;

	memset(&c, 0, sizeof c);
	c.endpoint = (char *)env_endpoint;
	c.bucket = (char *)env_bucket;
	c.region = (char *)env_region;
	c.path_style = 1;
	c.access_key = (char *)"";	/* from $PFO3_S3_ACCESS_KEY */
	c.secret_key = (char *)"";	/* from $PFO3_S3_SECRET_KEY */
	c.timeout = 10000;
	c.part_size = 5 * MiB;
	return c;
}

/* A listening socket on a free loopback port.  Until someone accepts, the
 * kernel completes connections and nothing answers them. */
static int
listen_loopback(int *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	int			 fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(fd, 4) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/*
 * A canned server for answers the S3 server of the stack never gives (a
 * 200 holding an <Error>, 404 NoSuchUpload, 501): each connection gets the
 * next reply of the list, then is closed.
 */
struct canned {
	int		 fd;
	const char	*const *replies;	/* status, body, status, … */
	int		 n;
	pthread_t	 thread;
};

static void
write_all(int fd, const char *s)
{
	size_t	 len = strlen(s);
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, s, len)) <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/* Reads one request (head and Content-Length body), answering an
 * Expect: 100-continue. */
static void
canned_read(int fd)
{
	char	 buf[8192], *end, *cl;
	size_t	 len = 0;
	ssize_t	 n;
	long	 body = 0, got;

	while (len < sizeof buf - 1) {
		if ((n = read(fd, buf + len, sizeof buf - 1 - len)) <= 0)
			return;
		len += (size_t)n;
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	if (end == NULL)
		return;
	if ((cl = strcasestr(buf, "\r\ncontent-length:")) != NULL && cl < end)
		body = strtol(cl + 17, NULL, 10);
	if (strcasestr(buf, "\r\nexpect: 100-continue") != NULL)
		write_all(fd, "HTTP/1.1 100 Continue\r\n\r\n");
	got = (long)(len - (size_t)(end + 4 - buf));
	while (got < body) {
		if ((n = read(fd, buf, sizeof buf)) <= 0)
			return;
		got += n;
	}
}

static void *
canned_main(void *arg)
{
	struct canned	*c = arg;
	char		*reply;
	int		 i, fd;

	for (i = 0; i < c->n; i++) {
		if ((fd = accept(c->fd, NULL, NULL)) == -1)
			return NULL;
		canned_read(fd);
		reply = xasprintf("HTTP/1.1 %s\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n%s", c->replies[2 * i],
		    strlen(c->replies[2 * i + 1]), c->replies[2 * i + 1]);
		write_all(fd, reply);
		free(reply);
		close(fd);
	}
	return NULL;
}

/* s3_list_cb: appends "key upload_id when;" to a string. */
static int
list_collect(const char *key, const char *upload_id, int64_t when, void *arg)
{
	char	**all = arg, *s;

	s = xasprintf("%s%s %s %lld;", *all != NULL ? *all : "", key,
	    upload_id != NULL ? upload_id : "-", (long long)when);
	free(*all);
	*all = s;
	return 0;
}

/* The listings and the lifecycle rule against canned_main's replies. */
static void
test_canned_lists(struct s3 *s3)
{
	char	*all = NULL, *cause = NULL;
	int	 rv;

	rv = s3_list_uploads(s3, "files/", list_collect, &all, &cause);
	tap_ok(rv == 0 && all != NULL && strcmp(all, "files/1/1 u1 "
	    "1767323045;files/1/2 u2 0;files/1/3&x u3 0;") == 0,
	    "ListMultipartUploads: both pages, markers followed, entities "
	    "decoded, times read: %s", all != NULL ? all : cause);
	free(all);
	free(cause);
	all = cause = NULL;
	rv = s3_list(s3, "", list_collect, &all, &cause);
	tap_ok(rv == 0 && all != NULL && strcmp(all, "a - 1767323045;"
	    "b - 0;") == 0, "ListObjectsV2: both pages through the "
	    "continuation token: %s", all != NULL ? all : cause);
	free(all);
	free(cause);
	all = cause = NULL;
	rv = s3_list(s3, "", list_collect, &all, &cause);
	tap_ok(rv == -1 && has(cause, "without a continuation token"),
	    "a truncated listing without its token fails: %s",
	    cause != NULL ? cause : "");
	free(all);
	free(cause);
	cause = NULL;
	rv = s3_lifecycle_abort(s3, 1, &cause);
	tap_ok(rv == 0, "lifecycle: none yet, so the rule is PUT%s%s",
	    cause != NULL ? ": " : "", cause != NULL ? cause : "");
	free(cause);
	cause = NULL;
	rv = s3_lifecycle_abort(s3, 1, &cause);
	tap_ok(rv == 0, "lifecycle: an existing one is left alone");
	free(cause);
	cause = NULL;
	rv = s3_lifecycle_abort(s3, 1, &cause);
	tap_ok(rv == S3_REFUSED, "lifecycle: 501 is S3_REFUSED");
	free(cause);
}

static void
test_canned(void)
{
	static const char *const replies[] = {
		"200 OK", "<Error><Code>InternalError</Code><Message>We "
		"encountered an internal error. Try again.</Message></Error>\n",
		"404 Not Found", "<Error><Code>NoSuchUpload</Code>"
		"<Message>gone</Message></Error>\n",
		"501 Not Implemented", "",
		"403 Forbidden", "<Error><Code>AccessDenied</Code>"
		"<Message>no</Message></Error>\n",
		"200 OK", "",
		"200 OK", "<a/>\n",
		/* ListMultipartUploads, two pages. */
		"200 OK", "<ListMultipartUploadsResult><IsTruncated>true"
		"</IsTruncated><NextKeyMarker>files/1/2</NextKeyMarker>"
		"<NextUploadIdMarker>u2</NextUploadIdMarker><Upload><Key>"
		"files/1/1</Key><UploadId>u1</UploadId><Initiated>"
		"2026-01-02T03:04:05.000Z</Initiated></Upload><Upload><Key>"
		"files/1/2</Key><UploadId>u2</UploadId></Upload>"
		"</ListMultipartUploadsResult>",
		"200 OK", "<ListMultipartUploadsResult><IsTruncated>false"
		"</IsTruncated><Upload><Key>files/1/3&amp;x</Key><UploadId>u3"
		"</UploadId></Upload></ListMultipartUploadsResult>",
		/* ListObjectsV2 with a continuation; then one without its
		 * token. */
		"200 OK", "<ListBucketResult><IsTruncated>true</IsTruncated>"
		"<NextContinuationToken>t1</NextContinuationToken><Contents>"
		"<Key>a</Key><LastModified>2026-01-02T03:04:05.000Z"
		"</LastModified></Contents></ListBucketResult>",
		"200 OK", "<ListBucketResult><IsTruncated>false</IsTruncated>"
		"<Contents><Key>b</Key></Contents></ListBucketResult>",
		"200 OK", "<ListBucketResult><IsTruncated>true</IsTruncated>"
		"</ListBucketResult>",
		/* Lifecycle: none yet, then the PUT; then one exists. */
		"404 Not Found", "<Error><Code>NoSuchLifecycleConfiguration"
		"</Code><Message>none</Message></Error>",
		"200 OK", "",
		"200 OK", "<LifecycleConfiguration/>",
		"501 Not Implemented", "",
	};
	struct canned	 cn;
	struct conf_s3	 c = conf_from_env();
	struct s3	*s3;
	char		*cause = NULL, *url, *etag = NULL, *id = NULL;
	char		*etags[] = { (char *)"\"e1\"" };
	int		 port, rv;

	memset(&cn, 0, sizeof cn);
	if ((cn.fd = listen_loopback(&port)) == -1) {
		tap_ok(0, "canned server: %s", strerror(errno));
		return;
	}
	cn.replies = replies;
	cn.n = sizeof replies / sizeof replies[0] / 2;
	if (pthread_create(&cn.thread, NULL, canned_main, &cn) != 0) {
		tap_ok(0, "canned server thread");
		close(cn.fd);
		return;
	}
	c.endpoint = url = xasprintf("http://127.0.0.1:%d", port);
	if ((s3 = s3_new(&c, &cause)) == NULL) {
		tap_ok(0, "client for the canned server: %s", cause);
		free(cause);
		goto out;
	}

	rv = s3_mpu_complete(s3, "k", "u", etags, 1, &cause);
	tap_ok(rv == -1 && has(cause, "200 InternalError: We encountered"),
	    "a 200 holding an <Error> fails the completion: %s",
	    cause != NULL ? cause : "");
	free(cause);
	cause = NULL;
	rv = s3_mpu_abort(s3, "k", "u", &cause);
	tap_ok(rv == 0 && cause == NULL, "abort: 404 NoSuchUpload is "
	    "nothing to abort");
	free(cause);
	cause = NULL;
	rv = s3_mpu_abort(s3, "k", "u", &cause);
	tap_ok(rv == S3_REFUSED && cause != NULL, "abort: 501 from a server "
	    "without abort is refused, not taken as done (the parts stay)");
	free(cause);
	cause = NULL;
	rv = s3_mpu_abort(s3, "k", "u", &cause);
	tap_ok(rv == -1 && has(cause, "S3 DELETE k: 403 AccessDenied: no"),
	    "abort: 403 is a failure: %s", cause != NULL ? cause : "");
	free(cause);
	cause = NULL;
	rv = s3_mpu_part(s3, "k", "u", 1, "abc", 3, &etag, &cause);
	tap_ok(rv == -1 && etag == NULL && has(cause, "no ETag"),
	    "a part answered without an ETag fails: %s",
	    cause != NULL ? cause : "");
	free(cause);
	cause = NULL;
	rv = s3_mpu_begin(s3, "k", NULL, &id, &cause);
	tap_ok(rv == -1 && id == NULL && has(cause, "no UploadId"),
	    "a begin answered without an UploadId fails: %s",
	    cause != NULL ? cause : "");
	free(cause);
	cause = NULL;
	test_canned_lists(s3);

out:
	/* Wakes the server thread if a request it waits for never came. */
	shutdown(cn.fd, SHUT_RDWR);
	pthread_join(cn.thread, NULL);
	close(cn.fd);
	s3_free(s3);
	free(url);
}

/* ---------------------------------------------------------------- tests */

static void
test_config(void)
{
	struct conf_s3	 c = conf_from_env();
	struct s3	*s3;
	struct timespec	 t0, t1;
	char		*cause = NULL, *url;
	double		 elapsed;
	int		 rv, fd, port;

	c.endpoint = (char *)"ftp://127.0.0.1:1";
	s3 = s3_new(&c, &cause);
	tap_ok(s3 == NULL && has(cause, "http"), "an ftp:// endpoint is "
	    "refused: %s", cause != NULL ? cause : "");
	free(cause);
	cause = NULL;

	c = conf_from_env();
	c.path_style = 0;
	s3 = s3_new(&c, &cause);
	tap_ok(s3 == NULL && has(cause, "virtual-hosted"), "virtual-hosted "
	    "requests to an address are refused: %s",
	    cause != NULL ? cause : "");
	free(cause);
	cause = NULL;

	c = conf_from_env();
	c.endpoint = (char *)"http://127.0.0.1:1";
	s3 = s3_new(&c, &cause);
	tap_ok(s3 != NULL, "a client for a closed port is made");
	if (s3 != NULL) {
		rv = s3_head_bucket(s3, NULL, &cause);
		tap_ok(rv == -1 && has(cause, "S3 HEAD ") &&
		    has(cause, "onnect"), "a closed port is a clear error: %s",
		    cause != NULL ? cause : "");
		free(cause);
		cause = NULL;
	}
	s3_free(s3);

	/* A server that takes the connection and never answers. */
	c = conf_from_env();
	c.timeout = 1000;
	if ((fd = listen_loopback(&port)) == -1) {
		tap_ok(0, "listening socket: %s", strerror(errno));
		return;
	}
	c.endpoint = url = xasprintf("http://127.0.0.1:%d", port);
	s3 = s3_new(&c, &cause);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rv = s3 != NULL ? s3_head_bucket(s3, NULL, &cause) : 0;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	elapsed = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	tap_ok(rv == -1 && has(cause, "imeout") && elapsed < 5.0,
	    "a server that never answers times out in %.1f s (timeout 1 s): "
	    "%s", elapsed, cause != NULL ? cause : "");
	free(cause);
	s3_free(s3);
	free(url);
	close(fd);
}

static void
test_keys(struct s3 *s3)
{
	static const char	*bad[] = {
		"", "a/../b", "..", "./a", "a/./b", "a//b", "/a", "a\nb",
	};
	char			*cause;
	size_t			 i;
	int			 rv;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		rv = s3_delete(s3, bad[i], &cause);
		tap_ok(rv == -1 && cause != NULL, "key \"%s\" refused: %s",
		    i == 7 ? "a\\nb" : bad[i], cause != NULL ? cause : "");
		free(cause);
	}
}

static void
test_objects(struct s3 *s3, int64_t connects_before)
{
	static const char	*names[] = {
		"plain.txt",
		"with space and  two.txt",
		"unicodé ✓ ключ 鍵.txt",
		"a+b=c&d;e,f@g$h!'()*:x.bin",
		"~tilde/[b]{c}%25#frag?q.bin",
		"empty",
	};
	static const size_t	 sizes[] = { 5, 1000, 70000, 333333, 12, 0 };
	struct mem_reader	 rd;
	struct mem_writer	 wr;
	unsigned char		*data, *got, *big, md[crypto_hash_sha256_BYTES];
	char			*key, *cause, hex[65], hex2[S3_SHA256_HEX];
	struct s3_sha256	*sha;
	uint64_t		 seed = 42;
	int64_t			 size;
	size_t			 i, len;
	int			 rv, ok;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		key = key_of(names[i]);
		data = xmalloc(sizes[i] + 1);
		prng_fill(&seed, data, sizes[i]);
		if (i == 1)
			data[3] = '\0';	/* bytes, not text */
		cause = NULL;
		if (i % 3 == 0)
			rv = s3_put_buf(s3, key, "text/plain", data, sizes[i],
			    &cause);
		else {
			rd = (struct mem_reader){ data, sizes[i], 0 };
			crypto_hash_sha256(md, data, sizes[i]);
			sodium_bin2hex(hex, sizeof hex, md, sizeof md);
			rv = s3_put(s3, key, NULL, mem_read, &rd,
			    (int64_t)sizes[i], i % 3 == 1 ? hex : NULL,
			    &cause);
		}
		tap_ok(rv == 0, "put \"%s\" (%zu bytes)%s%s", names[i],
		    sizes[i], cause != NULL ? ": " : "",
		    cause != NULL ? cause : "");
		free(cause);

		cause = NULL;
		memset(&wr, 0, sizeof wr);
		rv = s3_get(s3, key, mem_write, &wr, &size, &cause);
		ok = rv == 0 && size == (int64_t)sizes[i] &&
		    wr.len == sizes[i] &&
		    (sizes[i] == 0 || memcmp(wr.data, data, sizes[i]) == 0);
		tap_ok(ok, "get \"%s\": identical (%lld bytes)%s%s", names[i],
		    (long long)size, cause != NULL ? ": " : "",
		    cause != NULL ? cause : "");
		free(cause);
		free(wr.data);

		unlink(tmpfile_path);
		rv = curl_cli("GET", key);
		got = (unsigned char *)testutil_read(tmpfile_path, &len);
		tap_ok(rv == 0 && got != NULL && len == sizes[i] &&
		    (len == 0 || memcmp(got, data, len) == 0),
		    "curl command reads \"%s\" identical (exit %d, %zu bytes)",
		    names[i], rv, len);
		free(got);
		free(data);
		free(key);
	}

	/* The other way round: the curl command writes, the client reads. */
	key = key_of("from curl ✓ + &.bin");
	data = xmalloc(4097);
	prng_fill(&seed, data, 4097);
	testutil_write(tmpfile_path, data, 4097);
	rv = curl_cli("PUT", key);
	tap_is_int(rv, 0, "curl command puts \"from curl ✓ + &.bin\"");
	cause = NULL;
	memset(&wr, 0, sizeof wr);
	rv = s3_get(s3, key, mem_write, &wr, &size, &cause);
	tap_ok(rv == 0 && wr.len == 4097 && memcmp(wr.data, data, 4097) == 0,
	    "the client reads it identical%s%s", cause != NULL ? ": " : "",
	    cause != NULL ? cause : "");
	free(cause);
	free(wr.data);
	cause = NULL;
	tap_ok(s3_delete(s3, key, &cause) == 0, "delete it");
	free(cause);
	free(data);
	free(key);

	/* Every request so far went over one kept-alive connection (an
	 * aborted transfer below has to close its own). */
	tap_ok(s3_connections(s3) - connects_before <= 1,
	    "connections are reused: %lld opened for %zu objects",
	    (long long)(s3_connections(s3) - connects_before),
	    sizeof names / sizeof names[0]);

	/* A body source that ends early, fails, or has more to give. */
	key = key_of("short.bin");
	cause = NULL;
	rv = s3_put_buf(s3, key, "text/plain\r\nX-Evil: 1", "x", 1, &cause);
	tap_ok(rv == -1 && has(cause, "Content-Type"), "a Content-Type "
	    "with CR LF is refused: %s", cause != NULL ? cause : "");
	free(cause);
	data = xmalloc(100);
	prng_fill(&seed, data, 100);
	rd = (struct mem_reader){ data, 50, 0 };
	cause = NULL;
	rv = s3_put(s3, key, NULL, mem_read, &rd, 100, NULL, &cause);
	tap_ok(rv == -1 && has(cause, "after 50 of 100 bytes"), "a body "
	    "that ends early fails at once: %s", cause != NULL ? cause : "");
	free(cause);
	cause = NULL;
	rv = s3_put(s3, key, NULL, fail_read, NULL, 100, NULL, &cause);
	tap_ok(rv == -1 && has(cause, "after 0 of 100 bytes"), "a failing "
	    "body source fails the PUT: %s", cause != NULL ? cause : "");
	free(cause);
	/* A source that fails half-way through a large body: the PUT is
	 * cut before its length, never completed short, and S3 keeps
	 * nothing (the stack's S3 drops a PUT cut short, as S3 does). */
	big = xmalloc(3 * MiB);
	prng_fill(&seed, big, 3 * MiB);
	rd = (struct mem_reader){ big, 1 * MiB, 0 };
	cause = NULL;
	rv = s3_put(s3, key, NULL, mem_read, &rd, 3 * MiB, NULL, &cause);
	tap_ok(rv == -1 && has(cause, "after 1048576 of 3145728 bytes"),
	    "a body source that fails half-way through 3 MiB fails the PUT: "
	    "%s", cause != NULL ? cause : "");
	free(cause);
	for (i = 0; i < 100; i++) {
		cause = NULL;
		if ((rv = s3_head(s3, key, &cause)) != 0)
			break;
		free(cause);
		usleep(50000);
	}
	tap_ok(rv == S3_NOTFOUND, "a PUT cut half-way leaves no object%s%s",
	    rv != S3_NOTFOUND && cause != NULL ? ": " : "",
	    rv != S3_NOTFOUND && cause != NULL ? cause : "");
	free(cause);
	/* The hash of uploads (libcrypto's) agrees with libsodium's, at once
	 * and in uneven pieces. */
	crypto_hash_sha256(md, big, 3 * MiB);
	sodium_bin2hex(hex, sizeof hex, md, sizeof md);
	s3_sha256_hex(big, 3 * MiB, hex2);
	ok = strcmp(hex, hex2) == 0;
	sha = s3_sha256_new();
	for (len = 0; len < 3 * MiB; len += i) {
		i = 1 + (len * 7) % 100003;
		if (i > 3 * MiB - len)
			i = 3 * MiB - len;
		s3_sha256_update(sha, big + len, i);
	}
	s3_sha256_end(sha, hex2);
	tap_ok(ok && strcmp(hex, hex2) == 0, "s3_sha256 agrees with "
	    "libsodium's SHA-256: %s", hex2);
	free(big);
	cause = NULL;
	rd = (struct mem_reader){ data, 100, 0 };
	rv = s3_put(s3, key, NULL, mem_read, &rd, 60, NULL, &cause);
	memset(&wr, 0, sizeof wr);
	if (rv == 0)
		rv = s3_get(s3, key, mem_write, &wr, &size, &cause);
	tap_ok(rv == 0 && rd.off == 60 && wr.len == 60 &&
	    memcmp(wr.data, data, 60) == 0, "a source with more to give is "
	    "read up to the announced size only%s%s",
	    cause != NULL ? ": " : "", cause != NULL ? cause : "");
	free(cause);
	free(wr.data);
	cause = NULL;
	s3_delete(s3, key, &cause);
	free(cause);
	free(data);
	free(key);

	/* A receiver that gives up is an error, and the client still works. */
	key = key_of("plain.txt");
	cause = NULL;
	rv = s3_get(s3, key, refuse_write, NULL, &size, &cause);
	tap_ok(rv == -1 && has(cause, "receiver"), "a refusing receiver "
	    "fails the GET: %s", cause != NULL ? cause : "");
	free(cause);
	free(key);

}

static void
test_delete(struct s3 *s3)
{
	struct mem_writer	 wr = { 0 };
	char			*key, *cause = NULL;
	int64_t			 size = -1;
	int			 rv;

	key = key_of("plain.txt");
	rv = s3_delete(s3, key, &cause);
	tap_ok(rv == 0, "delete%s%s", cause != NULL ? ": " : "",
	    cause != NULL ? cause : "");
	free(cause);
	cause = NULL;
	rv = s3_get(s3, key, mem_write, &wr, &size, &cause);
	tap_is_int(rv, S3_NOTFOUND, "get after delete: not found");
	tap_ok(has(cause, "404") && has(cause, "NoSuchKey") &&
	    has(cause, key), "with a clear cause: %s",
	    cause != NULL ? cause : "");
	tap_ok(wr.len == 0 && size == 0, "and nothing written to the "
	    "receiver");
	free(cause);
	free(wr.data);
	cause = NULL;
	rv = s3_delete(s3, key, &cause);
	tap_ok(rv == 0, "deleting a missing object succeeds%s%s",
	    cause != NULL ? ": " : "", cause != NULL ? cause : "");
	free(cause);
	free(key);
}

static void
test_multipart(struct s3 *s3)
{
	static const size_t	 sizes[] = { 5 * MiB, 5 * MiB, 1 * MiB };
	struct mem_writer	 wr = { 0 };
	unsigned char		*all, *got;
	char			*key, *cause = NULL, *id = NULL, *etags[3];
	char			*bogus[3] = { NULL, NULL, NULL };
	uint64_t		 seed = 7;
	size_t			 total = 0, off = 0, len;
	int64_t			 size;
	int			 i, rv;

	for (i = 0; i < 3; i++)
		total += sizes[i];
	all = xmalloc(total);
	prng_fill(&seed, all, total);
	key = key_of("multi part ✓.bin");

	rv = s3_mpu_begin(s3, key, "application/octet-stream", &id, &cause);
	tap_ok(rv == 0 && id != NULL && *id != '\0', "multipart begins: "
	    "upload id %s%s", id != NULL ? id : "(none)",
	    cause != NULL ? cause : "");
	free(cause);
	for (i = 0; i < 3; i++) {
		cause = NULL;
		etags[i] = NULL;
		rv = s3_mpu_part(s3, key, id, i + 1, all + off, sizes[i],
		    &etags[i], &cause);
		tap_ok(rv == 0 && etags[i] != NULL, "part %d (%zu bytes): "
		    "ETag %s%s", i + 1, sizes[i],
		    etags[i] != NULL ? etags[i] : "(none)",
		    cause != NULL ? cause : "");
		free(cause);
		off += sizes[i];
	}
	cause = NULL;
	rv = s3_mpu_complete(s3, key, id, etags, 3, &cause);
	tap_ok(rv == 0, "multipart completes%s%s", cause != NULL ? ": " : "",
	    cause != NULL ? cause : "");
	free(cause);

	cause = NULL;
	rv = s3_get(s3, key, mem_write, &wr, &size, &cause);
	tap_ok(rv == 0 && wr.len == total && memcmp(wr.data, all, total) == 0,
	    "the object is the parts end to end (%lld bytes)%s%s",
	    (long long)size, cause != NULL ? ": " : "",
	    cause != NULL ? cause : "");
	free(cause);
	free(wr.data);
	unlink(tmpfile_path);
	rv = curl_cli("GET", key);
	got = (unsigned char *)testutil_read(tmpfile_path, &len);
	tap_ok(rv == 0 && len == total && memcmp(got, all, total) == 0,
	    "the curl command reads the same bytes");
	free(got);
	unlink(tmpfile_path);

	/* Failures: a wrong ETag, an unknown upload, a bad part number. */
	cause = NULL;
	bogus[0] = (char *)"\"0123456789abcdef0123456789abcdef\"";
	rv = s3_mpu_complete(s3, key, id, bogus, 1, &cause);
	tap_ok(rv == -1 && has(cause, "S3 POST "), "completing with a "
	    "wrong ETag fails: %s", cause != NULL ? cause : "");
	free(cause);
	cause = NULL;
	rv = s3_mpu_complete(s3, key, "no-such-upload", etags, 3, &cause);
	tap_ok(rv == -1 && cause != NULL, "completing an unknown upload "
	    "fails: %s", cause != NULL ? cause : "");
	free(cause);
	cause = NULL;
	bogus[0] = NULL;
	rv = s3_mpu_part(s3, key, id, 0, all, 10, &bogus[0], &cause);
	tap_ok(rv == -1 && has(cause, "part number 0"), "part number 0 "
	    "refused: %s", cause != NULL ? cause : "");
	free(cause);
	for (i = 0; i < 3; i++)
		free(etags[i]);
	free(id);
	id = NULL;

	/* Abort: the object under the same key must survive. */
	cause = NULL;
	rv = s3_mpu_begin(s3, key, NULL, &id, &cause);
	free(cause);
	cause = NULL;
	etags[0] = NULL;
	if (rv == 0)
		rv = s3_mpu_part(s3, key, id, 1, all, MiB, &etags[0], &cause);
	free(cause);
	cause = NULL;
	if (rv == 0)
		rv = s3_mpu_abort(s3, key, id, &cause);
	/* s3rver answers 405: the caller learns its parts stay. */
	tap_ok(rv == 0 || rv == S3_REFUSED, "an upload is aborted, or the "
	    "refusal reported%s%s", cause != NULL ? ": " : "",
	    cause != NULL ? cause : "");
	free(cause);
	free(etags[0]);
	free(id);
	cause = NULL;
	memset(&wr, 0, sizeof wr);
	rv = s3_get(s3, key, mem_write, &wr, &size, &cause);
	tap_ok(rv == 0 && wr.len == total && memcmp(wr.data, all, total) == 0,
	    "the completed object under that key is untouched");
	free(cause);
	free(wr.data);

	cause = NULL;
	tap_ok(s3_delete(s3, key, &cause) == 0, "delete the multipart object");
	free(cause);
	free(all);
	free(key);
}

static void
test_wrong_secret(void)
{
	static const char	 secret[] = "wrong-Secret-7f3a9c";
	struct conf_s3		 c = conf_from_env();
	struct s3		*s3;
	char			*key, *cause = NULL;
	double			 ms;
	int			 rv;

	c.access_key = (char *)env_access;
	c.secret_key = (char *)secret;
	s3 = s3_new(&c, &cause);
	tap_ok(s3 != NULL, "a client with a wrong secret is made");
	if (s3 == NULL)
		return;
	key = key_of("refused.txt");
	rv = s3_put_buf(s3, key, NULL, "nope", 4, &cause);
	tap_ok(rv == -1 && has(cause, "403") &&
	    has(cause, "SignatureDoesNotMatch") && has(cause, "S3 PUT ") &&
	    has(cause, key), "a wrong secret fails: %s",
	    cause != NULL ? cause : "");
	tap_ok(cause != NULL && !has(cause, secret) &&
	    !has(cause, "Authorization") && !has(cause, "Signature="),
	    "the cause holds neither the secret nor the signature");
	free(cause);
	cause = NULL;
	rv = s3_head_bucket(s3, &ms, &cause);
	tap_ok(rv == -1 && has(cause, "403") && !has(cause, secret),
	    "the bucket probe fails too: %s", cause != NULL ? cause : "");
	free(cause);
	free(key);
	s3_free(s3);
}

static void
test_big(struct s3 *s3)
{
	struct stream_check	 gen, chk;
	unsigned char		 md1[crypto_hash_sha256_BYTES];
	unsigned char		 md2[crypto_hash_sha256_BYTES];
	long long		 before;
	char			*key, *cause = NULL;
	int64_t			 size = 0;
	int			 rv;

	key = key_of("big-64MiB.bin");
	memset(&gen, 0, sizeof gen);
	gen.seed = 99;
	gen.size = BIG_SIZE;
	crypto_hash_sha256_init(&gen.sha);
	before = rss_bytes();
	gen.rss_max = before;
	rv = s3_put(s3, key, NULL, gen_read, &gen, BIG_SIZE, NULL, &cause);
	tap_ok(rv == 0 && gen.len == BIG_SIZE, "put 64 MiB made on the fly"
	    "%s%s", cause != NULL ? ": " : "", cause != NULL ? cause : "");
	free(cause);
	tap_ok(before > 0 && gen.rss_max - before < RSS_SLACK,
	    "RSS grew by %lld KiB during the upload (limit %d KiB)",
	    (gen.rss_max - before) / 1024, RSS_SLACK / 1024);
	crypto_hash_sha256_final(&gen.sha, md1);
	tap_diag("VmRSS %lld KiB before the upload, at most %lld KiB during it",
	    before / 1024, gen.rss_max / 1024);

	memset(&chk, 0, sizeof chk);
	crypto_hash_sha256_init(&chk.sha);
	before = rss_bytes();
	chk.rss_max = before;
	cause = NULL;
	rv = s3_get(s3, key, hash_write, &chk, &size, &cause);
	crypto_hash_sha256_final(&chk.sha, md2);
	tap_ok(rv == 0 && size == BIG_SIZE &&
	    memcmp(md1, md2, sizeof md1) == 0,
	    "get 64 MiB streamed: same SHA-256 (%lld bytes)%s%s",
	    (long long)size, cause != NULL ? ": " : "",
	    cause != NULL ? cause : "");
	free(cause);
	tap_ok(before > 0 && chk.rss_max - before < RSS_SLACK,
	    "RSS grew by %lld KiB during the download (limit %d KiB)",
	    (chk.rss_max - before) / 1024, RSS_SLACK / 1024);
	cause = NULL;
	tap_ok(s3_delete(s3, key, &cause) == 0, "delete the 64 MiB object");
	free(cause);
	free(key);
}

/* One client per thread, as in the worker's pool. */
struct thread_run {
	pthread_t	 thread;
	int		 n;
	int		 ok;
	char		*cause;
};

static void *
thread_main(void *arg)
{
	struct thread_run	*t = arg;
	struct conf_s3		 c = conf_from_env();
	struct mem_writer	 wr;
	struct s3		*s3;
	unsigned char		 data[3000];
	uint64_t		 seed = 1000 + (uint64_t)t->n;
	char			*key;
	int			 i;

	if ((s3 = s3_new(&c, &t->cause)) == NULL)
		return NULL;
	for (i = 0; i < 5; i++) {
		prng_fill(&seed, data, sizeof data);
		key = xasprintf("%s/thread %d/%d", prefix, t->n, i);
		memset(&wr, 0, sizeof wr);
		if (s3_put_buf(s3, key, NULL, data, sizeof data,
		    &t->cause) != 0 ||
		    s3_get(s3, key, mem_write, &wr, NULL, &t->cause) != 0 ||
		    s3_delete(s3, key, &t->cause) != 0) {
			free(wr.data);
			free(key);
			break;
		}
		if (wr.len == sizeof data && memcmp(wr.data, data,
		    sizeof data) == 0)
			t->ok++;
		free(wr.data);
		free(key);
	}
	s3_free(s3);
	return NULL;
}

static void
test_threads(void)
{
	struct thread_run	 t[3];
	int			 i;

	for (i = 0; i < 3; i++) {
		memset(&t[i], 0, sizeof t[i]);
		t[i].n = i;
		if (pthread_create(&t[i].thread, NULL, thread_main, &t[i]) != 0)
			t[i].thread = 0;
	}
	for (i = 0; i < 3; i++) {
		if (t[i].thread != 0)
			pthread_join(t[i].thread, NULL);
		tap_ok(t[i].ok == 5, "thread %d: 5 objects put, read back "
		    "identical, deleted%s%s", i, t[i].cause != NULL ? ": " : "",
		    t[i].cause != NULL ? t[i].cause : "");
		free(t[i].cause);
	}
}

static void
cleanup(struct s3 *s3)
{
	static const char	*names[] = {
		"with space and  two.txt", "unicodé ✓ ключ 鍵.txt",
		"a+b=c&d;e,f@g$h!'()*:x.bin", "~tilde/[b]{c}%25#frag?q.bin",
		"empty",
	};
	char			*key, *cause;
	size_t			 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		key = key_of(names[i]);
		cause = NULL;
		if (s3_delete(s3, key, &cause) != 0)
			tap_diag("cleanup: %s", cause);
		free(cause);
		free(key);
	}
}

int
main(void)
{
	struct conf_s3	 c;
	struct s3	*s3;
	char		*cause = NULL;
	double		 ms = -1;
	int64_t		 connects;
	int		 rv;

	env_endpoint = getenv("PFO3_S3_ENDPOINT");
	if (env_endpoint == NULL || *env_endpoint == '\0') {
		printf("1..0 # SKIP no running stack (run ./stack test)\n");
		return 0;
	}
	env_bucket = getenv("PFO3_S3_BUCKET");
	env_region = getenv("PFO3_S3_REGION");
	env_access = getenv("PFO3_S3_ACCESS_KEY");
	env_secret = getenv("PFO3_S3_SECRET_KEY");
	if (env_bucket == NULL || env_region == NULL || env_access == NULL ||
	    env_secret == NULL) {
		printf("Bail out! PFO3_S3_BUCKET, _REGION, _ACCESS_KEY and "
		    "_SECRET_KEY must be set with PFO3_S3_ENDPOINT\n");
		return 1;
	}
	log_init("t-s3client", 1, getenv("PFO3_S3_DEBUG") != NULL ?
	    LOG_LVL_DEBUG : LOG_LVL_WARN);
	if (s3_global_init(&cause) != 0) {
		printf("Bail out! %s\n", cause);
		return 1;
	}
	snprintf(prefix, sizeof prefix, "t-s3client/%ld-%ld", (long)getpid(),
	    (long)time(NULL));
	snprintf(tmpfile_path, sizeof tmpfile_path, "%s/t-s3client.%ld",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp",
	    (long)getpid());

	c = conf_from_env();
	s3 = s3_new(&c, &cause);
	if (!tap_ok(s3 != NULL, "client from the environment's keys%s%s",
	    cause != NULL ? ": " : "", cause != NULL ? cause : "")) {
		free(cause);
		return tap_done();
	}

	rv = s3_head_bucket(s3, &ms, &cause);
	tap_ok(rv == 0, "the bucket probe succeeds%s%s",
	    cause != NULL ? ": " : "", cause != NULL ? cause : "");
	tap_ok(ms > 0, "and measures its latency: %.3f ms", ms);
	free(cause);
	cause = NULL;

	connects = s3_connections(s3);
	test_config();
	test_keys(s3);
	test_objects(s3, connects);
	test_delete(s3);
	test_multipart(s3);
	test_wrong_secret();
	test_threads();
	test_canned();
	test_big(s3);
	cleanup(s3);

	s3_free(s3);
	unlink(tmpfile_path);
	s3_global_cleanup();
	return tap_done();
}
