/*
 * pfo3ctl-storage.c — the human form of storage.check and storage.repair:
 * one table per finding (objects without row, rows without object, stale
 * multipart uploads), what repair did to each, then the totals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl-fmt.h"
#include "pfo3ctl-render.h"
#include "pfo3ctl-table.h"

static const char *
pfo3ctl_storage_str(const json_t *e, const char *key)
{
	const char	*s = json_string_value(json_object_get(e, key));

	return s != NULL ? s : "";
}

static const char *
pfo3ctl_storage_age(const json_t *e, char *buf, size_t size)
{
	json_int_t	age = json_integer_value(json_object_get(e, "age_s"));

	if (age < 0 || json_object_get(e, "age_s") == NULL)
		return "-";
	return ctl_fmt_duration(buf, size, (double)age);
}

/* What happened to an entry: what repair did, or what it is. */
static const char *
pfo3ctl_storage_state(const json_t *e)
{
	if (json_is_true(json_object_get(e, "deleted")))
		return "deleted";
	if (json_object_get(e, "freed") != NULL)
		return pfo3ctl_storage_str(e, "freed");
	if (json_object_get(e, "repair") != NULL)
		return pfo3ctl_storage_str(e, "repair");
	if (json_is_true(json_object_get(e, "linked_meanwhile")))
		return "linked meanwhile";
	if (json_is_false(json_object_get(e, "reserved")) ||
	    json_is_false(json_object_get(e, "recorded")))
		return "stranger";
	return "ours";
}

static void
pfo3ctl_storage_list(FILE *f, const json_t *rep, const char *field,
    const char *title)
{
	static const char *const h_obj[] = { "KIND", "AGE", "STATE", "KEY",
	    NULL };
	static const char *const h_row[] = { "KIND", "ID", "STATE", "KEY",
	    NULL };
	static const char *const h_mpu[] = { "AGE", "STATE", "KEY",
	    "UPLOAD_ID", NULL };
	const json_t		*list = json_object_get(rep, field), *e;
	struct pfo3ctl_table	*t;
	char			 age[32];
	size_t			 i;
	int			 rows = strcmp(field, "rows_without_object") == 0;
	int			 mpu = strcmp(field, "stale_multipart") == 0;

	fprintf(f, "%s: %zu\n", title, json_array_size(list));
	if (json_array_size(list) == 0)
		return;
	t = pfo3ctl_table_new(mpu ? h_mpu : rows ? h_row : h_obj,
	    mpu ? "rlll" : rows ? "lrll" : "lrll");
	json_array_foreach(list, i, e) {
		if (!mpu)
			pfo3ctl_table_cell(t, "%s",
			    pfo3ctl_storage_str(e, "kind"));
		if (rows)
			pfo3ctl_table_cell(t, "%lld", (long long)
			    json_integer_value(json_object_get(e,
			    json_object_get(e, "job_id") != NULL ? "job_id" :
			    "file_id")));
		else
			pfo3ctl_table_cell(t, "%s",
			    pfo3ctl_storage_age(e, age, sizeof age));
		pfo3ctl_table_cell(t, "%s", pfo3ctl_storage_state(e));
		pfo3ctl_table_cell(t, "%s", pfo3ctl_storage_str(e, "key"));
		if (mpu)
			pfo3ctl_table_cell(t, "%s",
			    pfo3ctl_storage_str(e, "upload_id"));
	}
	pfo3ctl_table_print(t, f);
	pfo3ctl_table_free(t);
}

void
pfo3ctl_render_storage(FILE *f, const json_t *rep)
{
	const json_t	*errors = json_object_get(rep, "errors"), *e;
	char		*s;
	size_t		 i;

	pfo3ctl_storage_list(f, rep, "objects_without_row",
	    "objects without row");
	pfo3ctl_storage_list(f, rep, "rows_without_object",
	    "rows without object");
	pfo3ctl_storage_list(f, rep, "stale_multipart",
	    "stale multipart uploads");
	fprintf(f, "repaired: %lld\n", (long long)json_integer_value(
	    json_object_get(rep, "repaired")));
	if (json_object_get(rep, "listing") != NULL) {
		s = pfo3ctl_printable(pfo3ctl_storage_str(rep, "listing"));
		fprintf(f, "object listing: %s\n", s);
		free(s);
	}
	if (json_object_get(rep, "upload_listing") != NULL) {
		s = pfo3ctl_printable(pfo3ctl_storage_str(rep,
		    "upload_listing"));
		fprintf(f, "upload listing: %s\n", s);
		free(s);
	}
	json_array_foreach(errors, i, e) {
		s = pfo3ctl_printable(json_string_value(e) != NULL ?
		    json_string_value(e) : "");
		fprintf(f, "error: %s\n", s);
		free(s);
	}
}
