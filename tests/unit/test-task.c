/*
 * test-task.c — every operation, every error and every limit of task.h,
 * compared as the exact compact reply text prefixed by the status:
 * "200 {...}" or "422 {...}".
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "conf.h"
#include "tap.h"
#include "task.h"
#include "xmalloc.h"

/* Small limits so that every boundary is cheap to reach. */
static const struct conf_tasks lim = {
	.max_sleep = 100,		/* ms */
	.max_factorial = 100,
	.max_fibonacci = 500,
	.max_digits = 200,
	.max_text = 16,
};
/* Digit bound below factorial's and fibonacci's own bounds. */
static const struct conf_tasks lim_digits = {
	.max_sleep = 2000,
	.max_factorial = 100,
	.max_fibonacci = 500,
	.max_digits = 20,
	.max_text = 1000,
};
static const struct conf_tasks lim_sleep = {
	.max_sleep = 1500,
	.max_factorial = 100,
	.max_fibonacci = 500,
	.max_digits = 200,
	.max_text = 16,
};

/* Runs `req` (a JSON value; NULL is passed as is) and returns "STATUS JSON". */
static char *
run_value(const json_t *req, const struct conf_tasks *l, const char *worker)
{
	json_t	*reply;
	char	*s, *out;
	int	 status = -1;

	reply = task_run(req, 7, worker, l, &status);
	s = json_dumps(reply, JSON_COMPACT);
	out = xasprintf("%d %s", status, s);
	free(s);
	json_decref(reply);
	return out;
}

static char *
run_text(const char *text, const struct conf_tasks *l)
{
	json_error_t	 e;
	json_t		*req;
	char		*out;

	req = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL |
	    JSON_REJECT_DUPLICATES, &e);
	if (req == NULL) {
		tap_diag("bad test JSON %s: %s", text, e.text);
		return xstrdup("unparsable");
	}
	out = run_value(req, l, "w1");
	json_decref(req);
	return out;
}

/* Whole request and whole expected reply. */
static void
check(const struct conf_tasks *l, const char *req, const char *want)
{
	char	*got = run_text(req, l);

	tap_is_str(got, want, "%s", req);
	free(got);
}

/* {"operacion":op,"datos":datos} must succeed with `resultado`. */
static void
ok(const struct conf_tasks *l, const char *op, const char *datos,
    const char *resultado)
{
	char	*req, *want;

	req = xasprintf("{\"operacion\":\"%s\",\"datos\":%s}", op, datos);
	want = xasprintf("200 {\"id\":7,\"operacion\":\"%s\",\"resultado\":%s,"
	    "\"estado\":\"completado\",\"worker\":\"w1\"}", op, resultado);
	check(l, req, want);
	free(req);
	free(want);
}

/* {"operacion":op,"datos":datos} must be refused with `error`. */
static void
err(const struct conf_tasks *l, const char *op, const char *datos,
    const char *error)
{
	char	*req, *want;

	req = xasprintf("{\"operacion\":\"%s\",\"datos\":%s}", op, datos);
	want = xasprintf("422 {\"id\":7,\"operacion\":\"%s\",\"estado\":"
	    "\"error\",\"error\":\"%s\",\"worker\":\"w1\"}", op, error);
	check(l, req, want);
	free(req);
	free(want);
}

