/* latency.c — see latency.h. */
#include <math.h>
#include <string.h>

#include "latency.h"

void
latency_init(struct latency *l)
{
	int i;

	memset(l, 0, sizeof *l);
	for (i = 0; i < LATENCY_WINDOW_S; i++)
		l->slot[i].second = -1;
}

/* Bucket k holds durations in [2^(k/4), 2^((k+1)/4)) microseconds. */
static int
latency_bucket(int64_t us)
{
	int k;

	if (us < 1)
		return 0;
	k = (int)floor(4.0 * log2((double)us));
	if (k >= LATENCY_BUCKETS)
		k = LATENCY_BUCKETS - 1;
	return k;
}

/* The middle of bucket k, as a representative value. */
static double
latency_bucket_value(int k)
{
	return (exp2(k / 4.0) + exp2((k + 1) / 4.0)) / 2.0;
}

void
latency_record(struct latency *l, int64_t now_s, int64_t us)
{
	struct latency_slot *s = &l->slot[now_s % LATENCY_WINDOW_S];

	if (s->second != now_s) {
		memset(s, 0, sizeof *s);
		s->second = now_s;
	}
	s->count[latency_bucket(us)]++;
	s->total++;
	if (us > s->max_us)
		s->max_us = us;
}

uint64_t
latency_quantiles(const struct latency *l, int64_t now_s, const double *q,
    int nq, double *out_us, int64_t *max_us)
{
	uint64_t merged[LATENCY_BUCKETS] = { 0 }, total = 0, seen, want;
	const struct latency_slot *s;
	int i, k;

	*max_us = 0;
	for (i = 0; i < LATENCY_WINDOW_S; i++) {
		s = &l->slot[i];
		if (s->second < 0 || s->second <= now_s - LATENCY_WINDOW_S ||
		    s->second > now_s)
			continue;
		for (k = 0; k < LATENCY_BUCKETS; k++)
			merged[k] += s->count[k];
		total += s->total;
		if (s->max_us > *max_us)
			*max_us = s->max_us;
	}
	for (i = 0; i < nq; i++) {
		out_us[i] = 0;
		if (total == 0)
			continue;
		want = (uint64_t)ceil(q[i] * (double)total);
		if (want < 1)
			want = 1;
		for (k = 0, seen = 0; k < LATENCY_BUCKETS; k++) {
			seen += merged[k];
			if (seen >= want) {
				out_us[i] = latency_bucket_value(k);
				break;
			}
		}
		/* A bucket's middle can exceed the largest sample seen. */
		if (out_us[i] > (double)*max_us)
			out_us[i] = (double)*max_us;
	}
	return total;
}
