/*
 * fuzz-s3xml.c — a libFuzzer target for what the S3 client reads from S3's
 * XML replies (s3_xml_text in daemons/workerd/s3-url.c: the UploadId of
 * CreateMultipartUpload, the Code and Message of an <Error>, entities and
 * character references decoded) and for where an UploadId goes next: the
 * canonical URL of UploadPart and the Complete body (s3_url,
 * s3_xml_escape).
 *
 * Besides crashes and sanitizer reports it checks that an element's text
 * never outgrows the reply, that escaping a text and reading it back gives
 * the text again, and that the URL carrying an UploadId holds only the
 * bytes SigV4's canonical form allows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s3-int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* 1 when `url` holds only unreserved bytes and the URL's punctuation. */
static int
fuzz_url_canonical(const char *url)
{
	for (; *url != '\0'; url++) {
		if ((*url >= 'A' && *url <= 'Z') || (*url >= 'a' && *url <= 'z') ||
		    (*url >= '0' && *url <= '9') || strchr("-._~/%?&=:", *url))
			continue;
		return 0;
	}
	return 1;
}

/* Escapes `text` into an element and reads it back. */
static void
fuzz_round_trip(const char *text)
{
	struct s3_buf	 b = { 0 };
	char		*back;

	s3_buf_addstr(&b, "<ETag>");
	s3_xml_escape(&b, text);
	s3_buf_addstr(&b, "</ETag>");
	if ((back = s3_xml_text(b.data, "ETag")) == NULL ||
	    strcmp(back, text) != 0)
		abort();
	free(back);
	s3_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "UploadId", "Code", "Message",
	    "Key", "ETag" };
	struct s3_param	 params[2];
	char		*xml, *text, *url, *cause = NULL;
	size_t		 i;

	/* Replies are kept NUL-terminated (struct s3_buf). */
	if ((xml = malloc(size + 1)) == NULL)
		abort();
	memcpy(xml, data, size);
	xml[size] = '\0';

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if ((text = s3_xml_text(xml, names[i])) == NULL)
			continue;
		/* Entities only shrink; a character reference of 4 UTF-8
		 * bytes takes at least 4 ("&#x10000;" is 9). */
		if (strlen(text) > size)
			abort();
		fuzz_round_trip(text);
		if (i == 0 && *text != '\0') {
			params[0] = (struct s3_param){ "partNumber", "1" };
			params[1] = (struct s3_param){ "uploadId", text };
			url = s3_url("http://127.0.0.1:9000", "pfo3", 1,
			    "files/1/2", params, 2);
			if (!fuzz_url_canonical(url))
				abort();
			free(url);
		}
		free(text);
	}
	/* A Key in a reply is checked before it is used. */
	if ((text = s3_xml_text(xml, "Key")) != NULL) {
		if (s3_key_check(text, &cause) != 0)
			free(cause);
		free(text);
	}
	free(xml);
	return 0;
}
