/*
 * Fused training step of the anomaly-sweep autoencoders; see kernel.h for the API.
 *
 * Numerics. Every dense product is written as C[r, j] = sum_k A[r, k] * B[k, j] with the
 * vectors running along j (the contiguous output columns) and k summed one at a time in
 * increasing order. The backward products use the same form: dW = H^T dZ sums over the
 * batch rows in order, dH = dZ W^T runs on a transposed copy of W. So no sum depends on
 * the vector width or on the row/column blocking, and with multiply-add contraction off
 * (-ffp-contract=off) a native AVX-512 build, an SSE build and the WebAssembly SIMD128
 * build give the same bits. Reductions outside the products (the gradient norm, the loss
 * sums) also have a fixed order. exp is fs_expf below, not libm's.
 *
 * Memory. Weights are copied each call into a padded layout (rows of a multiple of the
 * vector width, zero padding) together with a transposed copy for the backward pass;
 * activations and gradients live in the workspace; the flat gradient is gathered back
 * into the project's layout for clipping and Adam.
 */
#include "kernel.h"

#if defined(__wasm__)
#define FS_VW 4
#elif defined(__AVX512F__)
#define FS_VW 16
#elif defined(__AVX__)
#define FS_VW 8
#else
#define FS_VW 4
#endif

/* Register blocking of the products: FS_RB rows x FS_JB vectors of accumulators. */
#ifndef FS_RB
#define FS_RB 4
#endif
#ifndef FS_JB
#if FS_VW == 16
#define FS_JB 4
#elif FS_VW == 8
#define FS_JB 3
#else
#define FS_JB 2
#endif
#endif

/* Largest tile the instantiated kernels cover. */
#define TILE_MAX_R 6
#define TILE_MAX_J 4

typedef float vf __attribute__((vector_size(FS_VW * 4)));
typedef int32_t vi __attribute__((vector_size(FS_VW * 4)));

#define ALWAYS_INLINE static inline __attribute__((always_inline))

#if defined(__wasm__)
/* Freestanding WebAssembly: the compiler may emit calls to these for plain loops. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memset(void *dst, int c, size_t n) {
  unsigned char *d = (unsigned char *)dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}
void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
  unsigned char *d = (unsigned char *)dst;
  const unsigned char *s = (const unsigned char *)src;
  while (n--) *d++ = *s++;
  return dst;
}
#endif

/* ---------------------------------------------------------------- scalar math ---- */

static float pow2i(int k) {
  union { uint32_t u; float f; } v;
  v.u = (uint32_t)(k + 127) << 23;
  return v.f;
}

/*
 * exp(x) in float: x = n ln2 + r with |r| <= ln2 / 2 (Cody-Waite, the high part of ln2
 * has 15 significant bits so n * LN2_HI is exact), exp(r) by its Taylor polynomial of
 * degree 7 (truncation error < 6e-9 relative), times 2^n. Within 2 ulp of the exact
 * value; the same bits everywhere as long as no multiply-add is fused.
 */
float fs_expf(float x) {
  if (x != x) return x;
  if (x > 88.72283935546875f) return __builtin_inff();
  if (x < -103.972084045410156f) return 0.0f;
  const float t = x * 1.44269502162933349609375f;
  const int n = (int)(t < 0.0f ? t - 0.5f : t + 0.5f);
  const float fn = (float)n;
  float r = x - fn * 0.693145751953125f;
  r = r - fn * 1.428606765330187045e-06f;
  float p = 1.98412698412698412698e-4f; /* 1/7! */
  p = p * r + 1.38888888888888888889e-3f;
  p = p * r + 8.33333333333333333333e-3f;
  p = p * r + 4.16666666666666666667e-2f;
  p = p * r + 1.66666666666666666667e-1f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  if (n > 127) return p * pow2i(127) * pow2i(n - 127);
  if (n < -126) return p * pow2i(-126) * pow2i(n + 126);
  return p * pow2i(n);
}

/* base^e for a positive integer e by repeated squaring, in double. */
static double ipow(double base, int32_t e) {
  double result = 1.0;
  while (e > 0) {
    if (e & 1) result *= base;
    base *= base;
    e >>= 1;
  }
  return result;
}

/* ------------------------------------------------------------------ workspace ---- */

