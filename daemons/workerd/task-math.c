/*
 * task-math.c — the nine arithmetic operations (semantics atop task.c).
 *
 * Integer operands are int64 (jansson's json_int_t); sums, differences,
 * products and quotients of two of them are done in __int128, where they
 * cannot overflow, so "exact" needs no overflow checks.  Results that can
 * grow without bound (potencia, factorial, fibonacci) use bignum and are
 * held to tasks.max_digits: refused early on an estimate with half a digit
 * of slack, then checked exactly, so the bound is exact and the work never
 * goes much past it.
 */
#include <math.h>
#include <stdint.h>

#include <jansson.h>

#include "bignum.h"
#include "conf.h"
#include "task-ops.h"
#include "xmalloc.h"

/* 1 when both operands are JSON integers. */
static int
math_integers(const json_t *a, const json_t *b)
{
	return json_is_integer(a) && json_is_integer(b);
}

json_t *
task_suma(const json_t *const arg[], const struct conf_tasks *limits,
    char **cause)
{
	if (math_integers(arg[0], arg[1]))
		return task_exact((__int128)json_integer_value(arg[0]) +
		    json_integer_value(arg[1]));
	return task_real(json_number_value(arg[0]) +
	    json_number_value(arg[1]), cause);
}

json_t *
task_resta(const json_t *const arg[], const struct conf_tasks *limits,
    char **cause)
{
	if (math_integers(arg[0], arg[1]))
		return task_exact((__int128)json_integer_value(arg[0]) -
		    json_integer_value(arg[1]));
	return task_real(json_number_value(arg[0]) -
	    json_number_value(arg[1]), cause);
}

json_t *
task_multiplicacion(const json_t *const arg[],
    const struct conf_tasks *limits, char **cause)
{
	if (math_integers(arg[0], arg[1]))
		return task_exact((__int128)json_integer_value(arg[0]) *
		    json_integer_value(arg[1]));
	return task_real(json_number_value(arg[0]) *
	    json_number_value(arg[1]), cause);
}

/* 1 when the int64 `v` converts to double exactly (|v| ≤ 2^53). */
static int
math_exact_double(int64_t v)
{
	return v >= -TASK_EXACT_MAX && v <= TASK_EXACT_MAX;
}

/*
 * Two integers that divide evenly give the exact quotient (INT64_MIN / -1
 * included, thanks to __int128).  Other integer pairs give the correctly
 * rounded real when both convert to double exactly (one IEEE division);
 * larger ones are divided in long double, which holds any int64 exactly.
 */
json_t *
task_division(const json_t *const arg[], const struct conf_tasks *limits,
    char **cause)
{
	__int128	a, b;

	if (json_number_value(arg[1]) == 0.0) {
		*cause = xstrdup("División por cero");
		return NULL;
	}
	if (math_integers(arg[0], arg[1])) {
		a = json_integer_value(arg[0]);
		b = json_integer_value(arg[1]);
		if (a % b == 0)
			return task_exact(a / b);
		if (math_exact_double((int64_t)a) &&
		    math_exact_double((int64_t)b))
			return task_real((double)a / (double)b, cause);
		return task_real((double)((long double)a / (long double)b),
		    cause);
	}
	return task_real(json_number_value(arg[0]) /
	    json_number_value(arg[1]), cause);
}

/*
 * base^exp for integers, exp ≥ 0, by square-and-multiply.  The square is
 * taken only while bits remain, so no intermediate is larger than the
 * result, which the estimate has already bounded.
 */
static json_t *
math_pow_exact(int64_t base, int64_t exp, const struct conf_tasks *limits,
    char **cause)
{
	struct bignum	 r, sq, t;
	uint64_t	 mag, e = (uint64_t)exp;
	int		 negative;
	json_t		*j;

	mag = base < 0 ? -(uint64_t)base : (uint64_t)base;
	negative = base < 0 && (e & 1);
	if (mag == 0)
		return json_integer(e == 0 ? 1 : 0);
	if (mag == 1)
		return json_integer(negative ? -1 : 1);
	/* digits = floor(e·log10(mag)) + 1; e is bounded by this test. */
	if ((double)e * log10((double)mag) > (double)limits->max_digits + 0.5) {
		*cause = task_too_big(limits->max_digits);
		return NULL;
	}

	bignum_init(&r, 1);
	bignum_init(&sq, mag);
	bignum_init(&t, 0);
	for (;;) {
		if (e & 1) {
			bignum_mul(&t, &r, &sq);
			bignum_copy(&r, &t);
		}
		if ((e >>= 1) == 0)
			break;
		bignum_mul(&t, &sq, &sq);
		bignum_copy(&sq, &t);
	}
	if (bignum_digits(&r) > (uint64_t)limits->max_digits) {
		*cause = task_too_big(limits->max_digits);
		j = NULL;
	} else
		j = task_exact_big(&r, negative);
	bignum_free(&r);
	bignum_free(&sq);
	bignum_free(&t);
	return j;
}