static void
test_shape(void)
{
	char	*got;

	/* The examples of task.h, literally. */
	check(&lim, "{\"operacion\":\"suma\",\"datos\":{\"a\":25,\"b\":17}}",
	    "200 {\"id\":7,\"operacion\":\"suma\",\"resultado\":42,"
	    "\"estado\":\"completado\",\"worker\":\"w1\"}");
	check(&lim, "{\"operacion\":\"division\",\"datos\":{\"a\":1,\"b\":0}}",
	    "422 {\"id\":7,\"operacion\":\"division\",\"estado\":\"error\","
	    "\"error\":\"División por cero\",\"worker\":\"w1\"}");
	/* Extra keys anywhere are ignored; key order of the request too. */
	check(&lim, "{\"datos\":{\"b\":17,\"c\":1,\"a\":25},\"x\":[],"
	    "\"operacion\":\"suma\"}",
	    "200 {\"id\":7,\"operacion\":\"suma\",\"resultado\":42,"
	    "\"estado\":\"completado\",\"worker\":\"w1\"}");

	/* Not an object. */
	check(&lim, "[1,2]", "422 {\"id\":7,\"operacion\":null,\"estado\":"
	    "\"error\",\"error\":\"La tarea debe ser un objeto JSON\","
	    "\"worker\":\"w1\"}");
	check(&lim, "\"suma\"", "422 {\"id\":7,\"operacion\":null,\"estado\":"
	    "\"error\",\"error\":\"La tarea debe ser un objeto JSON\","
	    "\"worker\":\"w1\"}");
	check(&lim, "null", "422 {\"id\":7,\"operacion\":null,\"estado\":"
	    "\"error\",\"error\":\"La tarea debe ser un objeto JSON\","
	    "\"worker\":\"w1\"}");
	got = run_value(NULL, &lim, "w1");
	tap_is_str(got, "422 {\"id\":7,\"operacion\":null,\"estado\":\"error\","
	    "\"error\":\"La tarea debe ser un objeto JSON\",\"worker\":\"w1\"}",
	    "a NULL request");
	free(got);

	/* operacion. */
	check(&lim, "{\"datos\":{}}", "422 {\"id\":7,\"operacion\":null,"
	    "\"estado\":\"error\",\"error\":\"Falta el campo 'operacion'\","
	    "\"worker\":\"w1\"}");
	check(&lim, "{\"operacion\":5,\"datos\":{}}", "422 {\"id\":7,"
	    "\"operacion\":null,\"estado\":\"error\",\"error\":\"El campo "
	    "'operacion' debe ser texto\",\"worker\":\"w1\"}");
	check(&lim, "{\"operacion\":null,\"datos\":{}}", "422 {\"id\":7,"
	    "\"operacion\":null,\"estado\":\"error\",\"error\":\"El campo "
	    "'operacion' debe ser texto\",\"worker\":\"w1\"}");
	err(&lim, "xyz", "{}", "Operación desconocida: xyz");
	err(&lim, "SUMA", "{\"a\":1,\"b\":2}", "Operación desconocida: SUMA");
	err(&lim, "", "{}", "Operación desconocida: ");
	/* Unknown is checked before datos. */
	check(&lim, "{\"operacion\":\"xyz\"}", "422 {\"id\":7,\"operacion\":"
	    "\"xyz\",\"estado\":\"error\",\"error\":\"Operación desconocida: "
	    "xyz\",\"worker\":\"w1\"}");
	check(&lim, "{\"operacion\":\"suma\\u0000x\",\"datos\":{}}",
	    "422 {\"id\":7,\"operacion\":\"suma\\u0000x\",\"estado\":\"error\","
	    "\"error\":\"Operación desconocida: suma\",\"worker\":\"w1\"}");

	/* datos. */
	check(&lim, "{\"operacion\":\"suma\"}", "422 {\"id\":7,\"operacion\":"
	    "\"suma\",\"estado\":\"error\",\"error\":\"Falta el campo "
	    "'datos'\",\"worker\":\"w1\"}");
	check(&lim, "{\"operacion\":\"suma\",\"datos\":[1,2]}", "422 {\"id\":7,"
	    "\"operacion\":\"suma\",\"estado\":\"error\",\"error\":\"El campo "
	    "'datos' debe ser un objeto\",\"worker\":\"w1\"}");
	check(&lim, "{\"operacion\":\"suma\",\"datos\":null}", "422 {\"id\":7,"
	    "\"operacion\":\"suma\",\"estado\":\"error\",\"error\":\"El campo "
	    "'datos' debe ser un objeto\",\"worker\":\"w1\"}");

	/* Fields, checked in table order. */
	err(&lim, "suma", "{}", "Falta el campo 'a'");
	err(&lim, "suma", "{\"a\":1}", "Falta el campo 'b'");
	err(&lim, "suma", "{\"b\":1}", "Falta el campo 'a'");
	err(&lim, "suma", "{\"a\":\"1\",\"b\":2}",
	    "El campo 'a' debe ser numérico");
	err(&lim, "suma", "{\"a\":true,\"b\":2}",
	    "El campo 'a' debe ser numérico");
	err(&lim, "suma", "{\"a\":1,\"b\":false}",
	    "El campo 'b' debe ser numérico");
	err(&lim, "suma", "{\"a\":null,\"b\":2}",
	    "El campo 'a' debe ser numérico");
	err(&lim, "suma", "{\"a\":[1],\"b\":{}}",
	    "El campo 'a' debe ser numérico");

	/* Worker and id stamping. */
	{
		json_t	*req = json_pack("{s:s,s:{s:i,s:i}}", "operacion",
		    "resta", "datos", "a", 1, "b", 2);

		got = run_value(req, &lim, NULL);
		tap_is_str(got, "200 {\"id\":7,\"operacion\":\"resta\","
		    "\"resultado\":-1,\"estado\":\"completado\",\"worker\":null}",
		    "NULL worker is null");
		free(got);
		json_decref(req);
	}
}

