/*
 * Fused training step of the anomaly-sweep autoencoders (AE, VAE, DVAE): one call per
 * batch does forward, loss terms, backward, global-norm clipping, Adam and the SWA sum.
 *
 * Parameters use the layout of activities/train/network.ts: per dense layer the kernel
 * [in, out] row-major, then the bias; encoder layers first, then the decoder. Everything
 * that is training state (params, Adam m and v, the step count, the SWA sum, the loss
 * accumulators) is owned by the caller; the workspace only holds scratch (padded copies of
 * the weights, activations, gradients) and the network's shape.
 *
 * The same source builds natively (gcc/clang, vectorised for the host) and to WebAssembly
 * with SIMD128; both compute the same numbers bit for bit: every sum runs in a fixed order
 * that does not depend on the vector width, no multiply-add is contracted, and exp is our
 * own (kernel.c), not the C library's.
 */
#ifndef FUSED_KERNEL_H
#define FUSED_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { FS_AE = 0, FS_VAE = 1, FS_DVAE = 2 };

/* Limits of the shapes a workspace describes. */
#define FS_MAX_HIDDEN 14
#define FS_MAX_LATENT 16
#define FS_MAX_WIDTH 4096

/* Error codes (negative returns). */
enum {
  FS_OK = 0,
  FS_ERR_SHAPE = -1,     /* unsupported architecture or sizes */
  FS_ERR_SPACE = -2,     /* workspace too small or misaligned (64 bytes) */
  FS_ERR_WORKSPACE = -3, /* not an initialised workspace */
  FS_ERR_ROWS = -4,      /* train/gradient: rows outside 1..max_rows */
  FS_ERR_INPUT = -5      /* a required input (noise, prior for VAE/DVAE) is missing */
};

/* Bytes of workspace for a network; 0 when the shape is unsupported. */
size_t fs_workspace_bytes(int32_t arch, int32_t input_dim, int32_t latent_dim, int32_t n_hidden,
                          const int32_t *hidden, int32_t max_rows);

/* Lays out a workspace (64-byte aligned, fs_workspace_bytes long). hidden[0..n_hidden) are
 * the encoder's hidden widths; the decoder mirrors them. max_rows bounds a training batch;
 * evaluate and score take any number of rows (they run in chunks of max_rows). */
int32_t fs_init(void *ws, size_t bytes, int32_t arch, int32_t input_dim, int32_t latent_dim,
                int32_t n_hidden, const int32_t *hidden, int32_t max_rows);

/* Number of floats in the flat parameter vector. */
int32_t fs_param_count(const void *ws);

/* The workspace's shape: out[0..5) = arch, input_dim, latent_dim, max_rows, param_count. */
int32_t fs_dims(const void *ws, int32_t *out);

/* Floats per SIMD vector in this build (16 AVX-512, 8 AVX, 4 SSE/NEON/wasm SIMD128). */
int32_t fs_vector_width(void);

/* Global gradient norm of the last fs_train_step (before clipping). */
float fs_last_grad_norm(const void *ws);

/*
 * Shared inputs:
 *   x      rows x input_dim, row-major, standardised
 *   w      per-event weights, rows
 *   noise  rows x latent_dim standard normal (VAE/DVAE; ignored for the AE, may be NULL)
 *   prior  [mean (latent_dim) | inverse variance (latent_dim) | constant], the constant
 *          being sum_k (log v_k - 1) (VAE/DVAE; NULL for the AE)
 *   sums   double[3]: [sum w*mse, sum w*kl, sum w] of the rows are ADDED to it
 *
 * Objective of a batch (activities/train/trainer.ts):
 *   J = (sum_i w_i * (mse_i + kl_weight * kl_i)) / rows.
 */

/* dJ/dparams into grad (flat layout); adds the batch's sums. For tests and tools. */
int32_t fs_gradient(void *ws, int32_t rows, const float *x, const float *w, const float *noise,
                    const float *prior, float kl_weight, const float *params, float *grad,
                    double *sums);

/*
 * One optimiser step: gradient of J, clipping by global norm (scale min(1, clip_norm /
 * (norm + 1e-6)); clip_norm <= 0 disables it), Adam as activities/train/adam.ts (PyTorch's
 * rule; `step` is the 1-based index of this update, i.e. the caller's count after
 * incrementing), then swa_sum += params when swa_sum is not NULL. Updates params, adam_m,
 * adam_v and swa_sum in place; adds the batch's sums.
 */
int32_t fs_train_step(void *ws, int32_t rows, const float *x, const float *w, const float *noise,
                      const float *prior, float kl_weight, double lr, float clip_norm, int32_t step,
                      float *params, float *adam_m, float *adam_v, float *swa_sum, double *sums);

/* The sums of a validation chunk (sampled z, as the trainer's validation), no update. */
int32_t fs_evaluate(void *ws, int32_t rows, const float *x, const float *w, const float *noise,
                    const float *prior, const float *params, double *sums);

/*
 * Scoring at the latent mean (no sampling), as loadModel().score: mse[rows] is the
 * per-event reconstruction MSE of decoding the mean (DVAE: its softmax); latent
 * [rows x latent_dim] (may be NULL) is the mean for AE and VAE, softmax(mean) for the DVAE.
 */
int32_t fs_score(void *ws, int32_t rows, const float *x, const float *params, float *mse,
                 float *latent);

/* The portable exp used by the kernel (exported for tests). */
float fs_expf(float x);

#ifdef __cplusplus
}
#endif

#endif