#define FS_MAGIC 0x3146534bu /* "KSF1" */
#define FS_MAX_LAYERS (2 * (FS_MAX_HIDDEN + 1))
#define ALIGN_FLOATS 16 /* 64 bytes */

typedef struct {
  int32_t in, out, inp, outp, relu, reserved;
  int64_t flat;     /* kernel offset in the flat parameters; the bias follows it */
  int64_t w, wt, b; /* padded kernel [in x outp], transposed [out x inp], bias [outp] */
  int64_t dw, db;   /* padded gradients of kernel and bias */
  int64_t h;        /* the layer's output [max_rows x outp] */
} layer_t;

typedef struct {
  uint32_t magic;
  int32_t arch, input_dim, latent_dim, n_hidden, max_rows, n_layers, n_enc;
  int32_t latent_pad, width_pad;
  float last_norm;
  int32_t reserved;
  int64_t param_count;
  int64_t floats;   /* floats of scratch after the header */
  int64_t zin;      /* decoder input [max_rows x latent_pad]: z, softmax(z), or the mean */
  int64_t sd, elv;  /* exp(logVar / 2) and exp(logVar), [max_rows x latent_dim] */
  int64_t d0, d1;   /* gradient buffers [max_rows x width_pad] */
  int64_t grad;     /* flat gradient [param_count] */
  int64_t gm, gk;   /* per-row loss coefficients [max_rows] */
  layer_t layer[FS_MAX_LAYERS];
} header_t;

#define HEADER_BYTES ((sizeof(header_t) + 63) / 64 * 64)

static int32_t pad(int32_t n) { return (n + FS_VW - 1) / FS_VW * FS_VW; }
static int64_t align(int64_t n) { return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS; }

static int variational(const header_t *h) { return h->arch != FS_AE; }

/* Fills the shape and offsets of `h`; 0 when the shape is not supported. */
static int layout(header_t *h, int32_t arch, int32_t input_dim, int32_t latent_dim, int32_t n_hidden,
                  const int32_t *hidden, int32_t max_rows) {
  if (arch < FS_AE || arch > FS_DVAE) return 0;
  if (input_dim < 1 || input_dim > FS_MAX_WIDTH) return 0;
  if (latent_dim < 1 || latent_dim > FS_MAX_LATENT) return 0;
  if (arch == FS_DVAE && latent_dim < 2) return 0;
  if (n_hidden < 0 || n_hidden > FS_MAX_HIDDEN || (n_hidden > 0 && !hidden)) return 0;
  if (max_rows < 1 || max_rows > (1 << 20)) return 0;
  for (int i = 0; i < n_hidden; i++)
    if (hidden[i] < 1 || hidden[i] > FS_MAX_WIDTH) return 0;

  h->magic = FS_MAGIC;
  h->arch = arch;
  h->input_dim = input_dim;
  h->latent_dim = latent_dim;
  h->n_hidden = n_hidden;
  h->max_rows = max_rows;
  h->n_enc = n_hidden + 1;
  h->n_layers = 2 * (n_hidden + 1);
  h->latent_pad = pad(latent_dim);
  h->last_norm = 0.0f;

  int32_t widths[2 * FS_MAX_HIDDEN + 4];
  int nw = 0;
  widths[nw++] = input_dim;
  for (int i = 0; i < n_hidden; i++) widths[nw++] = hidden[i];
  widths[nw++] = arch == FS_AE ? latent_dim : 2 * latent_dim;
  widths[nw++] = latent_dim;
  for (int i = n_hidden - 1; i >= 0; i--) widths[nw++] = hidden[i];
  widths[nw++] = input_dim;

  int64_t at = 0;
  int64_t flat = 0;
  int32_t widest = 0;
  for (int l = 0; l < h->n_layers; l++) {
    /* Encoder layers read widths[l] -> widths[l + 1]; the decoder starts one further on. */
    const int src = l < h->n_enc ? l : l + 1;
    layer_t *L = &h->layer[l];
    L->in = widths[src];
    L->out = widths[src + 1];
    L->inp = pad(L->in);
    L->outp = pad(L->out);
    L->relu = !(l == h->n_enc - 1 || l == h->n_layers - 1);
    L->flat = flat;
    flat += (int64_t)L->in * L->out + L->out;
    L->w = at, at = align(at + (int64_t)L->in * L->outp);
    L->wt = at, at = align(at + (int64_t)L->out * L->inp);
    L->b = at, at = align(at + L->outp);
    L->dw = at, at = align(at + (int64_t)L->in * L->outp);
    L->db = at, at = align(at + L->outp);
    L->h = at, at = align(at + (int64_t)max_rows * L->outp);
    if (L->inp > widest) widest = L->inp;
    if (L->outp > widest) widest = L->outp;
  }
  h->width_pad = widest;
  h->param_count = flat;
  h->zin = at, at = align(at + (int64_t)max_rows * h->latent_pad);
  h->sd = at, at = align(at + (int64_t)max_rows * latent_dim);
  h->elv = at, at = align(at + (int64_t)max_rows * latent_dim);
  h->d0 = at, at = align(at + (int64_t)max_rows * widest);
  h->d1 = at, at = align(at + (int64_t)max_rows * widest);
  h->grad = at, at = align(at + flat);
  h->gm = at, at = align(at + max_rows);
  h->gk = at, at = align(at + max_rows);
  h->floats = at;
  return flat < (int64_t)1 << 30;
}