static void
test_known(void)
{
	static const char *const ops[] = { "suma", "resta", "multiplicacion",
	    "division", "potencia", "raiz", "factorial", "primo", "fibonacci",
	    "inverso_texto", "mayusculas", "contar_palabras", "sleep" };
	size_t	i;
	int	all = 1;

	for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
		all = all && task_known(ops[i]);
	tap_ok(all, "task_known: the 13 operations");
	tap_ok(!task_known("xyz"), "task_known: xyz");
	tap_ok(!task_known(""), "task_known: empty");
	tap_ok(!task_known("Suma"), "task_known: case matters");
	tap_ok(!task_known(NULL), "task_known: NULL");
}

static void
test_suma_resta_mul(void)
{
	ok(&lim, "suma", "{\"a\":-5,\"b\":3}", "-2");
	ok(&lim, "suma", "{\"a\":9007199254740991,\"b\":1}", "9007199254740992");
	ok(&lim, "suma", "{\"a\":9007199254740992,\"b\":1}",
	    "\"9007199254740993\"");
	ok(&lim, "suma", "{\"a\":-9007199254740991,\"b\":-1}",
	    "-9007199254740992");
	ok(&lim, "suma", "{\"a\":-9007199254740992,\"b\":-1}",
	    "\"-9007199254740993\"");
	ok(&lim, "suma", "{\"a\":9223372036854775807,\"b\":9223372036854775807}",
	    "\"18446744073709551614\"");
	ok(&lim, "suma", "{\"a\":0.1,\"b\":0.2}", "0.30000000000000004");
	ok(&lim, "suma", "{\"a\":1,\"b\":1.5}", "2.5");
	ok(&lim, "suma", "{\"a\":2.0,\"b\":2}", "4.0");
	err(&lim, "suma", "{\"a\":1e308,\"b\":1e308}", "Resultado no finito");

	ok(&lim, "resta", "{\"a\":10,\"b\":25}", "-15");
	ok(&lim, "resta", "{\"a\":-9223372036854775808,"
	    "\"b\":9223372036854775807}", "\"-18446744073709551615\"");
	ok(&lim, "resta", "{\"a\":5.5,\"b\":0.5}", "5.0");
	err(&lim, "resta", "{\"a\":-1e308,\"b\":1e308}", "Resultado no finito");
	err(&lim, "resta", "{\"a\":1}", "Falta el campo 'b'");

	ok(&lim, "multiplicacion", "{\"a\":6,\"b\":7}", "42");
	ok(&lim, "multiplicacion", "{\"a\":-6,\"b\":7}", "-42");
	ok(&lim, "multiplicacion", "{\"a\":67108864,\"b\":134217728}",
	    "9007199254740992");
	ok(&lim, "multiplicacion", "{\"a\":3,\"b\":3002399751580331}",
	    "\"9007199254740993\"");
	ok(&lim, "multiplicacion", "{\"a\":-3,\"b\":3002399751580331}",
	    "\"-9007199254740993\"");
	ok(&lim, "multiplicacion", "{\"a\":-9223372036854775808,"
	    "\"b\":-9223372036854775808}",
	    "\"85070591730234615865843651857942052864\"");
	ok(&lim, "multiplicacion", "{\"a\":2.5,\"b\":4}", "10.0");
	err(&lim, "multiplicacion", "{\"a\":1e200,\"b\":1e200}",
	    "Resultado no finito");
	err(&lim, "multiplicacion", "{\"a\":\"x\",\"b\":1}",
	    "El campo 'a' debe ser numérico");
}

static void
test_division(void)
{
	ok(&lim, "division", "{\"a\":84,\"b\":2}", "42");
	ok(&lim, "division", "{\"a\":-9,\"b\":3}", "-3");
	ok(&lim, "division", "{\"a\":0,\"b\":5}", "0");
	ok(&lim, "division", "{\"a\":7,\"b\":2}", "3.5");
	ok(&lim, "division", "{\"a\":1,\"b\":3}", "0.33333333333333331");
	ok(&lim, "division", "{\"a\":2,\"b\":-3}", "-0.66666666666666663");
	ok(&lim, "division", "{\"a\":7.5,\"b\":2.5}", "3.0");
	ok(&lim, "division", "{\"a\":9007199254740993,\"b\":3}",
	    "3002399751580331");
	ok(&lim, "division", "{\"a\":9223372036854775807,\"b\":2}",
	    "4.6116860184273879e18");
	ok(&lim, "division", "{\"a\":-9223372036854775808,\"b\":-1}",
	    "\"9223372036854775808\"");
	ok(&lim, "division", "{\"a\":-9223372036854775808,\"b\":1}",
	    "\"-9223372036854775808\"");
	err(&lim, "division", "{\"a\":5,\"b\":0}", "División por cero");
	err(&lim, "division", "{\"a\":5,\"b\":0.0}", "División por cero");
	err(&lim, "division", "{\"a\":5.0,\"b\":-0.0}", "División por cero");
	err(&lim, "division", "{\"a\":0,\"b\":0}", "División por cero");
	err(&lim, "division", "{\"a\":1e308,\"b\":1e-308}",
	    "Resultado no finito");
	err(&lim, "division", "{\"a\":1,\"b\":true}",
	    "El campo 'b' debe ser numérico");
}

