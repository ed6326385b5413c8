/*
 * edgeloss.h - the C ABI of libedgeloss.so, version 1.
 *
 * EdgeLoss: numerically careful softmax and cross-entropy, the large-margin heads of face recognition
 * (L-Softmax, SphereFace, NormFace, CosFace/AM-Softmax, ArcFace, combined margin) and an embedding gallery
 * (enroll, 1:1 verify, 1:N identify) in a crash-safe file, for C and C++ hosts on linux-x64 and linux-arm64.
 *
 * Conventions
 *  - Every function returns an int32_t status: EL_OK (0) or one of the EL_ERR_* codes below.
 *  - On failure, el_last_error() describes the failure of the calling thread's last failing call, naming the
 *    argument and the value, e.g. "target[3] = 12 is outside [0, 10)".
 *  - Outputs are written only when a call returns EL_OK.
 *  - Matrices are row-major float32. Sizes (rows, cols, dim, classes, n, k) must be >= 1.
 *  - No exception, abort or crash crosses this boundary: every function catches everything.
 *  - Thread safety: the math functions are reentrant. One gallery handle may be used from many threads at once:
 *    searches run concurrently; enroll and remove are serialized with respect to searches.
 *  - The library is a .NET Native AOT image: it needs no .NET installation, only glibc (and libstdc++ is not
 *    required). It sets up its runtime on the first call.
 *
 * This header is C99 and C++ compatible.
 */
#ifndef EDGELOSS_H
#define EDGELOSS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI version this header describes. el_abi_version() returns the library's. */
#define EL_ABI_VERSION 1

/* ---- status codes ------------------------------------------------------------------------------------------ */
#define EL_OK             0  /**< success */
#define EL_ERR_ARGUMENT   1  /**< null pointer, size <= 0, label out of range, unknown enum, id too long, ... */
#define EL_ERR_NONFINITE  2  /**< NaN or +inf input, zero-norm embedding, a row with no finite logit */
#define EL_ERR_NOT_FOUND  3  /**< the identity is not in the gallery */
#define EL_ERR_IO         4  /**< the gallery file could not be read, written or synced */
#define EL_ERR_CORRUPT    5  /**< the gallery file is damaged beyond a torn tail; nothing of it is served */
#define EL_ERR_CAPACITY   6  /**< the gallery cannot hold more templates */
#define EL_ERR_LOCKED     7  /**< the gallery file is held by another process (or another open handle) */
#define EL_ERR_INTERNAL  99  /**< a bug: please report it with the message */

/** Returns EL_ABI_VERSION of the library (1). */
int32_t el_abi_version(void);

/** Returns the library's semantic version, e.g. "0.1.0". Static storage; never NULL. */
const char* el_version(void);

/**
 * Returns the UTF-8 message of the calling thread's last failing call, or "" when none has failed.
 * Owned by the library; valid until the calling thread's next call into the library.
 */
const char* el_last_error(void);

/* ---- softmax family ---------------------------------------------------------------------------------------- */

/**
 * Softmax of each row of x (rows x cols) at temperature T: y_i = exp((x_i - max) / T) / sum_j exp((x_j - max) / T).
 * Always shifted by the row's max, so logits of 1000 and more do not overflow. -inf masks a class (probability 0).
 * temperature: finite and > 0 (1 = plain softmax; > 1 softens, as in knowledge distillation).
 * y: rows x cols. x and y may be the same buffer.
 * Errors: EL_ERR_ARGUMENT (NULL, rows or cols < 1, bad temperature), EL_ERR_NONFINITE (NaN or +inf in x,
 * or a row whose logits are all -inf).
 */
int32_t el_softmax(const float* x, int32_t rows, int32_t cols, float temperature, float* y);

/** log_softmax of each row: y_i = x_i - max - log(sum_j exp(x_j - max)). Same arguments and errors as el_softmax. */
int32_t el_log_softmax(const float* x, int32_t rows, int32_t cols, float* y);

/** logsumexp of each row: out[r] = max + log(sum_j exp(x_j - max)). out: rows values. Errors as el_softmax. */
int32_t el_logsumexp(const float* x, int32_t rows, int32_t cols, float* out /* rows */);

