/*
 * A sample C host for libedgeloss.so: what a face-recognition program on a Raspberry Pi or Jetson does with it.
 * It computes a softmax and a cross-entropy, runs an ArcFace and a SphereFace head forward and backward, then
 * enrolls a few identities in a gallery, identifies and verifies. Every result is printed as "key value ..." so
 * that the test suite can check the numbers.
 *
 * Build (see the Makefile): cc -std=c99 main.c -I../../artifacts/include -L<dir of libedgeloss.so> -ledgeloss
 * Usage: chost [gallery-file]   (no argument: an in-memory gallery)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeloss.h"

/* Print the failing call with the library's message and exit. */
#define CHECK(call)                                                                         \
    do {                                                                                    \
        int32_t status_ = (call);                                                           \
        if (status_ != EL_OK) {                                                             \
            fprintf(stderr, "%s failed: status %d: %s\n", #call, status_, el_last_error()); \
            return 1;                                                                       \
        }                                                                                   \
    } while (0)

static void print_floats(const char* key, const float* v, int n) {
    printf("%s", key);
    for (int i = 0; i < n; i++) printf(" %.7g", v[i]);
    printf("\n");
}

/* A deterministic pseudo-random unit-ish vector (xorshift), so runs are repeatable on every board. */
static void make_vector(uint32_t seed, float* v, int dim) {
    uint32_t s = seed * 2654435761u + 1u;
    for (int i = 0; i < dim; i++) {
        s ^= s << 13; s ^= s >> 17; s ^= s << 5;
        v[i] = (float)((double)s / 4294967296.0 - 0.5);
    }
}

int main(int argc, char** argv) {
    const char* gallery_path = argc > 1 ? argv[1] : NULL;
    printf("abi %d\n", el_abi_version());
    printf("version %s\n", el_version());

    /* --- softmax and cross-entropy (semantics.md worked values) --- */
    const float logits[4] = {1, 2, 3, 4};
    float probs[4];
    CHECK(el_softmax(logits, 1, 4, 1.0f, probs));
    print_floats("softmax", probs, 4);

    const float big[3] = {1000, 1001, 1002};
    CHECK(el_softmax(big, 1, 3, 1.0f, probs));
    print_floats("softmax_large", probs, 3);

    const float ce_logits[9] = {1, 2, 7, 4, 7, 9, 8, 3, 4};
    const int32_t ce_target[3] = {2, 2, 0};
    float ce_loss[3], ce_mean, ce_grad[9];
    CHECK(el_cross_entropy(ce_logits, ce_target, 3, 3, NULL, -100, 0.0f, EL_REDUCTION_NONE, ce_loss, NULL));
    print_floats("ce_none", ce_loss, 3);
    CHECK(el_cross_entropy(ce_logits, ce_target, 3, 3, NULL, -100, 0.0f, EL_REDUCTION_MEAN, &ce_mean, ce_grad));
    print_floats("ce_mean", &ce_mean, 1);
    print_floats("ce_grad", ce_grad, 9);

    /* Bad input gets a status and a message that names the argument and the value. */
    const int32_t bad_target[1] = {12};
    int32_t status = el_cross_entropy(ce_logits, bad_target, 1, 3, NULL, -100, 0.0f, EL_REDUCTION_MEAN, &ce_mean, NULL);
    printf("bad_target status %d message %s\n", status, el_last_error());

    /* --- margin heads: 2 samples, dim 4, 3 classes --- */
    enum { ROWS = 2, DIM = 4, CLASSES = 3 };
    float x[ROWS * DIM], w[CLASSES * DIM], head_logits[ROWS * CLASSES], grad_x[ROWS * DIM], grad_w[CLASSES * DIM], loss;
    const int32_t y[ROWS] = {0, 2};
    for (int i = 0; i < ROWS; i++) make_vector(100 + i, x + i * DIM, DIM);
    for (int j = 0; j < CLASSES; j++) make_vector(200 + j, w + j * DIM, DIM);

    el_head arcface;
    memset(&arcface, 0, sizeof arcface);
    arcface.kind = EL_HEAD_ARCFACE; arcface.scale = 64.0f; arcface.margin = 0.5f;
    CHECK(el_head_forward(&arcface, x, w, y, ROWS, DIM, CLASSES, head_logits, &loss, grad_x, grad_w));
    print_floats("arcface_logits", head_logits, ROWS * CLASSES);
    print_floats("arcface_loss", &loss, 1);
    print_floats("arcface_grad_x", grad_x, ROWS * DIM);
    print_floats("arcface_grad_w", grad_w, CLASSES * DIM);

    el_head sphere;
    memset(&sphere, 0, sizeof sphere);
    sphere.kind = EL_HEAD_SPHEREFACE; sphere.m = 4; sphere.lambda = 5.0f;
    CHECK(el_head_forward(&sphere, x, w, y, ROWS, DIM, CLASSES, head_logits, &loss, NULL, NULL));
    print_floats("sphereface_loss", &loss, 1);

    float predicted[ROWS * CLASSES];
    CHECK(el_head_predict(&arcface, x, w, ROWS, DIM, CLASSES, predicted));
    print_floats("arcface_predict", predicted, ROWS * CLASSES);

    /* --- gallery: enroll 5 identities x 2 templates, identify a noisy probe, verify --- */
    enum { GDIM = 128, PEOPLE = 5 };
    el_gallery* g = NULL;
    CHECK(el_gallery_open(gallery_path, GDIM, EL_STORE_F32, &g));
    static float templates[PEOPLE][GDIM];
    char id[32];
    for (int p = 0; p < PEOPLE; p++) {
        make_vector(1000 + p, templates[p], GDIM);
        snprintf(id, sizeof id, "person-%d", p);
        CHECK(el_gallery_enroll(g, id, templates[p]));
        float second[GDIM];
        for (int i = 0; i < GDIM; i++) second[i] = templates[p][i] * 0.9f + 0.01f * (float)((i * 7 + p) % 5 - 2);
        CHECK(el_gallery_enroll(g, id, second));
    }
    int32_t identities = 0, count = 0;
    CHECK(el_gallery_count(g, &identities, &count));
    printf("gallery identities %d templates %d\n", identities, count);

    float probe[GDIM];
    for (int i = 0; i < GDIM; i++) probe[i] = templates[3][i] + 0.05f * (float)((i * 13) % 7 - 3) / 3.0f;
    el_match top[3];
    int32_t found = 0;
    CHECK(el_gallery_search(g, probe, 3, top, &found));
    for (int i = 0; i < found; i++) printf("identify %d %s %.7g\n", i, top[i].id, top[i].score);

    float score;
    CHECK(el_gallery_verify(g, "person-3", probe, &score));
    printf("verify person-3 %.7g accepted %d\n", score, score >= 0.363f);
    CHECK(el_gallery_verify(g, "person-1", probe, &score));
    printf("verify person-1 %.7g accepted %d\n", score, score >= 0.363f);

    status = el_gallery_verify(g, "nobody", probe, &score);
    printf("verify_unknown status %d message %s\n", status, el_last_error());

    CHECK(el_gallery_close(g));
    printf("done\n");
    return 0;
}