static void
test_potencia(void)
{
	char	*big, *want;

	ok(&lim, "potencia", "{\"base\":2,\"exponente\":10}", "1024");
	ok(&lim, "potencia", "{\"base\":2,\"exponente\":53}", "9007199254740992");
	ok(&lim, "potencia", "{\"base\":2,\"exponente\":64}",
	    "\"18446744073709551616\"");
	ok(&lim, "potencia", "{\"base\":-2,\"exponente\":3}", "-8");
	ok(&lim, "potencia", "{\"base\":-2,\"exponente\":63}",
	    "\"-9223372036854775808\"");
	ok(&lim, "potencia", "{\"base\":-2,\"exponente\":64}",
	    "\"18446744073709551616\"");
	ok(&lim, "potencia", "{\"base\":-9223372036854775808,\"exponente\":2}",
	    "\"85070591730234615865843651857942052864\"");
	ok(&lim, "potencia", "{\"base\":0,\"exponente\":0}", "1");
	ok(&lim, "potencia", "{\"base\":7,\"exponente\":0}", "1");
	ok(&lim, "potencia", "{\"base\":0,\"exponente\":5}", "0");
	ok(&lim, "potencia", "{\"base\":1,\"exponente\":9223372036854775807}",
	    "1");
	ok(&lim, "potencia", "{\"base\":-1,\"exponente\":9223372036854775807}",
	    "-1");
	ok(&lim, "potencia", "{\"base\":-1,\"exponente\":4611686018427387904}",
	    "1");
	ok(&lim, "potencia", "{\"base\":2,\"exponente\":-1}", "0.5");
	ok(&lim, "potencia", "{\"base\":2.0,\"exponente\":3}", "8.0");
	ok(&lim, "potencia", "{\"base\":4,\"exponente\":0.5}", "2.0");
	ok(&lim, "potencia", "{\"base\":2,\"exponente\":-2000}", "0.0");
	err(&lim, "potencia", "{\"base\":0,\"exponente\":-1}",
	    "División por cero");
	err(&lim, "potencia", "{\"base\":0.0,\"exponente\":-0.5}",
	    "División por cero");
	err(&lim, "potencia", "{\"base\":-8,\"exponente\":0.5}",
	    "Resultado no finito");
	err(&lim, "potencia", "{\"base\":10.0,\"exponente\":400}",
	    "Resultado no finito");
	err(&lim, "potencia", "{\"exponente\":2}", "Falta el campo 'base'");
	err(&lim, "potencia", "{\"base\":2}", "Falta el campo 'exponente'");
	err(&lim, "potencia", "{\"base\":2,\"exponente\":\"3\"}",
	    "El campo 'exponente' debe ser numérico");

	/* max_digits = 200: 10^199 has 200 digits, 10^200 has 201. */
	big = xmalloc(202);
	memset(big, '0', 201);
	big[0] = '1';
	big[200] = '\0';
	want = xasprintf("\"%s\"", big);
	ok(&lim, "potencia", "{\"base\":10,\"exponente\":199}", want);
	free(want);
	want = xasprintf("\"-%s\"", big);
	ok(&lim, "potencia", "{\"base\":-10,\"exponente\":199}", want);
	free(want);
	free(big);
	err(&lim, "potencia", "{\"base\":10,\"exponente\":200}",
	    "Resultado demasiado grande (más de 200 dígitos)");
	/* 2^664 has 200 digits; 2^665 (log 200.18) passes the estimate and
	 * is refused by the exact count. */
	ok(&lim, "potencia", "{\"base\":2,\"exponente\":664}",
	    "\"765450517290209755773101625219006188206598716034666556442721179"
	    "7838000572369609758772518451263878452630863421445506126784340350"
	    "7870735540391292521535824647434568377082591826884769598224146796"
	    "816367616\"");
	err(&lim, "potencia", "{\"base\":2,\"exponente\":665}",
	    "Resultado demasiado grande (más de 200 dígitos)");
	err(&lim, "potencia", "{\"base\":3,\"exponente\":9223372036854775807}",
	    "Resultado demasiado grande (más de 200 dígitos)");
	err(&lim, "potencia", "{\"base\":-9223372036854775808,"
	    "\"exponente\":9223372036854775807}",
	    "Resultado demasiado grande (más de 200 dígitos)");
}

