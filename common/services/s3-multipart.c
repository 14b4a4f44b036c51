/*
 * s3-multipart.c — multipart uploads: begin, parts, complete, abort.
 *
 * A part is held in memory by the caller, so it is hashed and its SHA-256
 * signed: S3 then refuses a part damaged on the way.  The S3 requests are
 *   POST   key?uploads=                        → <UploadId>
 *   PUT    key?partNumber=N&uploadId=ID        → ETag header
 *   POST   key?uploadId=ID  (the part list)    → 200, or 200 with <Error>
 *   DELETE key?uploadId=ID                     → 204
 * and, where DELETE is refused (s3rver: 405), s3_mpu_discard frees the
 * parts by completing the upload and deleting what it made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "s3-int.h"
#include "xmalloc.h"

static int
s3_upload_id_check(struct s3 *s3, struct s3_req *r, const char *upload_id,
    char **cause)
{
	if (upload_id == NULL || *upload_id == '\0') {
		s3_fail(s3, r, cause, "empty upload id");
		return -1;
	}
	return 0;
}

int
s3_mpu_begin(struct s3 *s3, const char *key, const char *content_type,
    char **upload_id, char **cause)
{
	struct s3_param	 p[] = { { "uploads", "" } };
	struct s3_req	 r = { 0 };
	char		*id;

	*upload_id = NULL;
	if (s3_key_check(key, cause) != 0)
		return -1;
	r.method = "POST";
	r.key = key;
	r.params = p;
	r.nparams = 1;
	r.content_type = content_type != NULL ? content_type :
	    "application/octet-stream";
	if (s3_perform(s3, &r, cause) != 0) {
		s3_req_clear(&r);
		return -1;
	}
	id = s3_xml_text(r.body.data, "UploadId");
	if (id == NULL || *id == '\0') {
		s3_fail(s3, &r, cause, "%ld with no UploadId in the reply",
		    r.status);
		free(id);
		s3_req_clear(&r);
		return -1;
	}
	s3_req_clear(&r);
	*upload_id = id;
	return 0;
}

/*
 * Sends part `partno` of the body `rq` describes (in memory, or from a
 * callback, with its payload hash) and sets *etag.
 */
static int
s3_mpu_send(struct s3 *s3, struct s3_req *rq, const char *key,
    const char *upload_id, int partno, char **etag, char **cause)
{
	char		 num[16];
	struct s3_param	 p[] = {
		{ "partNumber", num }, { "uploadId", upload_id },
	};
	struct s3_req	 r = *rq;

	*etag = NULL;
	if (s3_key_check(key, cause) != 0)
		return -1;
	r.method = "PUT";
	r.key = key;
	if (s3_upload_id_check(s3, &r, upload_id, cause) != 0)
		return -1;
	if (partno < 1 || partno > S3_PART_MAX) {
		s3_fail(s3, &r, cause, "part number %d not in 1..%d", partno,
		    S3_PART_MAX);
		return -1;
	}
	snprintf(num, sizeof num, "%d", partno);
	r.params = p;
	r.nparams = 2;
	if (s3_perform(s3, &r, cause) != 0) {
		s3_req_clear(&r);
		return -1;
	}
	if (r.etag == NULL || *r.etag == '\0') {
		s3_fail(s3, &r, cause, "part %d: %ld with no ETag", partno,
		    r.status);
		s3_req_clear(&r);
		return -1;
	}
	*etag = r.etag;
	r.etag = NULL;
	s3_req_clear(&r);
	return 0;
}

int
s3_mpu_part(struct s3 *s3, const char *key, const char *upload_id,
    int partno, const void *data, size_t len, char **etag, char **cause)
{
	char		 hex[S3_SHA256_HEX];
	struct s3_req	 r = { 0 };

	s3_sha256_hex(data, len, hex);
	r.payload_hash = hex;
	r.data = data;
	r.len = len;
	r.size = (int64_t)len;
	return s3_mpu_send(s3, &r, key, upload_id, partno, etag, cause);
}

int
s3_mpu_part_stream(struct s3 *s3, const char *key, const char *upload_id,
    int partno, s3_read_cb read_cb, void *arg, int64_t size, char **etag,
    char **cause)
{
	struct s3_req	 r = { 0 };

	r.payload_hash = S3_UNSIGNED;
	r.read_cb = read_cb;
	r.read_arg = arg;
	r.size = size;
	return s3_mpu_send(s3, &r, key, upload_id, partno, etag, cause);
}

