/* test-bignum.c — exact values through every bignum.h function. */
#include <stdint.h>
#include <stdlib.h>

#include "bignum.h"
#include "tap.h"

/* Checks the decimal text of `b` and frees it. */
static void
is_text(const struct bignum *b, const char *want, const char *what)
{
	char	*s = bignum_to_string(b);

	tap_is_str(s, want, "%s", what);
	free(s);
}

static void
test_init(void)
{
	struct bignum	b;

	bignum_init(&b, 0);
	is_text(&b, "0", "zero prints 0");
	tap_is_int((long long)b.len, 0, "zero has no limbs");
	tap_is_int((long long)bignum_digits(&b), 1, "zero has one digit");
	bignum_free(&b);

	bignum_init(&b, 999999999);
	is_text(&b, "999999999", "one full limb");
	tap_is_int((long long)b.len, 1, "999999999 is one limb");
	tap_is_int((long long)bignum_digits(&b), 9, "999999999 has 9 digits");
	bignum_free(&b);

	bignum_init(&b, 1000000000);
	is_text(&b, "1000000000", "10^9 pads the low limb");
	tap_is_int((long long)b.len, 2, "10^9 is two limbs");
	tap_is_int((long long)bignum_digits(&b), 10, "10^9 has 10 digits");
	bignum_free(&b);

	bignum_init(&b, 1000000000000000007ULL);
	is_text(&b, "1000000000000000007", "zero limb in the middle");
	bignum_free(&b);

	bignum_init(&b, UINT64_MAX);
	is_text(&b, "18446744073709551615", "UINT64_MAX");
	tap_is_int((long long)b.len, 3, "UINT64_MAX is three limbs");
	tap_is_int((long long)bignum_digits(&b), 20, "UINT64_MAX has 20 digits");
	bignum_free(&b);
	tap_ok(b.limb == NULL && b.len == 0 && b.cap == 0, "free clears");
}

static void
test_to_u64(void)
{
	struct bignum	b, one;
	uint64_t	u = 42;

	bignum_init(&b, 0);
	tap_ok(bignum_to_u64(&b, &u) && u == 0, "to_u64 of zero");
	bignum_free(&b);

	bignum_init(&b, UINT64_MAX);
	tap_ok(bignum_to_u64(&b, &u) && u == UINT64_MAX, "to_u64 of UINT64_MAX");
	bignum_init(&one, 1);
	bignum_add(&b, &one);
	bignum_free(&one);
	is_text(&b, "18446744073709551616", "UINT64_MAX + 1");
	u = 7;
	tap_ok(!bignum_to_u64(&b, &u) && u == 7,
	    "UINT64_MAX + 1 does not fit, out untouched");
	bignum_mul_small(&b, 999999999);
	tap_ok(!bignum_to_u64(&b, &u), "four limbs do not fit");
	bignum_free(&b);

	bignum_init(&b, 123456789012345678ULL);
	tap_ok(bignum_to_u64(&b, &u) && u == 123456789012345678ULL,
	    "to_u64 round trip");
	bignum_free(&b);
}

static void
test_mul_small(void)
{
	struct bignum	b;
	uint32_t	i;

	bignum_init(&b, 1);
	for (i = 2; i <= 30; i++)
		bignum_mul_small(&b, i);
	is_text(&b, "265252859812191058636308480000000", "30! by mul_small");
	tap_is_int((long long)bignum_digits(&b), 33, "30! has 33 digits");
	bignum_mul_small(&b, 999999999);
	is_text(&b, "265252859546938198824117421363691520000000",
	    "times 999999999");
	bignum_mul_small(&b, 0);
	is_text(&b, "0", "times 0 is zero");
	tap_is_int((long long)b.len, 0, "times 0 has no limbs");
	bignum_mul_small(&b, 5);
	is_text(&b, "0", "zero times 5 stays zero");
	bignum_free(&b);
}

static void
test_add(void)
{
	struct bignum	a, b;

	bignum_init(&a, 999999999999999999ULL);
	bignum_init(&b, 1);
	bignum_add(&a, &b);
	is_text(&a, "1000000000000000000", "carry through every limb");
	tap_is_int((long long)a.len, 3, "carry adds a limb");
	bignum_add(&b, &a);
	is_text(&b, "1000000000000000001", "short plus long");
	bignum_add(&a, &a);
	is_text(&a, "2000000000000000000", "a += a (alias)");
	bignum_free(&b);
	bignum_init(&b, 0);
	bignum_add(&a, &b);
	is_text(&a, "2000000000000000000", "plus zero");
	bignum_add(&b, &a);
	is_text(&b, "2000000000000000000", "zero plus");
	bignum_free(&a);
	bignum_free(&b);
}

static void
test_mul_copy(void)
{
	struct bignum	a, b, r;
	int		i;

	bignum_init(&a, 999999999999999999ULL);
	bignum_init(&r, 0);
	bignum_mul(&r, &a, &a);
	is_text(&r, "999999999999999998000000000000000001", "(10^18-1)^2");
	tap_is_int((long long)bignum_digits(&r), 36, "36 digits");

	bignum_init(&b, 0);
	bignum_mul(&r, &a, &b);
	is_text(&r, "0", "times zero");
	tap_is_int((long long)r.len, 0, "times zero has no limbs");
	bignum_mul(&r, &b, &a);
	is_text(&r, "0", "zero times");
	bignum_free(&b);

	/* 2^200 by squaring copies: 2 → 4 → 16 → 256 → 2^16 → 2^32 ... */
	bignum_init(&b, 2);
	for (i = 0; i < 3; i++) {		/* 2^8 */
		bignum_mul(&r, &b, &b);
		bignum_copy(&b, &r);
	}
	bignum_copy(&a, &b);			/* a = 2^8 */
	for (i = 0; i < 2; i++) {		/* b = 2^32 */
		bignum_mul(&r, &b, &b);
		bignum_copy(&b, &r);
	}
	bignum_mul(&r, &b, &b);			/* 2^64 */
	is_text(&r, "18446744073709551616", "2^64");
	bignum_mul(&b, &r, &r);			/* 2^128 */
	bignum_mul(&r, &b, &b);			/* 2^256 */
	is_text(&r, "115792089237316195423570985008687907853269984665640564039457584007913129639936",
	    "2^256");
	tap_is_int((long long)bignum_digits(&r), 78, "2^256 has 78 digits");
	bignum_copy(&r, &r);
	is_text(&r, "115792089237316195423570985008687907853269984665640564039457584007913129639936",
	    "copy onto itself");
	bignum_copy(&b, &a);
	is_text(&b, "256", "copy shrinks");
	bignum_free(&a);
	bignum_free(&b);
	bignum_free(&r);
}

int
main(void)
{
	test_init();
	test_to_u64();
	test_mul_small();
	test_add();
	test_mul_copy();
	return tap_done();
}
