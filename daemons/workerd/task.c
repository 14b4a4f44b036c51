/*
 * task.c — see task.h.  The table of the 13 operations, the checks every
 * request goes through, and the reply.
 *
 * SEMANTICS (the reference for the documentation)
 *
 * Request: a JSON object with a string "operacion" and an object "datos".
 * Reply keys, in order: id, operacion, resultado, estado ("completado"),
 * worker; on error: id, operacion, estado ("error"), error, worker.
 * "operacion" echoes the request's string (even an unknown one), or null
 * when it is missing or not a string.  Success is status 200, every error
 * 422.  Checks run in this order and the first failure is the answer:
 *   not an object          "La tarea debe ser un objeto JSON"
 *   no "operacion"         "Falta el campo 'operacion'"
 *   not a string           "El campo 'operacion' debe ser texto"
 *   not one of the 13      "Operación desconocida: NAME"
 *   no "datos"             "Falta el campo 'datos'"
 *   not an object          "El campo 'datos' debe ser un objeto"
 *   each field, in order:  "Falta el campo 'F'"
 *                          "El campo 'F' debe ser numérico" (booleans are not)
 *                          "El campo 'F' debe ser un entero" (5.0 is not)
 *                          "El campo 'F' debe ser texto"
 *                          "Texto demasiado largo (máximo N bytes)"  [max_text]
 * Other keys of the request and of "datos" are ignored.
 *
 * Numbers.  JSON integers (int64) are computed exactly; an exact integer
 * result within ±2^53 is a JSON integer, beyond it a decimal string (most
 * JSON readers round larger numbers).  As soon as one operand is a real the
 * computation is in double and the result a real; a result that is not
 * finite is refused: "Resultado no finito".  Exact results of potencia,
 * factorial and fibonacci are also bounded by tasks.max_digits:
 * "Resultado demasiado grande (más de N dígitos)".
 *
 *   suma, resta, multiplicacion (a, b)  a+b, a-b, a*b.
 *   division (a, b)   b == 0 → "División por cero".  Two integers where b
 *                     divides a: the exact quotient; otherwise a real.
 *   potencia (base, exponente)  integers with exponente ≥ 0: exact, 0^0 = 1,
 *                     sign from the base; refused before computing when the
 *                     digits would pass max_digits.  A negative exponente or
 *                     a real operand: pow() as a real; base 0 with a negative
 *                     exponente → "División por cero"; a negative base with a
 *                     fractional exponente is not finite.
 *   raiz (numero)     numero < 0 → "No se puede calcular la raíz de un número
 *                     negativo".  An integer perfect square gives its exact
 *                     integer root; anything else sqrt() as a real.
 *   factorial (n)     integer; n < 0 → "El factorial no está definido para
 *                     números negativos"; n > max_factorial → "n demasiado
 *                     grande (máximo N)"; exact.
 *   primo (n)         integer; true or false; n < 2 is false.  Deterministic
 *                     Miller–Rabin, exact for all 64-bit n.
 *   fibonacci (n)     integer; n < 0 → "n debe ser mayor o igual que 0";
 *                     n > max_fibonacci → "n demasiado grande (máximo N)";
 *                     F(0) = 0, F(1) = 1; exact.
 *
 * Text (field "texto", at most max_text bytes of UTF-8).
 *   inverso_texto     the code points in reverse order (a combining accent
 *                     moves with the code point, not with its letter).
 *   mayusculas        each code point through towupper in C.UTF-8: "ñandú"
 *                     → "ÑANDÚ"; "ß" has no one-code-point capital and stays.
 *   contar_palabras   the number of maximal runs of code points that are not
 *                     white space (iswspace in C.UTF-8: ASCII blanks, U+2003,
 *                     U+3000…; not U+00A0, which glues words); "" → 0.
 *   Invalid UTF-8 (which jansson does not produce) → "El campo 'texto' no es
 *   UTF-8 válido".
 *
 * sleep (segundos)   a number (integer or real) from 0 to max_sleep (kept in
 *                    ms, shown in seconds): "segundos fuera de rango (mínimo
 *                    0)" / "segundos fuera de rango (máximo N)".  Blocks the
 *                    pool thread that long, then answers the seconds as given.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conf.h"
#include "task.h"
#include "task-ops.h"
#include "xmalloc.h"

static const struct task_op task_table[] = {
	{ "suma", { { "a", TASK_NUMBER }, { "b", TASK_NUMBER } }, task_suma },
	{ "resta", { { "a", TASK_NUMBER }, { "b", TASK_NUMBER } }, task_resta },
	{ "multiplicacion", { { "a", TASK_NUMBER }, { "b", TASK_NUMBER } },
	    task_multiplicacion },
	{ "division", { { "a", TASK_NUMBER }, { "b", TASK_NUMBER } },
	    task_division },
	{ "potencia", { { "base", TASK_NUMBER }, { "exponente", TASK_NUMBER } },
	    task_potencia },
	{ "raiz", { { "numero", TASK_NUMBER } }, task_raiz },
	{ "factorial", { { "n", TASK_INTEGER } }, task_factorial },
	{ "primo", { { "n", TASK_INTEGER } }, task_primo },
	{ "fibonacci", { { "n", TASK_INTEGER } }, task_fibonacci },
	{ "inverso_texto", { { "texto", TASK_TEXT } }, task_inverso_texto },
	{ "mayusculas", { { "texto", TASK_TEXT } }, task_mayusculas },
	{ "contar_palabras", { { "texto", TASK_TEXT } }, task_contar_palabras },
	{ "sleep", { { "segundos", TASK_NUMBER } }, task_sleep },
};
#define TASK_NOPS	(sizeof task_table / sizeof task_table[0])

/* The row for `name` (a NUL-free string), or NULL. */
static const struct task_op *
task_find(const char *name)
{
	size_t	i;

	for (i = 0; i < TASK_NOPS; i++) {
		if (strcmp(task_table[i].name, name) == 0)
			return &task_table[i];
	}
	return NULL;
}