size_t fs_workspace_bytes(int32_t arch, int32_t input_dim, int32_t latent_dim, int32_t n_hidden,
                          const int32_t *hidden, int32_t max_rows) {
  header_t h;
  if (!layout(&h, arch, input_dim, latent_dim, n_hidden, hidden, max_rows)) return 0;
  return HEADER_BYTES + (size_t)h.floats * sizeof(float);
}

int32_t fs_init(void *ws, size_t bytes, int32_t arch, int32_t input_dim, int32_t latent_dim,
                int32_t n_hidden, const int32_t *hidden, int32_t max_rows) {
  header_t h;
  if (!layout(&h, arch, input_dim, latent_dim, n_hidden, hidden, max_rows)) return FS_ERR_SHAPE;
  if (!ws || ((uintptr_t)ws & 63) != 0 || bytes < HEADER_BYTES + (size_t)h.floats * sizeof(float))
    return FS_ERR_SPACE;
  /* Zero everything once: the padding of weights and biases is never written again. */
  float *f = (float *)((char *)ws + HEADER_BYTES);
  for (int64_t i = 0; i < h.floats; i++) f[i] = 0.0f;
  *(header_t *)ws = h;
  return FS_OK;
}

static header_t *header(void *ws) {
  header_t *h = (header_t *)ws;
  return h && h->magic == FS_MAGIC ? h : 0;
}

static float *scratch(void *ws) { return (float *)((char *)ws + HEADER_BYTES); }

int32_t fs_param_count(const void *ws) {
  const header_t *h = (const header_t *)ws;
  return h && h->magic == FS_MAGIC ? (int32_t)h->param_count : FS_ERR_WORKSPACE;
}

int32_t fs_dims(const void *ws, int32_t *out) {
  const header_t *h = (const header_t *)ws;
  if (!h || h->magic != FS_MAGIC) return FS_ERR_WORKSPACE;
  out[0] = h->arch;
  out[1] = h->input_dim;
  out[2] = h->latent_dim;
  out[3] = h->max_rows;
  out[4] = (int32_t)h->param_count;
  return FS_OK;
}

int32_t fs_vector_width(void) { return FS_VW; }

float fs_last_grad_norm(const void *ws) {
  const header_t *h = (const header_t *)ws;
  return h && h->magic == FS_MAGIC ? h->last_norm : -1.0f;
}

/* ------------------------------------------------------------- dense products ---- */

enum { MODE_STORE = 0, MODE_BIAS = 1, MODE_RELU = 2, MODE_MASK = 3 };

/* A vector of x in every lane (an initializer list: both compilers make it a broadcast). */
#define X4(x) (x), (x), (x), (x)
#if FS_VW == 4
#define SPLAT(x) ((vf){X4(x)})
#elif FS_VW == 8
#define SPLAT(x) ((vf){X4(x), X4(x)})
#else
#define SPLAT(x) ((vf){X4(x), X4(x), X4(x), X4(x)})
#endif

ALWAYS_INLINE vf splat(float x) { return SPLAT(x); }

ALWAYS_INLINE vf vzero(void) { return splat(0.0f); }

/* max(y, 0) keeping NaN (as tfjs' relu): clear the lanes that are < 0. */
ALWAYS_INLINE vf relu(vf y) {
  const vi negative = y < vzero();
  return (vf)((vi)y & ~negative);
}