static void
test_raiz(void)
{
	ok(&lim, "raiz", "{\"numero\":16}", "4");
	ok(&lim, "raiz", "{\"numero\":0}", "0");
	ok(&lim, "raiz", "{\"numero\":1}", "1");
	ok(&lim, "raiz", "{\"numero\":15}", "3.872983346207417");
	ok(&lim, "raiz", "{\"numero\":2}", "1.4142135623730951");
	ok(&lim, "raiz", "{\"numero\":9223372030926249001}", "3037000499");
	ok(&lim, "raiz", "{\"numero\":9223372036854775807}",
	    "3037000499.9760499");
	ok(&lim, "raiz", "{\"numero\":16.0}", "4.0");
	ok(&lim, "raiz", "{\"numero\":2.25}", "1.5");
	ok(&lim, "raiz", "{\"numero\":-0.0}", "0.0");
	err(&lim, "raiz", "{\"numero\":-4}",
	    "No se puede calcular la raíz de un número negativo");
	err(&lim, "raiz", "{\"numero\":-0.5}",
	    "No se puede calcular la raíz de un número negativo");
	err(&lim, "raiz", "{}", "Falta el campo 'numero'");
	err(&lim, "raiz", "{\"numero\":\"4\"}",
	    "El campo 'numero' debe ser numérico");
}

static void
test_factorial(void)
{
	ok(&lim, "factorial", "{\"n\":0}", "1");
	ok(&lim, "factorial", "{\"n\":1}", "1");
	ok(&lim, "factorial", "{\"n\":5}", "120");
	ok(&lim, "factorial", "{\"n\":18}", "6402373705728000");
	ok(&lim, "factorial", "{\"n\":19}", "\"121645100408832000\"");
	ok(&lim, "factorial", "{\"n\":20}", "\"2432902008176640000\"");
	ok(&lim, "factorial", "{\"n\":25}", "\"15511210043330985984000000\"");
	ok(&lim, "factorial", "{\"n\":100}",
	    "\"933262154439441526816992388562667004907159682643816214685929638"
	    "952175999932299156089414639761565182862536979208272237582511852"
	    "10916864000000000000000000000000\"");
	err(&lim, "factorial", "{\"n\":101}", "n demasiado grande (máximo 100)");
	err(&lim, "factorial", "{\"n\":9223372036854775807}",
	    "n demasiado grande (máximo 100)");
	err(&lim, "factorial", "{\"n\":-1}",
	    "El factorial no está definido para números negativos");
	err(&lim, "factorial", "{\"n\":5.0}", "El campo 'n' debe ser un entero");
	err(&lim, "factorial", "{\"n\":\"5\"}", "El campo 'n' debe ser un entero");
	err(&lim, "factorial", "{\"n\":true}", "El campo 'n' debe ser un entero");
	err(&lim, "factorial", "{}", "Falta el campo 'n'");
	/* max_digits = 20: 21! has 20 digits, 22! has 22. */
	ok(&lim_digits, "factorial", "{\"n\":21}", "\"51090942171709440000\"");
	err(&lim_digits, "factorial", "{\"n\":22}",
	    "Resultado demasiado grande (más de 20 dígitos)");
	err(&lim_digits, "factorial", "{\"n\":100}",
	    "Resultado demasiado grande (más de 20 dígitos)");
}

static void
test_primo(void)
{
	ok(&lim, "primo", "{\"n\":2}", "true");
	ok(&lim, "primo", "{\"n\":3}", "true");
	ok(&lim, "primo", "{\"n\":37}", "true");
	ok(&lim, "primo", "{\"n\":41}", "true");
	ok(&lim, "primo", "{\"n\":97}", "true");
	ok(&lim, "primo", "{\"n\":1}", "false");
	ok(&lim, "primo", "{\"n\":0}", "false");
	ok(&lim, "primo", "{\"n\":-7}", "false");
	ok(&lim, "primo", "{\"n\":-9223372036854775808}", "false");
	ok(&lim, "primo", "{\"n\":4}", "false");
	ok(&lim, "primo", "{\"n\":1369}", "false");		/* 37² */
	ok(&lim, "primo", "{\"n\":561}", "false");		/* Carmichael */
	ok(&lim, "primo", "{\"n\":3215031751}", "false");	/* spsp(2,3,5,7) */
	ok(&lim, "primo", "{\"n\":3825123056546413051}", "false"); /* spsp to 23 */
	ok(&lim, "primo", "{\"n\":2305843009213693951}", "true");	/* 2^61-1 */
	ok(&lim, "primo", "{\"n\":2305843009213693953}", "false");	/* 2^61+1 */
	ok(&lim, "primo", "{\"n\":9223372036854775783}", "true");
	ok(&lim, "primo", "{\"n\":9223372036854775807}", "false");
	err(&lim, "primo", "{\"n\":7.0}", "El campo 'n' debe ser un entero");
	err(&lim, "primo", "{\"m\":7}", "Falta el campo 'n'");
}