int
task_known(const char *name)
{
	return name != NULL && task_find(name) != NULL;
}

/*
 * Fetches the fields of `op` from the object `datos` into arg[] (borrowed
 * references), checking presence, kind and text size.  0, or -1 and *cause.
 */
static int
task_fields(const struct task_op *op, const json_t *datos,
    const struct conf_tasks *limits, const json_t *arg[], char **cause)
{
	const struct task_field	*f;
	const json_t		*v;
	size_t			 i;

	for (i = 0; i < TASK_MAX_FIELDS && op->field[i].name != NULL; i++) {
		f = &op->field[i];
		if ((v = json_object_get(datos, f->name)) == NULL) {
			*cause = xasprintf("Falta el campo '%s'", f->name);
			return -1;
		}
		switch (f->kind) {
		case TASK_NUMBER:
			if (!json_is_number(v)) {
				*cause = xasprintf("El campo '%s' debe ser "
				    "numérico", f->name);
				return -1;
			}
			break;
		case TASK_INTEGER:
			if (!json_is_integer(v)) {
				*cause = xasprintf("El campo '%s' debe ser un "
				    "entero", f->name);
				return -1;
			}
			break;
		case TASK_TEXT:
			if (!json_is_string(v)) {
				*cause = xasprintf("El campo '%s' debe ser "
				    "texto", f->name);
				return -1;
			}
			if (limits->max_text >= 0 && json_string_length(v) >
			    (uint64_t)limits->max_text) {
				*cause = xasprintf("Texto demasiado largo "
				    "(máximo %lld bytes)",
				    (long long)limits->max_text);
				return -1;
			}
			break;
		}
		arg[i] = v;
	}
	for (; i < TASK_MAX_FIELDS; i++)
		arg[i] = NULL;
	return 0;
}

/*
 * Runs the request object `req` whose "operacion" is `opv` (any value or
 * NULL).  Returns the resultado, or NULL and *cause.
 */