/* y where m > 0, else 0 (the ReLU gradient through the layer output m). */
ALWAYS_INLINE vf where_positive(vf y, vf m) {
  const vi positive = m > vzero();
  return (vf)((vi)y & positive);
}

/*
 * One R x J tile (R output rows, J vectors of columns) of
 *   C[r, j] = sum_{k < K} A[r * a_row + k * a_red] * B[k * ldb + j]
 * with k summed in order, then the epilogue of `mode`.
 */
ALWAYS_INLINE void tile(const int R, const int J, int K, const float *restrict A, ptrdiff_t a_row,
                        ptrdiff_t a_red, const float *restrict B, ptrdiff_t ldb, float *restrict C,
                        ptrdiff_t ldc, const float *restrict bias, const float *restrict M, ptrdiff_t ldm,
                        int mode) {
  vf acc[TILE_MAX_R][TILE_MAX_J];
  for (int r = 0; r < R; r++)
    for (int j = 0; j < J; j++) acc[r][j] = vzero();
  for (int k = 0; k < K; k++) {
    vf b[TILE_MAX_J];
    for (int j = 0; j < J; j++) b[j] = *(const vf *)(B + k * ldb + j * FS_VW);
    for (int r = 0; r < R; r++) {
      const vf a = splat(A[r * a_row + k * a_red]);
      for (int j = 0; j < J; j++) acc[r][j] += a * b[j];
    }
  }
  for (int r = 0; r < R; r++)
    for (int j = 0; j < J; j++) {
      vf y = acc[r][j];
      if (mode == MODE_BIAS || mode == MODE_RELU) y += *(const vf *)(bias + j * FS_VW);
      if (mode == MODE_RELU) y = relu(y);
      if (mode == MODE_MASK) y = where_positive(y, *(const vf *)(M + r * ldm + j * FS_VW));
      *(vf *)(C + r * ldc + j * FS_VW) = y;
    }
}

typedef void (*tile_fn)(int K, const float *A, ptrdiff_t a_row, ptrdiff_t a_red, const float *B,
                        ptrdiff_t ldb, float *C, ptrdiff_t ldc, const float *bias, const float *M,
                        ptrdiff_t ldm, int mode);

#define TILE_FN(R, J)                                                                              \
  static void tile_##R##_##J(int K, const float *A, ptrdiff_t a_row, ptrdiff_t a_red,              \
                             const float *B, ptrdiff_t ldb, float *C, ptrdiff_t ldc,               \
                             const float *bias, const float *M, ptrdiff_t ldm, int mode) {         \
    tile(R, J, K, A, a_row, a_red, B, ldb, C, ldc, bias, M, ldm, mode);                            \
  }
#define TILE_ROW(R) TILE_FN(R, 1) TILE_FN(R, 2) TILE_FN(R, 3) TILE_FN(R, 4)
TILE_ROW(1)
TILE_ROW(2)
TILE_ROW(3)
TILE_ROW(4)
TILE_ROW(5)
TILE_ROW(6)

#define TILE_ENTRY(R) {tile_##R##_1, tile_##R##_2, tile_##R##_3, tile_##R##_4}
static const tile_fn TILES[TILE_MAX_R][TILE_MAX_J] = {
    TILE_ENTRY(1), TILE_ENTRY(2), TILE_ENTRY(3), TILE_ENTRY(4), TILE_ENTRY(5), TILE_ENTRY(6),
};

#if FS_RB > TILE_MAX_R || FS_JB > TILE_MAX_J
#error "tile blocking larger than the instantiated kernels"
#endif

/* C[rows x cols] (cols a multiple of FS_VW) = A B with the epilogue of `mode`. */
static void product(int rows, int K, int cols, const float *A, ptrdiff_t a_row, ptrdiff_t a_red,
                    const float *B, ptrdiff_t ldb, float *C, ptrdiff_t ldc, const float *bias,
                    const float *M, ptrdiff_t ldm, int mode) {
  const int vectors = cols / FS_VW;
  for (int j0 = 0; j0 < vectors; j0 += FS_JB) {
    const int J = vectors - j0 < FS_JB ? vectors - j0 : FS_JB;
    const int jo = j0 * FS_VW;
    for (int r0 = 0; r0 < rows; r0 += FS_RB) {
      const int R = rows - r0 < FS_RB ? rows - r0 : FS_RB;
      TILES[R - 1][J - 1](K, A + r0 * a_row, a_row, a_red, B + jo, ldb, C + r0 * ldc + jo, ldc,
                          bias ? bias + jo : 0, M ? M + r0 * ldm + jo : 0, ldm, mode);
    }
  }
}