/* ---- cross-entropy (PyTorch semantics) ----------------------------------------------------------------------- */
#define EL_REDUCTION_NONE 0  /**< one loss per row; grad row i = d loss_i / d logits_i */
#define EL_REDUCTION_MEAN 1  /**< weighted mean: divided by the sum of class_weight[target] over non-ignored rows */
#define EL_REDUCTION_SUM  2  /**< sum over rows */

/**
 * Cross-entropy of logits (rows x cols) against class-index targets, as torch.nn.functional.cross_entropy:
 * loss_n = -w[y_n] * log_softmax(x_n)[y_n]; rows whose target == ignore_index contribute 0 (use -100, torch's
 * default). label_smoothing eps in [0, 1]: (1 - eps) * NLL + (eps / C) * (-sum_c w[c] log p_nc).
 * class_weight: NULL or cols finite values >= 0.
 * reduction: EL_REDUCTION_*. MEAN over rows that are all ignored gives NaN, as torch does.
 * loss: rows values for EL_REDUCTION_NONE, else 1 value.
 * grad: NULL, or rows x cols: the gradient of the reduced loss w.r.t. the logits.
 * Errors: EL_ERR_ARGUMENT (NULL, sizes, a target outside [0, cols) that is not ignore_index, bad weight,
 * smoothing or reduction), EL_ERR_NONFINITE (NaN or +inf logits, a row of all -inf).
 */
int32_t el_cross_entropy(const float* logits, const int32_t* target, int32_t rows, int32_t cols,
                         const float* class_weight, int32_t ignore_index, float label_smoothing,
                         int32_t reduction, float* loss, float* grad);

/**
 * Cross-entropy against probability (dense, soft or one-hot) targets, target is rows x cols:
 * loss_n = -sum_c w[c] * y_nc * log p_nc; MEAN divides by rows; label smoothing replaces y by y(1-eps) + eps/C.
 * (TensorFlow's softmax_cross_entropy_with_logits; el_cross_entropy is the sparse form.)
 * Arguments and errors as el_cross_entropy, without ignore_index.
 */
int32_t el_cross_entropy_soft(const float* logits, const float* target, int32_t rows, int32_t cols,
                              const float* class_weight, float label_smoothing,
                              int32_t reduction, float* loss, float* grad);

/* ---- margin heads ------------------------------------------------------------------------------------------ */
#define EL_HEAD_SOFTMAX    0  /**< z_j = x . w_j */
#define EL_HEAD_LSOFTMAX   1  /**< target (|x||w_y| psi_m(c_y) + lambda x . w_y) / (1 + lambda) */
#define EL_HEAD_SPHEREFACE 2  /**< W rows normalized; target |x| (psi_m(c_y) + lambda c_y) / (1 + lambda) */
#define EL_HEAD_NORMFACE   3  /**< z_j = s c_j */
#define EL_HEAD_COSFACE    4  /**< also AM-Softmax: target s (c_y - margin) */
#define EL_HEAD_ARCFACE    5  /**< target s cos(theta_y + margin), with the fallback or easy margin */
#define EL_HEAD_COMBINED   6  /**< target s (cos(m1 theta_y + m2) - m3) */

/**
 * A margin head's kind and parameters. c_j = cos(theta_j) = x . w_j / (|x| |w_j|); non-target logits use each
 * kind's plain form. psi_m(c) = (-1)^k T_m(c) - 2k, k = floor(m theta / pi), T_m the Chebyshev polynomial.
 */
typedef struct el_head {
    int32_t kind;         /**< EL_HEAD_* */
    int32_t m;            /**< LSOFTMAX, SPHEREFACE: integer multiplier 1..8 */
    float   scale;        /**< NORMFACE, COSFACE, ARCFACE, COMBINED: s > 0 (insightface uses 64, AM-Softmax 30) */
    float   margin;       /**< COSFACE: additive cosine m in [0, 1]; ARCFACE: additive angle m in [0, pi/2) radians */
    float   m1, m2, m3;   /**< COMBINED: s * (cos(m1 * theta + m2) - m3) */
    float   lambda;       /**< LSOFTMAX, SPHEREFACE: blend (psi + lambda cos) / (1 + lambda); 0 = pure psi */
    int32_t easy_margin;  /**< ARCFACE: 0 or 1 (1: apply the margin only where c_y > 0) */
} el_head;