static void
test_fibonacci(void)
{
	ok(&lim, "fibonacci", "{\"n\":0}", "0");
	ok(&lim, "fibonacci", "{\"n\":1}", "1");
	ok(&lim, "fibonacci", "{\"n\":2}", "1");
	ok(&lim, "fibonacci", "{\"n\":3}", "2");
	ok(&lim, "fibonacci", "{\"n\":10}", "55");
	ok(&lim, "fibonacci", "{\"n\":78}", "8944394323791464");
	ok(&lim, "fibonacci", "{\"n\":79}", "\"14472334024676221\"");
	ok(&lim, "fibonacci", "{\"n\":100}", "\"354224848179261915075\"");
	ok(&lim, "fibonacci", "{\"n\":500}",
	    "\"139423224561697880139724382870407283950070256587697307264108962"
	    "948325571622863290691557658876222521294125\"");
	err(&lim, "fibonacci", "{\"n\":501}", "n demasiado grande (máximo 500)");
	err(&lim, "fibonacci", "{\"n\":-1}", "n debe ser mayor o igual que 0");
	err(&lim, "fibonacci", "{\"n\":1.5}", "El campo 'n' debe ser un entero");
	err(&lim, "fibonacci", "{\"n\":null}", "El campo 'n' debe ser un entero");
	/* max_digits = 20: F(97) has 20 digits; F(98) (21) passes the
	 * estimate and is refused exactly; F(99) fails the estimate. */
	ok(&lim_digits, "fibonacci", "{\"n\":97}", "\"83621143489848422977\"");
	err(&lim_digits, "fibonacci", "{\"n\":98}",
	    "Resultado demasiado grande (más de 20 dígitos)");
	err(&lim_digits, "fibonacci", "{\"n\":99}",
	    "Resultado demasiado grande (más de 20 dígitos)");
}

/* A request whose texto is the raw bytes s[0..len), UTF-8 or not. */
static char *
run_raw_text(const char *op, const char *s, size_t len)
{
	json_t	*req;
	char	*got;

	req = json_pack("{s:s,s:{s:o}}", "operacion", op, "datos", "texto",
	    json_stringn_nocheck(s, len));
	got = run_value(req, &lim, "w1");
	json_decref(req);
	return got;
}