/* out[j] = sum_r D[r * ld + j] over rows in order (a bias gradient). */
static void column_sums(int rows, int cols, const float *restrict D, ptrdiff_t ld, float *restrict out) {
  for (int j = 0; j < cols; j += FS_VW) {
    vf acc = vzero();
    for (int r = 0; r < rows; r++) acc += *(const vf *)(D + r * ld + j);
    *(vf *)(out + j) = acc;
  }
}

/* -------------------------------------------------------------- the network ---- */

/* Padded copies of the flat parameters (and their transposes for the backward pass). */
static void load_params(header_t *h, float *F, const float *params, int transposed) {
  for (int l = 0; l < h->n_layers; l++) {
    const layer_t *L = &h->layer[l];
    const float *W = params + L->flat;
    const float *bias = W + (int64_t)L->in * L->out;
    float *wp = F + L->w;
    for (int k = 0; k < L->in; k++) {
      const float *src = W + (int64_t)k * L->out;
      float *dst = wp + (int64_t)k * L->outp;
      for (int j = 0; j < L->out; j++) dst[j] = src[j];
    }
    float *bp = F + L->b;
    for (int j = 0; j < L->out; j++) bp[j] = bias[j];
    if (transposed) {
      float *wt = F + L->wt;
      for (int k = 0; k < L->in; k++) {
        const float *src = W + (int64_t)k * L->out;
        for (int j = 0; j < L->out; j++) wt[(int64_t)j * L->inp + k] = src[j];
      }
    }
  }
}

enum { PASS_TRAIN, PASS_EVAL, PASS_SCORE };

static void softmax_row(int n, const float *z, float *s) {
  float mx = z[0];
  for (int k = 1; k < n; k++)
    if (z[k] > mx) mx = z[k];
  float sum = 0.0f;
  for (int k = 0; k < n; k++) {
    s[k] = fs_expf(z[k] - mx);
    sum += s[k];
  }
  for (int k = 0; k < n; k++) s[k] = s[k] / sum;
}

/*
 * Forward pass of `rows` rows. PASS_TRAIN/EVAL sample z = mu + exp(logVar/2) * noise;
 * PASS_SCORE decodes the mean. Returns the decoder input and its stride via *zin / *ldz.
 */
static void forward(header_t *h, float *F, int rows, const float *x, const float *noise, int pass,
                    const float **zin, ptrdiff_t *ldz) {
  const float *in = x;
  ptrdiff_t lda = h->input_dim;
  for (int l = 0; l < h->n_layers; l++) {
    const layer_t *L = &h->layer[l];
    if (l == h->n_enc) {
      /* The latent layer: `in` is the encoder output. */
      const int K = h->latent_dim;
      if (!variational(h)) {
        *zin = in, *ldz = lda;
      } else {
        float *z = F + h->zin;
        float *sd = F + h->sd;
        float *elv = F + h->elv;
        const ptrdiff_t lz = h->latent_pad;
        for (int r = 0; r < rows; r++) {
          const float *mu = in + r * lda;
          const float *lv = mu + K;
          float *zr = z + r * lz;
          float sample[FS_MAX_LATENT];
          for (int k = 0; k < K; k++) {
            if (pass == PASS_SCORE) {
              sample[k] = mu[k];
            } else {
              const float s = fs_expf(lv[k] * 0.5f);
              sd[r * K + k] = s;
              elv[r * K + k] = fs_expf(lv[k]);
              sample[k] = mu[k] + s * noise[r * K + k];
            }
          }
          if (h->arch == FS_DVAE) {
            softmax_row(K, sample, zr);
          } else {
            for (int k = 0; k < K; k++) zr[k] = sample[k];
          }
          for (int k = K; k < lz; k++) zr[k] = 0.0f;
        }
        *zin = z, *ldz = lz;
      }
      in = *zin, lda = *ldz;
    }
    product(rows, L->in, L->outp, in, lda, 1, F + L->w, L->outp, F + L->h, L->outp, F + L->b, 0, 0,
            L->relu ? MODE_RELU : MODE_BIAS);
    in = F + L->h, lda = L->outp;
  }
}

