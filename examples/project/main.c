/*
 * Example firmware project: a layer's activations through the headers `approxgen build`
 * generates from the specs in specs/ (act_gelu.h, act_silu.h, softmax_exp.h in build/generated/).
 * Integer only, like the headers.
 */
#include <stdio.h>

#include "act_gelu.h"
#include "act_silu.h"
#include "softmax_exp.h"

#define N 8

int main(void)
{
    int8_t x[N], logits[N];
    int8_t gelu[N], silu[N];
    uint8_t e[N];
    size_t i;

    for (i = 0; i < N; ++i) /* spread over the input range */
    {
        x[i] = (int8_t)(ACT_GELU_IN_MIN + (long)i * (ACT_GELU_IN_MAX - ACT_GELU_IN_MIN) / (N - 1));
        logits[i] = (int8_t)(-64 + (long)i * 127 / (N - 1)); /* -64..63: differences fit int8 */
    }

    act_gelu_array(x, gelu, N);
    act_silu_array(x, silu, N);
    for (i = 0; i < N; ++i) /* softmax numerators exp(l - max(l)); max(l) = logits[N - 1] */
        e[i] = softmax_exp((int8_t)(logits[i] - logits[N - 1]));

    for (i = 0; i < N; ++i)
        printf("q=%4d gelu=%4d silu=%4d   logit=%4d exp(logit-max)=%4u\n", x[i], gelu[i],
               silu[i], logits[i], e[i]);
    for (i = 0; i < N; ++i)
        if (act_gelu(x[i]) != gelu[i] || act_silu(x[i]) != silu[i])
            return 1;
    return 0;
}
