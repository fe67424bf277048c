/*
 * mmgp_ggml_tensor.h: our mirror of the pinned ggml's struct ggml_tensor, shared by the kernels
 * that run as ggml custom ops (internal to native/kernels; not part of the public mmgp_kernels.h).
 *
 * ggml 0.25.1: GGML_MAX_DIMS 4, GGML_MAX_OP_PARAMS 64, GGML_MAX_SRC 10, GGML_MAX_NAME 64. ggml.h is
 * not included; the Java side checks the real offsets at start-up (GgmlTensorStruct.verify) and
 * these asserts pin ours to the same numbers.
 */
#ifndef MMGP_GGML_TENSOR_H
#define MMGP_GGML_TENSOR_H

#include <stddef.h>
#include <stdint.h>

struct ggml_tensor {
    int32_t type; /* enum ggml_type */
    void * buffer;
    int64_t ne[4];
    size_t nb[4];
    int32_t op; /* enum ggml_op */
    int32_t op_params[16];
    int32_t flags;
    struct ggml_tensor * src[10];
    struct ggml_tensor * view_src;
    size_t view_offs;
    void * data;
    char name[64];
    void * extra;
    char padding[8];
};

_Static_assert(sizeof(void *) == 8 && sizeof(size_t) == 8, "the custom-op kernels assume a 64-bit target");
_Static_assert(offsetof(struct ggml_tensor, type) == 0, "ggml_tensor.type");
_Static_assert(offsetof(struct ggml_tensor, ne) == 16, "ggml_tensor.ne");
_Static_assert(offsetof(struct ggml_tensor, nb) == 48, "ggml_tensor.nb");
_Static_assert(offsetof(struct ggml_tensor, op) == 80, "ggml_tensor.op");
_Static_assert(offsetof(struct ggml_tensor, op_params) == 84, "ggml_tensor.op_params");
_Static_assert(offsetof(struct ggml_tensor, flags) == 148, "ggml_tensor.flags");
_Static_assert(offsetof(struct ggml_tensor, src) == 152, "ggml_tensor.src");
_Static_assert(offsetof(struct ggml_tensor, view_src) == 232, "ggml_tensor.view_src");
_Static_assert(offsetof(struct ggml_tensor, view_offs) == 240, "ggml_tensor.view_offs");
_Static_assert(offsetof(struct ggml_tensor, data) == 248, "ggml_tensor.data");
_Static_assert(offsetof(struct ggml_tensor, name) == 256, "ggml_tensor.name");
_Static_assert(offsetof(struct ggml_tensor, extra) == 320, "ggml_tensor.extra");
_Static_assert(sizeof(struct ggml_tensor) == 336, "sizeof(ggml_tensor)");

/* enum ggml_type values the kernels read */
#define GGML_TYPE_F32 0
#define GGML_TYPE_F16 1
#define GGML_TYPE_Q8_0 8

#endif