/*
 * Per-event loss terms of a forward pass, added (weighted) to sums. With `gradient`, also
 * dJ/dReconstruction into d0 and the per-row coefficients for the KL gradient.
 */
static void loss_terms(header_t *h, float *F, int rows, int batch_rows, const float *x, const float *w,
                       const float *prior, float kl_weight, double *sums, int gradient) {
  const int D = h->input_dim;
  const int K = h->latent_dim;
  const layer_t *out = &h->layer[h->n_layers - 1];
  const layer_t *enc = &h->layer[h->n_enc - 1];
  const float *R = F + out->h;
  float *dR = F + h->d0;
  for (int r = 0; r < rows; r++) {
    const float *rr = R + (ptrdiff_t)r * out->outp;
    const float *xr = x + (ptrdiff_t)r * D;
    float se = 0.0f;
    for (int j = 0; j < D; j++) {
      const float d = rr[j] - xr[j];
      se += d * d;
    }
    const float mse = se / (float)D;
    const float wr = w[r];
    float kl = 0.0f;
    if (variational(h)) {
      const float *mu = F + enc->h + (ptrdiff_t)r * enc->outp;
      const float *lv = mu + K;
      const float *elv = F + h->elv + (ptrdiff_t)r * K;
      float s = 0.0f;
      for (int k = 0; k < K; k++) {
        const float dm = mu[k] - prior[k];
        const float spread = elv[k] + dm * dm;
        s += spread * prior[K + k] - lv[k];
      }
      kl = (s + prior[2 * K]) * 0.5f;
    }
    /* Row by row into the caller's sums, so chunking never changes them. */
    sums[0] += (double)wr * (double)mse;
    sums[1] += (double)wr * (double)kl;
    sums[2] += (double)wr;
    if (gradient) {
      /* J = sum_i w_i (mse_i + beta kl_i) / n, mse_i = sum_j d_ij^2 / D. */
      const float gm = (float)(2.0 * (double)wr / ((double)batch_rows * (double)D));
      float *dr = dR + (ptrdiff_t)r * out->outp;
      for (int j = 0; j < D; j++) dr[j] = (rr[j] - xr[j]) * gm;
      for (int j = D; j < out->outp; j++) dr[j] = 0.0f;
      F[h->gk + r] = (float)((double)kl_weight * (double)wr / (double)batch_rows);
    }
  }
}

/* Backward pass from dJ/dReconstruction (in d0) to the padded gradients of every layer. */
static void backward(header_t *h, float *F, int rows, const float *x, const float *noise,
                     const float *prior, const float *zin, ptrdiff_t ldz) {
  const int K = h->latent_dim;
  float *dcur = F + h->d0;
  float *dnext = F + h->d1;
  for (int l = h->n_layers - 1; l >= 0; l--) {
    const layer_t *L = &h->layer[l];
    const float *A;
    ptrdiff_t lda;
    if (l == 0) A = x, lda = h->input_dim;
    else if (l == h->n_enc) A = zin, lda = ldz;
    else A = F + h->layer[l - 1].h, lda = h->layer[l - 1].outp;
    /* dW = A^T dZ, db = column sums of dZ. */
    product(L->in, rows, L->outp, A, 1, lda, dcur, L->outp, F + L->dw, L->outp, 0, 0, 0, MODE_STORE);
    column_sums(rows, L->outp, dcur, L->outp, F + L->db);
    if (l == 0) break;
    /* dA = dZ W^T, through the previous layer's ReLU unless A is the decoder input. */
    const int masked = l != h->n_enc;
    product(rows, L->out, L->inp, dcur, L->outp, 1, F + L->wt, L->inp, dnext, L->inp, 0,
            masked ? A : 0, lda, masked ? MODE_MASK : MODE_STORE);
    float *t = dcur;
    dcur = dnext;
    dnext = t;
    if (l == h->n_enc && variational(h)) {
      /* dcur = dJ/d(decoder input) [rows x latent_pad]; turn it into dJ/d[mu | logVar]. */
      const layer_t *enc = &h->layer[h->n_enc - 1];
      const float *E = F + enc->h;
      const float *sd = F + h->sd;
      const float *elv = F + h->elv;
      const float *gk = F + h->gk;
      for (int r = 0; r < rows; r++) {
        const float *ds = dcur + (ptrdiff_t)r * L->inp;
        float dz[FS_MAX_LATENT];
        if (h->arch == FS_DVAE) {
          const float *s = zin + (ptrdiff_t)r * ldz;
          float dot = 0.0f;
          for (int k = 0; k < K; k++) dot += s[k] * ds[k];
          for (int k = 0; k < K; k++) dz[k] = s[k] * (ds[k] - dot);
        } else {
          for (int k = 0; k < K; k++) dz[k] = ds[k];
        }
        const float *mu = E + (ptrdiff_t)r * enc->outp;
        float *de = dnext + (ptrdiff_t)r * enc->outp;
        const float c = gk[r];
        for (int k = 0; k < K; k++) {
          const float dm = mu[k] - prior[k];
          de[k] = dz[k] + c * (dm * prior[K + k]);
          const float e = noise[r * K + k] * sd[r * K + k] * 0.5f;
          de[K + k] = dz[k] * e + c * (0.5f * (elv[r * K + k] * prior[K + k] - 1.0f));
        }
        for (int k = 2 * K; k < enc->outp; k++) de[k] = 0.0f;
      }
      t = dcur;
      dcur = dnext;
      dnext = t;
    }
  }
}