static void
test_text(void)
{
	static const char *const ops[] = { "inverso_texto", "mayusculas",
	    "contar_palabras" };
	static const struct { const char *s; size_t len; const char *what; }
	    bad[] = {
		{ "\xff", 1, "byte ff" },
		{ "a\xc3", 2, "truncated sequence" },
		{ "\xc0\xaf", 2, "overlong" },
		{ "\xe0\x80\xaf", 3, "overlong 3" },
		{ "\xed\xa0\x80", 3, "surrogate" },
		{ "\xf4\x90\x80\x80", 4, "above U+10FFFF" },
		{ "\x80", 1, "lone continuation" },
		{ "\xe2\x82x", 3, "bad continuation" },
	};
	char	*got, *want;
	size_t	 i, k;

	ok(&lim, "inverso_texto", "{\"texto\":\"hola\"}", "\"aloh\"");
	ok(&lim, "inverso_texto", "{\"texto\":\"añb\"}", "\"bña\"");
	ok(&lim, "inverso_texto", "{\"texto\":\"\"}", "\"\"");
	ok(&lim, "inverso_texto", "{\"texto\":\"a€😀b\"}", "\"b😀€a\"");
	ok(&lim, "inverso_texto", "{\"texto\":\"\\u0000x\"}", "\"x\\u0000\"");
	ok(&lim, "inverso_texto", "{\"texto\":\"0123456789abcdef\"}",
	    "\"fedcba9876543210\"");
	err(&lim, "inverso_texto", "{\"texto\":\"0123456789abcdefg\"}",
	    "Texto demasiado largo (máximo 16 bytes)");
	err(&lim, "inverso_texto", "{\"texto\":\"ñññññññññ\"}",	/* 18 bytes */
	    "Texto demasiado largo (máximo 16 bytes)");
	err(&lim, "inverso_texto", "{\"texto\":5}",
	    "El campo 'texto' debe ser texto");
	err(&lim, "inverso_texto", "{}", "Falta el campo 'texto'");

	ok(&lim, "mayusculas", "{\"texto\":\"ñandú\"}", "\"ÑANDÚ\"");
	ok(&lim, "mayusculas", "{\"texto\":\"straße\"}", "\"STRAßE\"");
	ok(&lim, "mayusculas", "{\"texto\":\"hola mundo\"}", "\"HOLA MUNDO\"");
	ok(&lim, "mayusculas", "{\"texto\":\"123 ¡ok!\"}", "\"123 ¡OK!\"");
	ok(&lim, "mayusculas", "{\"texto\":\"αβγ ÿ\"}", "\"ΑΒΓ Ÿ\"");
	ok(&lim, "mayusculas", "{\"texto\":\"ɐ\"}", "\"Ɐ\"");	/* 2 → 3 bytes */
	ok(&lim, "mayusculas", "{\"texto\":\"\"}", "\"\"");
	ok(&lim, "mayusculas", "{\"texto\":\"a\\u0000b\"}", "\"A\\u0000B\"");
	err(&lim, "mayusculas", "{\"texto\":\"abcdefghijklmnopq\"}",
	    "Texto demasiado largo (máximo 16 bytes)");
	err(&lim, "mayusculas", "{\"texto\":[]}",
	    "El campo 'texto' debe ser texto");
	/* Output longer than input + 16 bytes: 100 × ɐ (200 → 300 bytes). */
	{
		char	*in = xmalloc(201), *out = xmalloc(301), *datos, *res;

		for (k = 0; k < 100; k++) {
			memcpy(in + 2 * k, "ɐ", 2);
			memcpy(out + 3 * k, "Ɐ", 3);
		}
		in[200] = out[300] = '\0';
		datos = xasprintf("{\"texto\":\"%s\"}", in);
		res = xasprintf("\"%s\"", out);
		ok(&lim_digits, "mayusculas", datos, res);
		free(datos);
		free(res);
		free(in);
		free(out);
	}

	ok(&lim, "contar_palabras", "{\"texto\":\"hola mundo\"}", "2");
	ok(&lim, "contar_palabras", "{\"texto\":\"\"}", "0");
	ok(&lim, "contar_palabras", "{\"texto\":\"   \"}", "0");
	ok(&lim, "contar_palabras", "{\"texto\":\"uno\"}", "1");
	ok(&lim, "contar_palabras", "{\"texto\":\" a  b\\tc\\nd\\r\\ne \"}",
	    "5");
	ok(&lim, "contar_palabras", "{\"texto\":\"\\u000b\\fx\"}", "1");
	ok(&lim, "contar_palabras", "{\"texto\":\"uno\\u2003dos\\u3000tres\"}",
	    "3");
	ok(&lim, "contar_palabras", "{\"texto\":\"a\\u00a0b\"}", "1");
	ok(&lim, "contar_palabras", "{\"texto\":\"ñandú   ñu\"}", "2");
	err(&lim, "contar_palabras", "{\"texto\":\"a b c d e f g h i\"}",
	    "Texto demasiado largo (máximo 16 bytes)");
	err(&lim, "contar_palabras", "{\"texto\":null}",
	    "El campo 'texto' debe ser texto");

	/* Invalid UTF-8 cannot come from the parser, but is refused. */
	for (k = 0; k < sizeof ops / sizeof ops[0]; k++) {
		for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			got = run_raw_text(ops[k], bad[i].s, bad[i].len);
			want = xasprintf("422 {\"id\":7,\"operacion\":\"%s\","
			    "\"estado\":\"error\",\"error\":\"El campo 'texto' "
			    "no es UTF-8 válido\",\"worker\":\"w1\"}", ops[k]);
			tap_is_str(got, want, "%s: %s", ops[k], bad[i].what);
			free(got);
			free(want);
		}
	}
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
test_sleep(void)
{
	double	t;

	ok(&lim, "sleep", "{\"segundos\":0}", "0");
	ok(&lim, "sleep", "{\"segundos\":0.0}", "0.0");
	ok(&lim, "sleep", "{\"segundos\":-0.0}", "0.0");
	t = now();
	ok(&lim, "sleep", "{\"segundos\":0.05}", "0.050000000000000003");
	t = now() - t;
	tap_ok(t >= 0.05 && t < 1.0, "sleep 0.05 took %.3f s", t);
	/* max_sleep = 100 ms. */
	t = now();
	ok(&lim, "sleep", "{\"segundos\":0.1}", "0.10000000000000001");
	t = now() - t;
	tap_ok(t >= 0.1, "sleep 0.1 took %.3f s", t);
	err(&lim, "sleep", "{\"segundos\":0.101}",
	    "segundos fuera de rango (máximo 0.1)");
	err(&lim, "sleep", "{\"segundos\":1}",
	    "segundos fuera de rango (máximo 0.1)");
	err(&lim, "sleep", "{\"segundos\":9223372036854775807}",
	    "segundos fuera de rango (máximo 0.1)");
	err(&lim, "sleep", "{\"segundos\":1e300}",
	    "segundos fuera de rango (máximo 0.1)");
	err(&lim, "sleep", "{\"segundos\":-1}",
	    "segundos fuera de rango (mínimo 0)");
	err(&lim, "sleep", "{\"segundos\":-0.5}",
	    "segundos fuera de rango (mínimo 0)");
	err(&lim, "sleep", "{\"segundos\":\"1\"}",
	    "El campo 'segundos' debe ser numérico");
	err(&lim, "sleep", "{\"segundos\":true}",
	    "El campo 'segundos' debe ser numérico");
	err(&lim, "sleep", "{}", "Falta el campo 'segundos'");
	err(&lim_digits, "sleep", "{\"segundos\":3}",
	    "segundos fuera de rango (máximo 2)");
	err(&lim_digits, "sleep", "{\"segundos\":2.001}",
	    "segundos fuera de rango (máximo 2)");
	err(&lim_sleep, "sleep", "{\"segundos\":2}",
	    "segundos fuera de rango (máximo 1.5)");
	err(&lim_sleep, "sleep", "{\"segundos\":1.5001}",
	    "segundos fuera de rango (máximo 1.5)");
}

