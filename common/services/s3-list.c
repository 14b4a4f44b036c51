/*
 * s3-list.c — what the reconciler asks of S3 besides objects themselves:
 * whether an object exists (HEAD), the keys under a prefix
 * (ListObjectsV2) and the multipart uploads under way (ListMultipartUploads).
 *
 * Listing pages are kept small (S3_LIST_PAGE keys): a reply is held in
 * memory up to S3_BODY_MAX bytes, and a page of 1000 keys would not fit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "s3-int.h"
#include "xmalloc.h"

#define S3_LIST_PAGE	"100"	/* keys per page: ~30 KB of XML */

int
s3_head(struct s3 *s3, const char *key, char **cause)
{
	struct s3_req	 r = { 0 };
	int		 rv;

	if (s3_key_check(key, cause) != 0)
		return -1;
	r.method = "HEAD";
	r.key = key;
	rv = s3_perform(s3, &r, cause);
	if (rv != 0 && r.status == 404)
		rv = S3_NOTFOUND;
	s3_req_clear(&r);
	return rv;
}

/* The next <name>…</name> element from *pos, its inside copied
 * (caller frees) and *pos moved past it; NULL when there is none. */
static char *
s3_xml_next(const char **pos, const char *name)
{
	char		 open[64], close[64], *s;
	const char	*start, *end;

	snprintf(open, sizeof open, "<%s>", name);
	snprintf(close, sizeof close, "</%s>", name);
	if ((start = strstr(*pos, open)) == NULL ||
	    (end = strstr(start, close)) == NULL)
		return NULL;
	start += strlen(open);
	s = xmalloc((size_t)(end - start) + 1);
	memcpy(s, start, (size_t)(end - start));
	s[end - start] = '\0';
	*pos = end + strlen(close);
	return s;
}