/* Padded gradients -> flat gradient in the parameter layout. */
static void gather_gradient(header_t *h, const float *F, float *g) {
  for (int l = 0; l < h->n_layers; l++) {
    const layer_t *L = &h->layer[l];
    float *gw = g + L->flat;
    for (int k = 0; k < L->in; k++) {
      const float *src = F + L->dw + (int64_t)k * L->outp;
      float *dst = gw + (int64_t)k * L->out;
      for (int j = 0; j < L->out; j++) dst[j] = src[j];
    }
    float *gb = gw + (int64_t)L->in * L->out;
    for (int j = 0; j < L->out; j++) gb[j] = F[L->db + j];
  }
}

static int check_inputs(const header_t *h, const float *noise, const float *prior, int need_noise) {
  if (!variational(h)) return FS_OK;
  if (!prior || (need_noise && !noise)) return FS_ERR_INPUT;
  return FS_OK;
}

static int32_t gradient_into(header_t *h, float *F, int32_t rows, const float *x, const float *w,
                             const float *noise, const float *prior, float kl_weight, const float *params,
                             float *grad, double *sums) {
  const float *zin = 0;
  ptrdiff_t ldz = 0;
  load_params(h, F, params, 1);
  forward(h, F, rows, x, noise, PASS_TRAIN, &zin, &ldz);
  loss_terms(h, F, rows, rows, x, w, prior, kl_weight, sums, 1);
  backward(h, F, rows, x, noise, prior, zin, ldz);
  gather_gradient(h, F, grad);
  return FS_OK;
}

int32_t fs_gradient(void *ws, int32_t rows, const float *x, const float *w, const float *noise,
                    const float *prior, float kl_weight, const float *params, float *grad,
                    double *sums) {
  header_t *h = header(ws);
  if (!h) return FS_ERR_WORKSPACE;
  if (rows < 1 || rows > h->max_rows) return FS_ERR_ROWS;
  const int bad = check_inputs(h, noise, prior, 1);
  if (bad) return bad;
  return gradient_into(h, scratch(ws), rows, x, w, noise, prior, kl_weight, params, grad, sums);
}