static json_t *
task_dispatch(const json_t *req, const json_t *opv,
    const struct conf_tasks *limits, char **cause)
{
	const struct task_op	*op;
	const json_t		*datos, *arg[TASK_MAX_FIELDS];
	const char		*name;

	if (opv == NULL) {
		*cause = xstrdup("Falta el campo 'operacion'");
		return NULL;
	}
	if (!json_is_string(opv)) {
		*cause = xstrdup("El campo 'operacion' debe ser texto");
		return NULL;
	}
	name = json_string_value(opv);
	/* "suma\u0000x" is not "suma". */
	op = strlen(name) == json_string_length(opv) ? task_find(name) : NULL;
	if (op == NULL) {
		*cause = xasprintf("Operación desconocida: %s", name);
		return NULL;
	}
	if ((datos = json_object_get(req, "datos")) == NULL) {
		*cause = xstrdup("Falta el campo 'datos'");
		return NULL;
	}
	if (!json_is_object(datos)) {
		*cause = xstrdup("El campo 'datos' debe ser un objeto");
		return NULL;
	}
	if (task_fields(op, datos, limits, arg, cause) != 0)
		return NULL;
	return op->run(arg, limits, cause);
}

json_t *
task_run(const json_t *req, int64_t id, const char *worker,
    const struct conf_tasks *limits, int *status)
{
	const json_t	*opv = NULL;
	json_t		*reply, *resultado = NULL, *opname;
	char		*cause = NULL;

	if (!json_is_object(req))
		cause = xstrdup("La tarea debe ser un objeto JSON");
	else {
		opv = json_object_get(req, "operacion");
		resultado = task_dispatch(req, opv, limits, &cause);
	}

	if (json_is_string(opv))
		opname = json_stringn(json_string_value(opv),
		    json_string_length(opv));
	else
		opname = json_null();

	reply = json_object();
	json_object_set_new(reply, "id", json_integer(id));
	json_object_set_new(reply, "operacion", opname);
	if (resultado != NULL) {
		json_object_set_new(reply, "resultado", resultado);
		json_object_set_new(reply, "estado", json_string("completado"));
		*status = TASK_OK;
	} else {
		json_object_set_new(reply, "estado", json_string("error"));
		json_object_set_new(reply, "error",
		    json_string(cause != NULL ? cause : "Error interno"));
		*status = TASK_REFUSED;
	}
	json_object_set_new(reply, "worker",
	    worker != NULL ? json_string(worker) : json_null());
	free(cause);
	return reply;
}

/* Writes |v| in decimal, with a '-' when v < 0, into buf (≥ 41 bytes). */
static char *
task_i128_text(__int128 v, char *buf, size_t size)
{
	unsigned __int128	 mag;
	char			*p = buf + size;

	mag = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
	*--p = '\0';
	do {
		*--p = (char)('0' + (int)(mag % 10));
		mag /= 10;
	} while (mag != 0);
	if (v < 0)
		*--p = '-';
	return p;
}

json_t *
task_exact(__int128 v)
{
	char	buf[48];

	if (v >= -TASK_EXACT_MAX && v <= TASK_EXACT_MAX)
		return json_integer((json_int_t)v);
	return json_string(task_i128_text(v, buf, sizeof buf));
}

json_t *
task_exact_big(const struct bignum *mag, int negative)
{
	json_t		*j;
	char		*s, *t;
	uint64_t	 u;

	if (bignum_to_u64(mag, &u) && u <= (uint64_t)TASK_EXACT_MAX)
		return json_integer(negative ? -(json_int_t)u : (json_int_t)u);
	s = bignum_to_string(mag);
	if (negative) {
		t = xasprintf("-%s", s);
		free(s);
		s = t;
	}
	j = json_string(s);
	free(s);
	return j;
}

json_t *
task_real(double v, char **cause)
{
	if (!isfinite(v)) {
		*cause = xstrdup("Resultado no finito");
		return NULL;
	}
	return json_real(v);
}

char *
task_too_big(int64_t max)
{
	return xasprintf("Resultado demasiado grande (más de %lld dígitos)",
	    (long long)max);
}