int
s3_mpu_complete(struct s3 *s3, const char *key, const char *upload_id,
    char *const *etags, int nparts, char **cause)
{
	struct s3_param	 p[] = { { "uploadId", upload_id } };
	struct s3_req	 r = { 0 };
	struct s3_buf	 xml = { 0 };
	char		 hex[S3_SHA256_HEX], num[16];
	char		*code, *msg;
	int		 i, rv = -1;

	if (s3_key_check(key, cause) != 0)
		return -1;
	r.method = "POST";
	r.key = key;
	if (s3_upload_id_check(s3, &r, upload_id, cause) != 0)
		return -1;
	if (nparts < 1 || nparts > S3_PART_MAX) {
		s3_fail(s3, &r, cause, "%d parts, not 1..%d", nparts,
		    S3_PART_MAX);
		return -1;
	}
	s3_buf_addstr(&xml, "<CompleteMultipartUpload>");
	for (i = 0; i < nparts; i++) {
		if (etags[i] == NULL || *etags[i] == '\0') {
			s3_fail(s3, &r, cause, "part %d has no ETag", i + 1);
			s3_buf_free(&xml);
			return -1;
		}
		snprintf(num, sizeof num, "%d", i + 1);
		s3_buf_addstr(&xml, "<Part><PartNumber>");
		s3_buf_addstr(&xml, num);
		s3_buf_addstr(&xml, "</PartNumber><ETag>");
		s3_xml_escape(&xml, etags[i]);
		s3_buf_addstr(&xml, "</ETag></Part>");
	}
	s3_buf_addstr(&xml, "</CompleteMultipartUpload>");
	s3_sha256_hex(xml.data, xml.len, hex);

	r.params = p;
	r.nparams = 1;
	r.content_type = "application/xml";
	r.payload_hash = hex;
	r.data = xml.data;
	r.len = xml.len;
	/* Joining many parts may take minutes before the first byte. */
	r.stall_ms = s3->complete_ms;
	if (s3_perform(s3, &r, cause) != 0)
		goto out;
	/*
	 * S3 answers 200 at once and keeps the connection alive with spaces
	 * while it assembles the object: a failure then comes as a 200 whose
	 * body is an <Error>.
	 */
	if (r.body.data == NULL || strstr(r.body.data, "<Error>") != NULL ||
	    strstr(r.body.data, "<CompleteMultipartUploadResult") == NULL) {
		code = s3_xml_text(r.body.data, "Code");
		msg = s3_xml_text(r.body.data, "Message");
		s3_fail(s3, &r, cause, "%ld %s: %.300s", r.status,
		    code != NULL ? code : "InternalError",
		    msg != NULL ? msg : "no result in the reply");
		free(code);
		free(msg);
		goto out;
	}
	rv = 0;
out:
	s3_req_clear(&r);
	s3_buf_free(&xml);
	return rv;
}

int
s3_mpu_abort(struct s3 *s3, const char *key, const char *upload_id,
    char **cause)
{
	struct s3_param	 p[] = { { "uploadId", upload_id } };
	struct s3_req	 r = { 0 };
	int		 rv;

	if (s3_key_check(key, cause) != 0)
		return -1;
	r.method = "DELETE";
	r.key = key;
	if (s3_upload_id_check(s3, &r, upload_id, cause) != 0)
		return -1;
	r.params = p;
	r.nparams = 1;
	rv = s3_perform(s3, &r, cause);
	if (rv != 0 && r.status == 404) {
		/* NoSuchUpload: completed or aborted already. */
		log_debug("%s: nothing to abort", *cause);
		free(*cause);
		*cause = NULL;
		rv = 0;
	} else if (rv != 0 && (r.status == 405 || r.status == 501))
		rv = S3_REFUSED;	/* the parts stay: the caller must know */
	s3_req_clear(&r);
	return rv;
}

int
s3_mpu_discard(struct s3 *s3, const char *key, const char *upload_id,
    const char **how, char **cause)
{
	char	*etag = NULL;
	int	 rv;

	*how = "abort";
	if ((rv = s3_mpu_abort(s3, key, upload_id, cause)) != S3_REFUSED)
		return rv;
	/*
	 * No abort here (s3rver answers 405).  Completing an upload frees
	 * every part, listed or not, so an empty part 1 and a completion
	 * turn the leftovers into one empty object, which is then deleted.
	 * A completion refused as NoSuchUpload means it is gone already.
	 */
	log_debug("%s: freeing the parts by completing the upload", *cause);
	free(*cause);
	*cause = NULL;
	*how = "complete+delete";
	rv = s3_mpu_part(s3, key, upload_id, 1, "", 0, &etag, cause);
	if (rv == 0)
		rv = s3_mpu_complete(s3, key, upload_id, &etag, 1, cause);
	free(etag);
	if (rv != 0 && *cause != NULL && strstr(*cause, "NoSuchUpload") != NULL) {
		free(*cause);
		*cause = NULL;
		*how = "gone";
		return 0;
	}
	if (rv != 0)
		return -1;
	return s3_delete(s3, key, cause);
}