int32_t fs_train_step(void *ws, int32_t rows, const float *x, const float *w, const float *noise,
                      const float *prior, float kl_weight, double lr, float clip_norm, int32_t step,
                      float *params, float *adam_m, float *adam_v, float *swa_sum, double *sums) {
  header_t *h = header(ws);
  if (!h) return FS_ERR_WORKSPACE;
  if (rows < 1 || rows > h->max_rows) return FS_ERR_ROWS;
  if (step < 1) return FS_ERR_INPUT;
  const int bad = check_inputs(h, noise, prior, 1);
  if (bad) return bad;
  float *F = scratch(ws);
  float *restrict g = F + h->grad;
  gradient_into(h, F, rows, x, w, noise, prior, kl_weight, params, g, sums);
  const int64_t n = h->param_count;

  /* Global norm with a fixed summation order: 16 running sums, element i into i % 16. */
  float lanes[16] = {0};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; l++) lanes[l] += g[i + l] * g[i + l];
  for (int l = 0; i + l < n; l++) lanes[l] += g[i + l] * g[i + l];
  float total = 0.0f;
  for (int l = 0; l < 16; l++) total += lanes[l];
  const float norm = __builtin_sqrtf(total);
  h->last_norm = norm;
  if (clip_norm > 0.0f) {
    /* torch.nn.utils.clip_grad_norm_: scale = min(1, maxNorm / (norm + 1e-6)); NaN stays NaN. */
    const float q = clip_norm / (norm + 1e-6f);
    const float scale = q >= 1.0f ? 1.0f : q;
    if (scale != 1.0f)
      for (int64_t j = 0; j < n; j++) g[j] = g[j] * scale;
  }

  /* Adam as activities/train/adam.ts, in float32 like its tfjs ops. */
  const float beta1 = 0.9f, one_minus_beta1 = (float)(1.0 - 0.9);
  const float beta2 = 0.999f, one_minus_beta2 = (float)(1.0 - 0.999);
  const float step_size = (float)(lr / (1.0 - ipow(0.9, step)));
  const float inverse_root = (float)(1.0 / __builtin_sqrt(1.0 - ipow(0.999, step)));
  const float eps = 1e-8f;
  float *restrict p = params;
  float *restrict m = adam_m;
  float *restrict v = adam_v;
  for (int64_t j = 0; j < n; j++) {
    const float gj = g[j];
    const float mj = m[j] * beta1 + gj * one_minus_beta1;
    const float vj = v[j] * beta2 + (gj * gj) * one_minus_beta2;
    const float denominator = __builtin_sqrtf(vj) * inverse_root + eps;
    p[j] = p[j] - (mj / denominator) * step_size;
    m[j] = mj;
    v[j] = vj;
  }
  if (swa_sum) {
    float *restrict s = swa_sum;
    for (int64_t j = 0; j < n; j++) s[j] = s[j] + p[j];
  }
  return FS_OK;
}

int32_t fs_evaluate(void *ws, int32_t rows, const float *x, const float *w, const float *noise,
                    const float *prior, const float *params, double *sums) {
  header_t *h = header(ws);
  if (!h) return FS_ERR_WORKSPACE;
  if (rows < 0) return FS_ERR_ROWS;
  const int bad = check_inputs(h, noise, prior, 1);
  if (bad) return bad;
  float *F = scratch(ws);
  load_params(h, F, params, 0);
  for (int32_t start = 0; start < rows; start += h->max_rows) {
    const int32_t n = rows - start < h->max_rows ? rows - start : h->max_rows;
    const float *zin = 0;
    ptrdiff_t ldz = 0;
    const float *xs = x + (ptrdiff_t)start * h->input_dim;
    forward(h, F, n, xs, noise ? noise + (ptrdiff_t)start * h->latent_dim : 0, PASS_EVAL, &zin, &ldz);
    loss_terms(h, F, n, n, xs, w + start, prior, 0.0f, sums, 0);
  }
  return FS_OK;
}

int32_t fs_score(void *ws, int32_t rows, const float *x, const float *params, float *mse, float *latent) {
  header_t *h = header(ws);
  if (!h) return FS_ERR_WORKSPACE;
  if (rows < 0) return FS_ERR_ROWS;
  float *F = scratch(ws);
  const int D = h->input_dim;
  const int K = h->latent_dim;
  const layer_t *out = &h->layer[h->n_layers - 1];
  load_params(h, F, params, 0);
  for (int32_t start = 0; start < rows; start += h->max_rows) {
    const int32_t n = rows - start < h->max_rows ? rows - start : h->max_rows;
    const float *zin = 0;
    ptrdiff_t ldz = 0;
    const float *xs = x + (ptrdiff_t)start * D;
    forward(h, F, n, xs, 0, PASS_SCORE, &zin, &ldz);
    const float *R = F + out->h;
    for (int r = 0; r < n; r++) {
      const float *rr = R + (ptrdiff_t)r * out->outp;
      const float *xr = xs + (ptrdiff_t)r * D;
      float se = 0.0f;
      for (int j = 0; j < D; j++) {
        const float d = rr[j] - xr[j];
        se += d * d;
      }
      mse[start + r] = se / (float)D;
      if (latent) {
        const float *z = zin + (ptrdiff_t)r * ldz;
        float *lo = latent + ((ptrdiff_t)start + r) * K;
        for (int k = 0; k < K; k++) lo[k] = z[k];
      }
    }
  }
  return FS_OK;
}