/* "2026-12-07T14:48:32.000Z" as seconds since the epoch; 0 if unreadable. */
static int64_t
s3_xml_time(const char *text)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof tm);
	if (text == NULL || strptime(text, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return 0;
	return (int64_t)timegm(&tm);
}

/*
 * Runs one listing request (GET on the bucket with `p`) and fails on a
 * reply that is not the listing asked for.  The body stays in r->body.
 */
static int
s3_list_get(struct s3 *s3, struct s3_req *r, const struct s3_param *p,
    int np, const char *result, char **cause)
{
	r->method = "GET";
	r->params = p;
	r->nparams = np;
	if (s3_perform(s3, r, cause) != 0)
		return -1;
	if (r->body.data == NULL || strstr(r->body.data, result) == NULL) {
		s3_fail(s3, r, cause, "%ld without <%s> in the reply",
		    r->status, result);
		return -1;
	}
	return 0;
}

int
s3_list(struct s3 *s3, const char *prefix, s3_list_cb cb, void *arg,
    char **cause)
{
	struct s3_param	 p[4];
	struct s3_req	 r;
	const char	*pos;
	char		*block, *key, *time, *token = NULL, *trunc;
	int		 np, rv = -1, more;

	do {
		memset(&r, 0, sizeof r);
		np = 0;
		if (token != NULL)
			p[np++] = (struct s3_param){ "continuation-token", token };
		p[np++] = (struct s3_param){ "list-type", "2" };
		p[np++] = (struct s3_param){ "max-keys", S3_LIST_PAGE };
		p[np++] = (struct s3_param){ "prefix", prefix };
		if (s3_list_get(s3, &r, p, np, "<ListBucketResult",
		    cause) != 0) {
			s3_req_clear(&r);
			goto out;
		}
		pos = r.body.data;
		while ((block = s3_xml_next(&pos, "Contents"))
		    != NULL) {
			key = s3_xml_text(block, "Key");
			time = s3_xml_text(block, "LastModified");
			if (key != NULL && cb(key, NULL, s3_xml_time(time),
			    arg) != 0) {
				free(key);
				free(time);
				free(block);
				s3_req_clear(&r);
				rv = 0;
				goto out;
			}
			free(key);
			free(time);
			free(block);
		}
		trunc = s3_xml_text(r.body.data, "IsTruncated");
		more = trunc != NULL && strcmp(trunc, "true") == 0;
		free(trunc);
		free(token);
		token = more ? s3_xml_text(r.body.data,
		    "NextContinuationToken") : NULL;
		s3_req_clear(&r);
		if (more && (token == NULL || *token == '\0')) {
			*cause = xstrdup("S3 listing: truncated without a "
			    "continuation token");
			goto out;
		}
	} while (token != NULL);
	rv = 0;
out:
	free(token);
	return rv;
}

int
s3_list_uploads(struct s3 *s3, const char *prefix, s3_list_cb cb, void *arg,
    char **cause)
{
	struct s3_param	 p[4];
	struct s3_req	 r;
	const char	*pos;
	char		*block, *key, *id, *time, *kmark = NULL, *umark = NULL;
	char		*trunc;
	int		 np, rv = -1, more, stop = 0;

	do {
		memset(&r, 0, sizeof r);
		np = 0;
		if (kmark != NULL)
			p[np++] = (struct s3_param){ "key-marker", kmark };
		p[np++] = (struct s3_param){ "prefix", prefix };
		if (umark != NULL)
			p[np++] = (struct s3_param){ "upload-id-marker", umark };
		p[np++] = (struct s3_param){ "uploads", "" };
		if (s3_list_get(s3, &r, p, np, "<ListMultipartUploadsResult",
		    cause) != 0) {
			if (r.status == 405 || r.status == 501)
				rv = S3_REFUSED;
			s3_req_clear(&r);
			goto out;
		}
		pos = r.body.data;
		while (!stop && (block = s3_xml_next(&pos, "Upload")) !=
		    NULL) {
			key = s3_xml_text(block, "Key");
			id = s3_xml_text(block, "UploadId");
			time = s3_xml_text(block, "Initiated");
			if (key != NULL && id != NULL)
				stop = cb(key, id, s3_xml_time(time), arg) != 0;
			free(key);
			free(id);
			free(time);
			free(block);
		}
		trunc = s3_xml_text(r.body.data, "IsTruncated");
		more = !stop && trunc != NULL && strcmp(trunc, "true") == 0;
		free(trunc);
		free(kmark);
		free(umark);
		kmark = more ? s3_xml_text(r.body.data, "NextKeyMarker") : NULL;
		umark = more ? s3_xml_text(r.body.data, "NextUploadIdMarker") :
		    NULL;
		s3_req_clear(&r);
	} while (more && kmark != NULL && *kmark != '\0');
	rv = 0;
out:
	free(kmark);
	free(umark);
	return rv;
}

int
s3_lifecycle_abort(struct s3 *s3, int days, char **cause)
{
	struct s3_param	 p[] = { { "lifecycle", "" } };
	struct s3_req	 r = { 0 };
	unsigned char	 md[crypto_hash_sha256_BYTES];
	char		 hex[crypto_hash_sha256_BYTES * 2 + 1];
	char		 b64[sodium_base64_ENCODED_LEN(sizeof md,
			    sodium_base64_VARIANT_ORIGINAL)];
	char		*xml, *header;
	int		 rv;

	/* Any lifecycle already there is the operator's: leave it. */
	r.method = "GET";
	r.params = p;
	r.nparams = 1;
	r.payload_hash = S3_EMPTY_SHA256;
	rv = s3_perform(s3, &r, cause);
	if (rv == 0 || (r.status != 404 && r.status != 405 &&
	    r.status != 501)) {
		s3_req_clear(&r);
		return rv;
	}
	rv = r.status == 404 ? 0 : S3_REFUSED;
	s3_req_clear(&r);
	free(*cause);
	*cause = NULL;
	if (rv != 0) {
		s3_fail(s3, &r, cause, "lifecycle rules not supported");
		return rv;
	}

	xml = xasprintf("<LifecycleConfiguration><Rule>"
	    "<ID>pfo3-abort-incomplete-uploads</ID><Filter><Prefix></Prefix>"
	    "</Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload>"
	    "<DaysAfterInitiation>%d</DaysAfterInitiation>"
	    "</AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>",
	    days);
	crypto_hash_sha256(md, (unsigned char *)xml, strlen(xml));
	sodium_bin2hex(hex, sizeof hex, md, sizeof md);
	sodium_bin2base64(b64, sizeof b64, md, sizeof md,
	    sodium_base64_VARIANT_ORIGINAL);
	/* S3 wants an integrity check of this body: a SHA-256 checksum
	 * stands for the Content-MD5 of old. */
	header = xasprintf("x-amz-checksum-sha256: %s", b64);
	memset(&r, 0, sizeof r);
	r.method = "PUT";
	r.params = p;
	r.nparams = 1;
	r.content_type = "application/xml";
	r.payload_hash = hex;
	r.header = header;
	r.data = xml;
	r.len = strlen(xml);
	r.size = (int64_t)r.len;
	rv = s3_perform(s3, &r, cause);
	if (rv != 0 && (r.status == 405 || r.status == 501))
		rv = S3_REFUSED;
	s3_req_clear(&r);
	free(header);
	free(xml);
	return rv;
}