json_t *
task_potencia(const json_t *const arg[], const struct conf_tasks *limits,
    char **cause)
{
	double	x, y;

	if (math_integers(arg[0], arg[1]) && json_integer_value(arg[1]) >= 0)
		return math_pow_exact(json_integer_value(arg[0]),
		    json_integer_value(arg[1]), limits, cause);
	x = json_number_value(arg[0]);
	y = json_number_value(arg[1]);
	if (x == 0.0 && y < 0) {
		*cause = xstrdup("División por cero");
		return NULL;
	}
	return task_real(pow(x, y), cause);
}

/* floor(sqrt(v)) exactly: the long double guess is off by at most one. */
static uint64_t
math_isqrt(uint64_t v)
{
	uint64_t	r;

	r = (uint64_t)sqrtl((long double)v);
	while ((unsigned __int128)r * r > v)
		r--;
	while ((unsigned __int128)(r + 1) * (r + 1) <= v)
		r++;
	return r;
}

json_t *
task_raiz(const json_t *const arg[], const struct conf_tasks *limits,
    char **cause)
{
	double		x = json_number_value(arg[0]);
	int64_t		n;
	uint64_t	r;

	if (x < 0) {
		*cause = xstrdup("No se puede calcular la raíz de un número "
		    "negativo");
		return NULL;
	}
	if (json_is_integer(arg[0])) {
		n = json_integer_value(arg[0]);
		r = math_isqrt((uint64_t)n);
		if (r * r == (uint64_t)n)
			return json_integer((json_int_t)r);
		/* sqrt of an exact double is correctly rounded; past 2^53
		 * the long double keeps the digits a double would drop. */
		if (math_exact_double(n))
			return task_real(sqrt((double)n), cause);
		return task_real((double)sqrtl((long double)n), cause);
	}
	if (x == 0)
		x = 0.0;	/* sqrt(-0.0) would answer -0.0 */
	return task_real(sqrt(x), cause);
}

/* The shared "n demasiado grande" refusal. */
static char *
math_n_too_big(int64_t max)
{
	return xasprintf("n demasiado grande (máximo %lld)", (long long)max);
}

/*
 * n! by repeated mul_small.  The digit bound is checked after every step,
 * which is exact and cheap (bignum_digits looks at one limb).
 */
json_t *
task_factorial(const json_t *const arg[], const struct conf_tasks *limits,
    char **cause)
{
	int64_t		n = json_integer_value(arg[0]), i;
	struct bignum	r;
	json_t		*j = NULL;

	if (n < 0) {
		*cause = xstrdup("El factorial no está definido para números "
		    "negativos");
		return NULL;
	}
	if (n > limits->max_factorial) {
		*cause = math_n_too_big(limits->max_factorial);
		return NULL;
	}
	bignum_init(&r, 1);
	for (i = 2; i <= n; i++) {
		/* mul_small takes factors below 10^9; 10^9! has 8.5e9
		 * digits anyway. */
		if (i >= 1000000000 ||
		    bignum_digits(&r) > (uint64_t)limits->max_digits)
			break;
		bignum_mul_small(&r, (uint32_t)i);
	}
	if (i <= n || bignum_digits(&r) > (uint64_t)limits->max_digits)
		*cause = task_too_big(limits->max_digits);
	else
		j = task_exact_big(&r, 0);
	bignum_free(&r);
	return j;
}

/* a·b mod m without overflow. */
static uint64_t
math_mulmod(uint64_t a, uint64_t b, uint64_t m)
{
	return (uint64_t)((unsigned __int128)a * b % m);
}

