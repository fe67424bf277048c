/*
 * The constants of Cephes' expf scheme, which the kernels' SIMD and plain C exp approximations share
 * (the softmax of mmgp_attention.c, the SiLU of mmgp_norm.c): n = rint(x·log2 e), r = x − n·ln 2 in
 * two parts (C1 + C2 = ln 2), exp(r) ≈ 1 + r + r²·P(r) with the degree-5 P below, 2^n through the
 * exponent bits. Each user states its own input range and what it does outside it.
 */
#ifndef MMGP_EXP_H
#define MMGP_EXP_H

#define EXP_LOG2E 1.44269504088896341f
#define EXP_C1 0.693359375f
#define EXP_C2 -2.12194440e-4f
#define EXP_P0 1.9875691500e-4f
#define EXP_P1 1.3981999507e-3f
#define EXP_P2 8.3334519073e-3f
#define EXP_P3 4.1665795894e-2f
#define EXP_P4 1.6666665459e-1f
#define EXP_P5 5.0000001201e-1f

#endif /* MMGP_EXP_H */
