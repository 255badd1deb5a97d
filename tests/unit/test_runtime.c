/* test_runtime.c - the vector activations of runtime/rt_simd.h against libm. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "helpers.h"
#include "runtime/rt_simd.h"

/* relative error with a floor: |got - want| / max(|want|, floor) */
static double err(double got, double want, double floor)
{
	double d = fabs(got - want), m = fabs(want) > floor ? fabs(want) : floor;
	return d / m;
}

static void test_vector_exp_sigmoid_tanh_match_libm(void **state)
{
	(void)state;
	double e_exp = 0, e_sig = 0, e_silu = 0, e_tanh = 0;
	for (int i = 0; i < 200000; i++) {
		rt_v16 x;
		for (int l = 0; l < 16; l++)
			x[l] = -90.0f + 180.0f * (float)(i * 16 + l) / (200000.0f * 16);
		rt_v16 ex = x, sg = x, si = x, th = x;
		rt_v16_exp(&ex);
		rt_v16_sigmoid(&sg);
		rt_v16_silu(&si);
		rt_v16_tanh(&th);
		for (int l = 0; l < 16; l++) {
			double xv = x[l];
			if (xv > -86.0 && xv < 88.7) {
				double e = err(ex[l], exp(xv), 1e-30);
				e_exp = e > e_exp ? e : e_exp;
			}
			double s = 1.0 / (1.0 + exp(-xv));
			double es = err(sg[l], s, 1e-5), esi = err(si[l], xv * s, 1e-5),
			       et = err(th[l], tanh(xv), 1e-5);
			e_sig = es > e_sig ? es : e_sig;
			e_silu = esi > e_silu ? esi : e_silu;
			e_tanh = et > e_tanh ? et : e_tanh;
		}
	}
	if (e_exp > 1e-6 || e_sig > 1e-6 || e_silu > 1e-6 || e_tanh > 2e-6)
		fail_msg("max errors: exp %g sigmoid %g silu %g tanh %g", e_exp, e_sig, e_silu, e_tanh);
}

static void test_vector_activations_keep_nan_and_saturate(void **state)
{
	(void)state;
	rt_v4 x = {NAN, INFINITY, -INFINITY, 1000.0f};
	rt_v4 e = x, s = x, t = x, c = x;
	rt_v4_exp(&e);
	rt_v4_sigmoid(&s);
	rt_v4_tanh(&t);
	rt_v4_clip(&c, 0.0f, 6.0f);
	assert_true(isnan(e[0]) && isnan(s[0]) && isnan(t[0]) && isnan(c[0]));
	assert_true(isinf(e[1]) && e[2] == 0.0f && isinf(e[3]));
	assert_true(s[1] == 1.0f && s[2] == 0.0f && s[3] == 1.0f);
	assert_true(t[1] == 1.0f && t[2] == -1.0f);
	assert_true(c[1] == 6.0f && c[2] == 0.0f && c[3] == 6.0f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector_exp_sigmoid_tanh_match_libm),
		cmocka_unit_test(test_vector_activations_keep_nan_and_saturate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