static uint64_t
math_powmod(uint64_t a, uint64_t e, uint64_t m)
{
	uint64_t	r = 1;

	a %= m;
	while (e != 0) {
		if (e & 1)
			r = math_mulmod(r, a, m);
		a = math_mulmod(a, a, m);
		e >>= 1;
	}
	return r;
}

/*
 * Miller–Rabin with the first twelve primes as bases, which is known to be
 * exact for every n < 3.3·10^24, so for all of uint64_t.
 */
static int
math_is_prime(uint64_t n)
{
	static const uint64_t	bases[] = {
		2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37
	};
	uint64_t		d, x;
	size_t			i;
	int			s, k;

	if (n < 2)
		return 0;
	for (i = 0; i < sizeof bases / sizeof bases[0]; i++) {
		if (n % bases[i] == 0)
			return n == bases[i];
	}
	/* n is odd and above 37: n - 1 = d·2^s with d odd. */
	d = n - 1;
	for (s = 0; (d & 1) == 0; s++)
		d >>= 1;
	for (i = 0; i < sizeof bases / sizeof bases[0]; i++) {
		x = math_powmod(bases[i], d, n);
		if (x == 1 || x == n - 1)
			continue;
		for (k = 1; k < s; k++) {
			x = math_mulmod(x, x, n);
			if (x == n - 1)
				break;
		}
		if (k == s)
			return 0;
	}
	return 1;
}

json_t *
task_primo(const json_t *const arg[], const struct conf_tasks *limits,
    char **cause)
{
	int64_t	n = json_integer_value(arg[0]);

	return json_boolean(n >= 2 && math_is_prime((uint64_t)n));
}

/*
 * F(n) by fast doubling over the pair (F(k-1), F(k)), with identities that
 * need no subtraction:
 *	F(2k-1) = F(k-1)² + F(k)²
 *	F(2k)   = F(k)·(2·F(k-1) + F(k))
 * and the step k → k+1 is (F(k), F(k-1) + F(k)).  Starting from k = 1,
 * each bit of n below its top one doubles k and, when set, steps once.
 */
static void
math_fib(struct bignum *out, uint64_t n)
{
	struct bignum	p, q, pp, qq, t;
	int		bit;

	bignum_init(&p, 0);
	bignum_init(&q, 1);
	bignum_init(&pp, 0);
	bignum_init(&qq, 0);
	bignum_init(&t, 0);
	for (bit = 62; bit >= 0 && (n >> bit) == 0; bit--)
		;
	for (bit--; bit >= 0; bit--) {
		bignum_copy(&t, &p);			/* t = 2p + q */
		bignum_mul_small(&t, 2);
		bignum_add(&t, &q);
		bignum_mul(&pp, &p, &p);
		bignum_mul(&qq, &q, &q);
		bignum_add(&pp, &qq);			/* F(2k-1) */
		bignum_mul(&qq, &q, &t);		/* F(2k) */
		bignum_copy(&p, &pp);
		bignum_copy(&q, &qq);
		if ((n >> bit) & 1) {
			bignum_copy(&t, &q);
			bignum_add(&q, &p);
			bignum_copy(&p, &t);
		}
	}
	bignum_copy(out, n == 0 ? &p : &q);
	bignum_free(&p);
	bignum_free(&q);
	bignum_free(&pp);
	bignum_free(&qq);
	bignum_free(&t);
}

json_t *
task_fibonacci(const json_t *const arg[], const struct conf_tasks *limits,
    char **cause)
{
	int64_t		n = json_integer_value(arg[0]);
	struct bignum	r;
	json_t		*j = NULL;

	if (n < 0) {
		*cause = xstrdup("n debe ser mayor o igual que 0");
		return NULL;
	}
	if (n > limits->max_fibonacci) {
		*cause = math_n_too_big(limits->max_fibonacci);
		return NULL;
	}
	/* F(n) has about n·log10(φ) digits, φ = (1 + √5) / 2. */
	if ((double)n * 0.20898764024997873 >
	    (double)limits->max_digits + 0.5) {
		*cause = task_too_big(limits->max_digits);
		return NULL;
	}
	bignum_init(&r, 0);
	math_fib(&r, (uint64_t)n);
	if (bignum_digits(&r) > (uint64_t)limits->max_digits)
		*cause = task_too_big(limits->max_digits);
	else
		j = task_exact_big(&r, 0);
	bignum_free(&r);
	return j;
}