/**
 * Forward and backward pass of a margin head over a batch.
 * x: rows x dim embeddings; w: classes x dim class weights; target: rows class indices in [0, classes).
 * logits (rows x classes), grad_x (rows x dim) and grad_w (classes x dim) may each be NULL.
 * loss receives the mean cross-entropy over rows of the margin logits.
 * The gradients are of that mean loss w.r.t. the raw x and w (through the normalizations); grad_w is overwritten.
 * Errors: EL_ERR_ARGUMENT (NULL head/x/w/target/loss, sizes, target out of range, unknown kind, m outside 1..8,
 * scale <= 0, margin out of range), EL_ERR_NONFINITE (NaN/inf in x or w, a zero-norm row of x or w).
 */
int32_t el_head_forward(const el_head* head, const float* x, const float* w, const int32_t* target,
                        int32_t rows, int32_t dim, int32_t classes,
                        float* logits, float* loss, float* grad_x, float* grad_w);

/** Inference: softmax over the plain (margin-free) logits of each row. probabilities: rows x classes. */
int32_t el_head_predict(const el_head* head, const float* x, const float* w,
                        int32_t rows, int32_t dim, int32_t classes, float* probabilities);

/* ---- embedding comparison ---------------------------------------------------------------------------------- */

/** Cosine similarity of a and b (dim each) in [-1, 1]. Zero vector or NaN/inf -> EL_ERR_NONFINITE. */
int32_t el_cosine(const float* a, const float* b, int32_t dim, float* out);

/** An embedding gallery: identities, each holding one or more L2-normalized templates. Opaque. */
typedef struct el_gallery el_gallery;

#define EL_STORE_F32 0  /**< templates kept as float32 */
#define EL_STORE_I8  1  /**< templates kept as int8: unit vectors scaled to [-127, 127]; 4x smaller and faster */

/**
 * Opens a gallery. path NULL: in memory only. Otherwise the file is created if absent; an existing file must
 * have the same dim and storage (else EL_ERR_ARGUMENT naming both). A torn tail left by a crash or power loss is
 * cut back to the last whole record; any other damage is EL_ERR_CORRUPT and nothing of the file is served.
 * One opener at a time: a second open of the same file, by this or another process, is EL_ERR_LOCKED.
 * out receives the handle; close it with el_gallery_close.
 */
int32_t el_gallery_open(const char* path, int32_t dim, int32_t storage, el_gallery** out);

/** Closes the gallery and frees the handle. NULL is a no-op returning EL_OK. */
int32_t el_gallery_close(el_gallery* g);

/**
 * Adds one template for id (UTF-8, 1..63 bytes, no NUL). One identity may hold many templates.
 * embedding: dim values, normalized on entry. For a file-backed gallery the template is durable (fsynced)
 * when this returns EL_OK.
 */
int32_t el_gallery_enroll(el_gallery* g, const char* id, const float* embedding);

/** Adds n templates: ids[i] with embeddings[i * dim ...]. All are validated before any is stored. */
int32_t el_gallery_enroll_batch(el_gallery* g, const char* const* ids, const float* embeddings, int32_t n);

/** Removes every template of id. EL_ERR_NOT_FOUND if the gallery has none. Durable when it returns EL_OK. */
int32_t el_gallery_remove(el_gallery* g, const char* id);

/** identities and templates (either may be NULL) receive the gallery's counts. */
int32_t el_gallery_count(el_gallery* g, int32_t* identities, int32_t* templates);

/** One search result: cosine score and the identity, NUL-terminated. */
typedef struct el_match { float score; char id[64]; } el_match;

/**
 * 1:N identification: the top k identities (each scored by its best template) by cosine similarity to query,
 * score descending, ties by enrollment order. out: k entries; found receives how many were written (<= k,
 * fewer when the gallery holds fewer identities).
 */
int32_t el_gallery_search(el_gallery* g, const float* query, int32_t k, el_match* out, int32_t* found);

/** n queries at once (n x dim): out is n x k (row i for query i), found is n counts. */
int32_t el_gallery_search_batch(el_gallery* g, const float* queries, int32_t n, int32_t k,
                                el_match* out, int32_t* found);

/**
 * 1:1 verification: score receives the best cosine similarity between probe and id's templates. Compare it with
 * your threshold (e.g. OpenCV SFace 0.363; an L2 distance d between unit vectors is sqrt(2 - 2 score)).
 * EL_ERR_NOT_FOUND if id is not enrolled.
 */
int32_t el_gallery_verify(el_gallery* g, const char* id, const float* probe, float* score);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* EDGELOSS_H */
