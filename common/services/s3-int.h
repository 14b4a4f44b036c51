/*
 * s3-int.h — what the files of the S3 client share: the client itself, one
 * request, and the URL helpers of s3-url.c.  Not for other modules.
 */
#ifndef PFO3_S3_INT_H
#define PFO3_S3_INT_H

#include <curl/curl.h>

#include "s3.h"

/* Hex SHA-256 of nothing: the payload hash of bodiless requests. */
#define S3_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define S3_UNSIGNED	"UNSIGNED-PAYLOAD"
#define S3_KEY_MAX	1024	/* bytes, S3's own limit */
#define S3_BODY_MAX	(64 * 1024)	/* error and XML replies kept */
#define S3_UPLOAD_BUFFER (256 * 1024)	/* curl's buffer of a streamed body */

struct s3 {
	CURL		*curl;
	char		*base;		/* "http://host:port", bucket.host if virtual */
	char		*bucket;
	int		 path_style;
	char		*sigv4;		/* "aws:amz:REGION:s3" */
	char		*access_key;
	char		*secret_key;
	long		 timeout_ms;
	long		 connect_ms;	/* s3.connect_timeout */
	long		 complete_ms;	/* s3.complete_timeout */
	int64_t		 part_size;
	int64_t		 single_put_max;	/* s3.single_put_max */
	int		 retries;	/* more tries after a 5xx */
	int64_t		 connects;
	char		 errbuf[CURL_ERROR_SIZE];
};

struct s3_param {
	const char	*name;
	const char	*value;		/* "" is written as `name=` */
};

/* A growing byte buffer; past `max` (0: no limit) bytes are dropped. */
struct s3_buf {
	char		*data;		/* NUL-terminated once anything is added */
	size_t		 len;
	size_t		 size;		/* allocated */
	size_t		 max;
};

/* One request: filled by the caller, run by s3_perform(). */
struct s3_req {
	const char		*method;	/* GET HEAD PUT POST DELETE */
	const char		*key;		/* NULL: the bucket itself */
	const struct s3_param	*params;
	int			 nparams;
	const char		*content_type;	/* NULL: none */
	const char		*payload_hash;	/* x-amz-content-sha256 */
	const char		*header;	/* one more "Name: value", or NULL */

	/* PUT body: read_cb, or memory (data, len) when read_cb is NULL. */
	s3_read_cb		 read_cb;
	void			*read_arg;
	int64_t			 size;
	int64_t			 sent;		/* bytes read from read_cb */
	/* POST body (in memory). */
	const void		*data;
	size_t			 len;
	size_t			 data_off;	/* PUT from memory: bytes sent */

	/* A 2xx body goes to write_cb when set, else into `body`. */
	s3_write_cb		 write_cb;
	void			*write_arg;
	int			 write_failed;
	int			 read_failed;
	/* Longest silence allowed, ms; 0: s3.timeout. */
	long			 stall_ms;
	/* The stall watch (s3_progress): bytes moved so far, and when. */
	long			 stall_limit_ms;
	int64_t			 moved_ms;
	curl_off_t		 moved_down;
	curl_off_t		 moved_up;
	int			 stalled;

	long			 status;
	char			*reason;	/* reason phrase of the status */
	char			*etag;		/* ETag header, as sent */
	struct s3_buf		 body;
	int64_t			 received;	/* bytes given to write_cb */
	double			 seconds;	/* total time */
};

/* s3-request.c */
/* Runs `r`, again up to s3.retries times after a 5xx when it can be
 * sent again as it was.  0 for a 2xx status; otherwise -1 with *cause
 * set (status, S3 error code and message); r->status is 0 when no answer
 * came. */
int	s3_perform(struct s3 *s3, struct s3_req *r, char **cause);
/* Frees what s3_perform() stored in `r`. */
void	s3_req_clear(struct s3_req *r);
/* Sets *cause to "S3 METHOD KEY: message", without the secret. */
void	s3_fail(struct s3 *s3, const struct s3_req *r, char **cause,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* s3-url.c */
/* 0 if `key` is usable; -1 and *cause if empty, too long, holding "." or
 * ".." segments, empty segments or control characters. */
int	s3_key_check(const char *key, char **cause);
/* Appends `s` to `b` percent-encoded as SigV4 wants it: every byte but
 * A-Z a-z 0-9 - . _ ~ (and '/' when keep_slash) as %XX, uppercase. */
void	s3_encode(struct s3_buf *b, const char *s, int keep_slash);
/* The full URL of `key` (NULL: the bucket) with `params` sorted by name. */
char	*s3_url(const char *base, const char *bucket, int path_style,
	    const char *key, const struct s3_param *params, int nparams);
/* Splits "http(s)://host[:port][/]" and builds the base URL of requests:
 * the endpoint itself, or with "bucket." before the host (virtual). */
char	*s3_base(const char *endpoint, const char *bucket, int path_style,
	    char **cause);
/* Text of the first <name>…</name> in `xml`, entities decoded; NULL if
 * there is none. */
char	*s3_xml_text(const char *xml, const char *name);
/* Appends `s` with & < > " escaped. */
void	s3_xml_escape(struct s3_buf *b, const char *s);

void	s3_buf_add(struct s3_buf *b, const void *data, size_t len);
void	s3_buf_addstr(struct s3_buf *b, const char *s);
void	s3_buf_free(struct s3_buf *b);

#endif
