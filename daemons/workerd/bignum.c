/*
 * bignum.c — see bignum.h.
 *
 * A value is limb[0] + limb[1]·10^9 + limb[2]·10^18 + …, with no zero limb
 * on top, so len is also the exact size and len == 0 is zero.  Every
 * function but bignum_init expects a struct that bignum_init (or an earlier
 * bignum_copy/bignum_mul) has set up; results replace the old contents.
 * The multiplication is schoolbook: sizes are capped by tasks.max_digits,
 * and at a few thousand digits nothing cleverer pays for its code.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bignum.h"
#include "xmalloc.h"

#define BIGNUM_BASE	1000000000u
#define BIGNUM_DIGITS	9		/* decimal digits per limb */

/* Grows the limb array to hold at least `n` limbs; contents are kept. */
static void
bignum_reserve(struct bignum *b, size_t n)
{
	if (n <= b->cap)
		return;
	b->limb = xreallocarray(b->limb, n, sizeof *b->limb);
	b->cap = n;
}

/* Drops zero limbs from the top so that len stays exact. */
static void
bignum_trim(struct bignum *b)
{
	while (b->len > 0 && b->limb[b->len - 1] == 0)
		b->len--;
}

/* Sets up `b`, which holds nothing yet, to the value `v`. */
void
bignum_init(struct bignum *b, uint64_t v)
{
	b->limb = NULL;
	b->len = b->cap = 0;
	bignum_reserve(b, 3);		/* 2^64 < 10^27: three limbs */
	while (v != 0) {
		b->limb[b->len++] = (uint32_t)(v % BIGNUM_BASE);
		v /= BIGNUM_BASE;
	}
}

/* Releases `b`; it may be set up again with bignum_init. */
void
bignum_free(struct bignum *b)
{
	free(b->limb);
	b->limb = NULL;
	b->len = b->cap = 0;
}

/* Makes the set-up `dst` equal to `src`. */
void
bignum_copy(struct bignum *dst, const struct bignum *src)
{
	if (dst == src)
		return;
	bignum_reserve(dst, src->len);
	if (src->len != 0)
		memcpy(dst->limb, src->limb, src->len * sizeof *src->limb);
	dst->len = src->len;
}

/* b *= m, for m < 10^9: the product of two limbs plus a carry fits 64 bits. */
void
bignum_mul_small(struct bignum *b, uint32_t m)
{
	uint64_t	carry = 0, t;
	size_t		i;

	if (m == 0) {
		b->len = 0;
		return;
	}
	for (i = 0; i < b->len; i++) {
		t = (uint64_t)b->limb[i] * m + carry;
		b->limb[i] = (uint32_t)(t % BIGNUM_BASE);
		carry = t / BIGNUM_BASE;
	}
	if (carry != 0) {
		bignum_reserve(b, b->len + 1);
		b->limb[b->len++] = (uint32_t)carry;
	}
}

/* dst += a; `a` may be `dst` itself. */
void
bignum_add(struct bignum *dst, const struct bignum *a)
{
	size_t		i, n, alen = a->len;
	uint32_t	carry = 0, t;

	n = dst->len > alen ? dst->len : alen;
	bignum_reserve(dst, n + 1);	/* may move a->limb when a == dst */
	for (i = dst->len; i < n; i++)
		dst->limb[i] = 0;
	for (i = 0; i < n; i++) {
		t = dst->limb[i] + carry + (i < alen ? a->limb[i] : 0);
		carry = t >= BIGNUM_BASE;
		dst->limb[i] = carry ? t - BIGNUM_BASE : t;
	}
	dst->len = n;
	if (carry)
		dst->limb[dst->len++] = 1;
}

/*
 * dst = a * b.  `dst` must be neither operand, because it is overwritten
 * while they are read.  Each step adds a limb product (< 10^18), the limb
 * already there and the carry (both < 10^9): below 2^64.
 */
void
bignum_mul(struct bignum *dst, const struct bignum *a, const struct bignum *b)
{
	size_t		i, j;
	uint64_t	carry, t;

	if (a->len == 0 || b->len == 0) {
		dst->len = 0;
		return;
	}
	bignum_reserve(dst, a->len + b->len);
	memset(dst->limb, 0, (a->len + b->len) * sizeof *dst->limb);
	for (i = 0; i < a->len; i++) {
		carry = 0;
		for (j = 0; j < b->len; j++) {
			t = (uint64_t)a->limb[i] * b->limb[j] +
			    dst->limb[i + j] + carry;
			dst->limb[i + j] = (uint32_t)(t % BIGNUM_BASE);
			carry = t / BIGNUM_BASE;
		}
		dst->limb[i + b->len] = (uint32_t)carry;
	}
	dst->len = a->len + b->len;
	bignum_trim(dst);
}

/* Number of decimal digits of `b`; zero has one. */
size_t
bignum_digits(const struct bignum *b)
{
	size_t		n;
	uint32_t	top;

	if (b->len == 0)
		return 1;
	n = (b->len - 1) * BIGNUM_DIGITS;
	for (top = b->limb[b->len - 1]; top != 0; top /= 10)
		n++;
	return n;
}

/* The decimal text of `b`, without sign or leading zeros. */
char *
bignum_to_string(const struct bignum *b)
{
	char		*s, *p;
	uint32_t	 v;
	size_t		 i, n, k;

	n = bignum_digits(b);
	s = xmalloc(n + 1);
	s[n] = '\0';
	if (b->len == 0) {
		s[0] = '0';
		return s;
	}
	/* Fill from the right: nine digits per limb, the top one unpadded. */
	p = s + n;
	for (i = 0; i < b->len; i++) {
		v = b->limb[i];
		for (k = 0; k < BIGNUM_DIGITS; k++) {
			if (i == b->len - 1 && v == 0)
				break;
			*--p = (char)('0' + v % 10);
			v /= 10;
		}
	}
	return s;
}

/* 1 and *out when `b` fits in uint64_t; 0 and *out untouched otherwise. */
int
bignum_to_u64(const struct bignum *b, uint64_t *out)
{
	unsigned __int128	v = 0;
	size_t			i;

	if (b->len > 3)
		return 0;
	for (i = b->len; i > 0; i--)
		v = v * BIGNUM_BASE + b->limb[i - 1];
	if (v > UINT64_MAX)
		return 0;
	*out = (uint64_t)v;
	return 1;
}