/*
 * The same requests from several threads at once, for the sanitizers
 * (the locale is created on first use, by whichever thread comes first).
 */
#define CONC_THREADS	4
#define CONC_ROUNDS	50

static const char *const conc_req[][2] = {
	{ "{\"operacion\":\"mayusculas\",\"datos\":{\"texto\":\"ñandú\"}}",
	  "200 {\"id\":7,\"operacion\":\"mayusculas\",\"resultado\":\"ÑANDÚ\","
	  "\"estado\":\"completado\",\"worker\":\"w1\"}" },
	{ "{\"operacion\":\"contar_palabras\",\"datos\":{\"texto\":\"a b\"}}",
	  "200 {\"id\":7,\"operacion\":\"contar_palabras\",\"resultado\":2,"
	  "\"estado\":\"completado\",\"worker\":\"w1\"}" },
	{ "{\"operacion\":\"fibonacci\",\"datos\":{\"n\":100}}",
	  "200 {\"id\":7,\"operacion\":\"fibonacci\",\"resultado\":"
	  "\"354224848179261915075\",\"estado\":\"completado\","
	  "\"worker\":\"w1\"}" },
	{ "{\"operacion\":\"division\",\"datos\":{\"a\":1,\"b\":0}}",
	  "422 {\"id\":7,\"operacion\":\"division\",\"estado\":\"error\","
	  "\"error\":\"División por cero\",\"worker\":\"w1\"}" },
};
#define CONC_NREQ	(sizeof conc_req / sizeof conc_req[0])

static json_t	*conc_parsed[CONC_NREQ];

static void *
conc_main(void *arg)
{
	long	 bad = 0;
	size_t	 i;
	int	 r;
	char	*got;

	for (r = 0; r < CONC_ROUNDS; r++) {
		for (i = 0; i < CONC_NREQ; i++) {
			got = run_value(conc_parsed[i], &lim, "w1");
			if (strcmp(got, conc_req[i][1]) != 0)
				bad++;
			free(got);
		}
	}
	return (void *)bad;
}

static void
test_threads(void)
{
	pthread_t	t[CONC_THREADS];
	void		*res;
	long		 bad = 0;
	size_t		 i;

	for (i = 0; i < CONC_NREQ; i++)
		conc_parsed[i] = json_loads(conc_req[i][0], 0, NULL);
	for (i = 0; i < CONC_THREADS; i++)
		pthread_create(&t[i], NULL, conc_main, NULL);
	for (i = 0; i < CONC_THREADS; i++) {
		pthread_join(t[i], &res);
		bad += (long)res;
	}
	tap_is_int(bad, 0, "%d threads × %d rounds: all replies exact",
	    CONC_THREADS, CONC_ROUNDS);
	for (i = 0; i < CONC_NREQ; i++)
		json_decref(conc_parsed[i]);
}

int
main(void)
{
	json_object_seed(1);
	/* First so that the locale is created under contention. */
	test_threads();
	test_shape();
	test_known();
	test_suma_resta_mul();
	test_division();
	test_potencia();
	test_raiz();
	test_factorial();
	test_primo();
	test_fibonacci();
	test_text();
	test_sleep();
	return tap_done();
}
