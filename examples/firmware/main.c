/*
 * Example firmware: GELU on int8 activations with the header approxgen generates
 * (`approxgen emit c ../../configs/gelu_int8.yaml -o build/gelu_int8.h`, done by the Makefile).
 * Integer only, like the header: real values are printed with the scale macros, no float.
 */
#include <stdio.h>

#include "gelu_int8.h"

#define N 16

/* Print the real value code * 2^scale_exp (scale_exp <= 0) with three decimals, truncated. */
static void print_real(long code, int scale_exp)
{
    unsigned long magnitude = (unsigned long)(code < 0 ? -code : code);
    unsigned long whole = magnitude >> -scale_exp;
    unsigned long frac = (magnitude - (whole << -scale_exp)) * 1000UL >> -scale_exp;
    printf("%s%lu.%03lu", code < 0 ? "-" : "", whole, frac);
}

int main(void)
{
    int8_t activations[N];
    int8_t out[N];
    size_t i;

    /* A buffer of activations spread over the whole input range, as a layer would produce. */
    for (i = 0; i < N; ++i)
        activations[i] = (int8_t)(GELU_INT8_IN_MIN
                                  + (long)i * (GELU_INT8_IN_MAX - GELU_INT8_IN_MIN) / (N - 1));

    gelu_int8_array(activations, out, N);

    printf("gelu_int8 on %d activations (input scale 2^%d, output scale 2^%d)\n", N,
           GELU_INT8_IN_SCALE_EXP, GELU_INT8_OUT_SCALE_EXP);
    for (i = 0; i < N; ++i)
    {
        printf("q=%4d -> y=%4d   x = ", activations[i], out[i]);
        print_real(activations[i], GELU_INT8_IN_SCALE_EXP);
        printf("  gelu(x) ~ ");
        print_real(out[i], GELU_INT8_OUT_SCALE_EXP);
        printf("\n");
    }

    /* The scalar function agrees with the array variant. */
    for (i = 0; i < N; ++i)
        if (gelu_int8(activations[i]) != out[i])
            return 1;
    return 0;
}
