/*
 * bignum.h — just enough non-negative arbitrary-precision integer arithmetic
 * for exact factorial, fibonacci and power results, printed in decimal.
 * Limbs are base 10^9 so printing is trivial; sizes are bounded by the
 * caller (tasks.max_digits), never by the input alone.
 */
#ifndef PFO3_BIGNUM_H
#define PFO3_BIGNUM_H

#include <stddef.h>
#include <stdint.h>

struct bignum {
	uint32_t	*limb;		/* little-endian, each < 10^9 */
	size_t		 len;		/* limbs in use (0 means zero) */
	size_t		 cap;
};

void	bignum_init(struct bignum *b, uint64_t v);
void	bignum_free(struct bignum *b);
void	bignum_copy(struct bignum *dst, const struct bignum *src);
void	bignum_mul_small(struct bignum *b, uint32_t m);	/* m < 10^9 */
void	bignum_add(struct bignum *dst, const struct bignum *a);	/* dst += a */
void	bignum_mul(struct bignum *dst, const struct bignum *a,
	    const struct bignum *b);	/* dst = a * b; dst may alias neither */
size_t	bignum_digits(const struct bignum *b);	/* decimal digits, 1 for zero */
/* Decimal text; caller frees. */
char	*bignum_to_string(const struct bignum *b);
/* 1 and *out when the value fits in uint64_t. */
int	bignum_to_u64(const struct bignum *b, uint64_t *out);

#endif
