/*
 * N-API binding of kernel.c (built by scripts/build-fused.js into .sweep/native/fused.node).
 * Thin: checks the types and lengths of the typed arrays, then calls the kernel on their
 * memory directly (no copies). A workspace is a JS external that frees itself.
 *
 *   create(arch, inputDim, latentDim, hidden: Int32Array, maxRows) -> workspace
 *   dims(ws) -> Int32Array [arch, inputDim, latentDim, maxRows, paramCount]
 *   gradient(ws, rows, x, w, noise|null, prior|null, klWeight, params, grad, sums) -> status
 *   trainStep(ws, rows, x, w, noise|null, prior|null, klWeight, lr, clipNorm, step,
 *             params, adamM, adamV, swaSum|null, sums) -> status
 *   evaluate(ws, rows, x, w, noise|null, prior|null, params, sums) -> status
 *   score(ws, rows, x, params, mse, latent|null) -> status
 *   lastGradNorm(ws) -> number;  vectorWidth() -> number;  expf(x) -> number
 *   destroy(ws)  frees the workspace now (later calls throw); else the GC frees it
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != napi_ok) return fail(env, "fused: N-API call failed: " #call);                   \
  } while (0)

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  return t == napi_null || t == napi_undefined;
}

/* A typed array's data if it has `type` and at least `min` elements; NULL (and a pending
 * exception) otherwise. With `optional`, null/undefined give NULL without an exception. */
static void *array(napi_env env, napi_value v, napi_typedarray_type type, size_t min, int optional,
                   const char *name, int *ok) {
  if (optional && is_nullish(env, v)) return NULL;
  bool is_typed = false;
  napi_is_typedarray(env, v, &is_typed);
  napi_typedarray_type actual;
  size_t length = 0;
  void *data = NULL;
  if (!is_typed || napi_get_typedarray_info(env, v, &actual, &length, &data, NULL, NULL) != napi_ok ||
      actual != type) {
    char message[160];
    snprintf(message, sizeof message, "fused: %s must be a %s", name,
             type == napi_float32_array ? "Float32Array" : type == napi_float64_array ? "Float64Array" : "Int32Array");
    napi_throw_type_error(env, NULL, message);
    *ok = 0;
    return NULL;
  }
  if (length < min) {
    char message[160];
    snprintf(message, sizeof message, "fused: %s has %zu elements, needs %zu", name, length, min);
    napi_throw_range_error(env, NULL, message);
    *ok = 0;
    return NULL;
  }
  /* An empty typed array may have no storage; the kernel never reads it then. */
  return data ? data : (void *)"";
}

static double number(napi_env env, napi_value v, int *ok) {
  double d = 0;
  if (napi_get_value_double(env, v, &d) != napi_ok) {
    napi_throw_type_error(env, NULL, "fused: expected a number");
    *ok = 0;
  }
  return d;
}

/* What a JS workspace handle holds: the kernel's workspace until destroy() frees it. */
typedef struct {
  void *ws;
  size_t bytes;
} handle_t;

static void release(napi_env env, handle_t *h) {
  if (!h->ws) return;
  int64_t total = 0;
  napi_adjust_external_memory(env, -(int64_t)h->bytes, &total);
  free(h->ws);
  h->ws = NULL;
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)hint;
  release(env, (handle_t *)data);
  free(data);
}

static handle_t *handle(napi_env env, napi_value v, int *ok) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || !data) {
    napi_throw_type_error(env, NULL, "fused: not a workspace from create()");
    *ok = 0;
    return NULL;
  }
  return (handle_t *)data;
}

static void *workspace(napi_env env, napi_value v, int32_t dims[5], int *ok) {
  handle_t *h = handle(env, v, ok);
  if (!h) return NULL;
  if (!h->ws || fs_dims(h->ws, dims) != FS_OK) {
    napi_throw_error(env, NULL, "fused: the workspace was destroyed");
    *ok = 0;
    return NULL;
  }
  return h->ws;
}

static napi_value int_value(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

#define ARGS(n)                                                                                    \
  size_t argc = n;                                                                                 \
  napi_value argv[n];                                                                              \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));                                     \
  if (argc < n) return fail(env, "fused: expected " #n " arguments");                              \
  int ok = 1

static napi_value create(napi_env env, napi_callback_info info) {
  ARGS(5);
  const int32_t arch = (int32_t)number(env, argv[0], &ok);
  const int32_t input_dim = (int32_t)number(env, argv[1], &ok);
  const int32_t latent_dim = (int32_t)number(env, argv[2], &ok);
  if (!ok) return NULL;
  size_t n_hidden = 0;
  bool is_typed = false;
  napi_is_typedarray(env, argv[3], &is_typed);
  if (is_typed) {
    napi_typedarray_type type;
    napi_get_typedarray_info(env, argv[3], &type, &n_hidden, NULL, NULL, NULL);
  }
  const int32_t *hidden = array(env, argv[3], napi_int32_array, 0, 0, "hidden", &ok);
  const int32_t max_rows = (int32_t)number(env, argv[4], &ok);
  if (!ok) return NULL;
  const size_t bytes = fs_workspace_bytes(arch, input_dim, latent_dim, (int32_t)n_hidden, hidden, max_rows);
  if (bytes == 0) return fail(env, "fused: unsupported network shape");
  handle_t *h = malloc(sizeof *h);
  void *ws = aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!h || !ws) {
    free(h);
    free(ws);
    return fail(env, "fused: out of memory");
  }
  if (fs_init(ws, bytes, arch, input_dim, latent_dim, (int32_t)n_hidden, hidden, max_rows) != FS_OK) {
    free(h);
    free(ws);
    return fail(env, "fused: fs_init failed");
  }
  h->ws = ws;
  h->bytes = bytes;
  napi_value out;
  if (napi_create_external(env, h, finalize_handle, NULL, &out) != napi_ok) {
    free(h);
    free(ws);
    return fail(env, "fused: napi_create_external failed");
  }
  int64_t total = 0;
  napi_adjust_external_memory(env, (int64_t)bytes, &total);
  return out;
}

static napi_value dims(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t d[5];
  if (!workspace(env, argv[0], d, &ok)) return NULL;
  napi_value buffer, out;
  void *data;
  CHECK(napi_create_arraybuffer(env, sizeof d, &data, &buffer));
  memcpy(data, d, sizeof d);
  CHECK(napi_create_typedarray(env, napi_int32_array, 5, buffer, 0, &out));
  return out;
}

/* rows, then the lengths every call checks. */
static int32_t rows_arg(napi_env env, napi_value v, int32_t max, int *ok) {
  const double d = number(env, v, ok);
  if (*ok && (d < 0 || d > max || d != (double)(int32_t)d)) {
    napi_throw_range_error(env, NULL, "fused: rows out of range");
    *ok = 0;
  }
  return (int32_t)d;
}

static napi_value gradient(napi_env env, napi_callback_info info) {
  ARGS(10);
  int32_t d[5];
  void *ws = workspace(env, argv[0], d, &ok);
  if (!ok) return NULL;
  const int32_t rows = rows_arg(env, argv[1], d[3], &ok);
  if (!ok) return NULL;
  const int var = d[0] != FS_AE;
  const float *x = array(env, argv[2], napi_float32_array, (size_t)rows * d[1], 0, "x", &ok);
  const float *w = ok ? array(env, argv[3], napi_float32_array, rows, 0, "w", &ok) : NULL;
  const float *noise = ok ? array(env, argv[4], napi_float32_array, (size_t)rows * d[2], !var, "noise", &ok) : NULL;
  const float *prior = ok ? array(env, argv[5], napi_float32_array, 2 * d[2] + 1, !var, "prior", &ok) : NULL;
  const double kl_weight = ok ? number(env, argv[6], &ok) : 0;
  const float *params = ok ? array(env, argv[7], napi_float32_array, d[4], 0, "params", &ok) : NULL;
  float *grad = ok ? array(env, argv[8], napi_float32_array, d[4], 0, "grad", &ok) : NULL;
  double *sums = ok ? array(env, argv[9], napi_float64_array, 3, 0, "sums", &ok) : NULL;
  if (!ok) return NULL;
  return int_value(env, fs_gradient(ws, rows, x, w, noise, prior, (float)kl_weight, params, grad, sums));
}

static napi_value train_step(napi_env env, napi_callback_info info) {
  ARGS(15);
  int32_t d[5];
  void *ws = workspace(env, argv[0], d, &ok);
  if (!ok) return NULL;
  const int32_t rows = rows_arg(env, argv[1], d[3], &ok);
  if (!ok) return NULL;
  const int var = d[0] != FS_AE;
  const float *x = array(env, argv[2], napi_float32_array, (size_t)rows * d[1], 0, "x", &ok);
  const float *w = ok ? array(env, argv[3], napi_float32_array, rows, 0, "w", &ok) : NULL;
  const float *noise = ok ? array(env, argv[4], napi_float32_array, (size_t)rows * d[2], !var, "noise", &ok) : NULL;
  const float *prior = ok ? array(env, argv[5], napi_float32_array, 2 * d[2] + 1, !var, "prior", &ok) : NULL;
  const double kl_weight = ok ? number(env, argv[6], &ok) : 0;
  const double lr = ok ? number(env, argv[7], &ok) : 0;
  const double clip_norm = ok ? number(env, argv[8], &ok) : 0;
  const double step = ok ? number(env, argv[9], &ok) : 0;
  float *params = ok ? array(env, argv[10], napi_float32_array, d[4], 0, "params", &ok) : NULL;
  float *m = ok ? array(env, argv[11], napi_float32_array, d[4], 0, "adamM", &ok) : NULL;
  float *v = ok ? array(env, argv[12], napi_float32_array, d[4], 0, "adamV", &ok) : NULL;
  float *swa = ok ? array(env, argv[13], napi_float32_array, d[4], 1, "swaSum", &ok) : NULL;
  double *sums = ok ? array(env, argv[14], napi_float64_array, 3, 0, "sums", &ok) : NULL;
  if (!ok) return NULL;
  return int_value(env, fs_train_step(ws, rows, x, w, noise, prior, (float)kl_weight, lr, (float)clip_norm,
                                      (int32_t)step, params, m, v, swa, sums));
}

static napi_value evaluate(napi_env env, napi_callback_info info) {
  ARGS(8);
  int32_t d[5];
  void *ws = workspace(env, argv[0], d, &ok);
  if (!ok) return NULL;
  const int32_t rows = rows_arg(env, argv[1], 0x7fffffff, &ok);
  if (!ok) return NULL;
  const int var = d[0] != FS_AE;
  const float *x = array(env, argv[2], napi_float32_array, (size_t)rows * d[1], 0, "x", &ok);
  const float *w = ok ? array(env, argv[3], napi_float32_array, rows, 0, "w", &ok) : NULL;
  const float *noise = ok ? array(env, argv[4], napi_float32_array, (size_t)rows * d[2], !var, "noise", &ok) : NULL;
  const float *prior = ok ? array(env, argv[5], napi_float32_array, 2 * d[2] + 1, !var, "prior", &ok) : NULL;
  const float *params = ok ? array(env, argv[6], napi_float32_array, d[4], 0, "params", &ok) : NULL;
  double *sums = ok ? array(env, argv[7], napi_float64_array, 3, 0, "sums", &ok) : NULL;
  if (!ok) return NULL;
  return int_value(env, fs_evaluate(ws, rows, x, w, noise, prior, params, sums));
}

static napi_value score(napi_env env, napi_callback_info info) {
  ARGS(6);
  int32_t d[5];
  void *ws = workspace(env, argv[0], d, &ok);
  if (!ok) return NULL;
  const int32_t rows = rows_arg(env, argv[1], 0x7fffffff, &ok);
  if (!ok) return NULL;
  const float *x = array(env, argv[2], napi_float32_array, (size_t)rows * d[1], 0, "x", &ok);
  const float *params = ok ? array(env, argv[3], napi_float32_array, d[4], 0, "params", &ok) : NULL;
  float *mse = ok ? array(env, argv[4], napi_float32_array, rows, 0, "mse", &ok) : NULL;
  float *latent = ok ? array(env, argv[5], napi_float32_array, (size_t)rows * d[2], 1, "latent", &ok) : NULL;
  if (!ok) return NULL;
  return int_value(env, fs_score(ws, rows, x, params, mse, latent));
}

static napi_value destroy(napi_env env, napi_callback_info info) {
  ARGS(1);
  handle_t *h = handle(env, argv[0], &ok);
  if (!h) return NULL;
  release(env, h);
  return NULL;
}

static napi_value last_grad_norm(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t d[5];
  void *ws = workspace(env, argv[0], d, &ok);
  if (!ok) return NULL;
  napi_value out;
  CHECK(napi_create_double(env, fs_last_grad_norm(ws), &out));
  return out;
}

static napi_value vector_width(napi_env env, napi_callback_info info) {
  (void)info;
  return int_value(env, fs_vector_width());
}

static napi_value expf_(napi_env env, napi_callback_info info) {
  ARGS(1);
  const double x = number(env, argv[0], &ok);
  if (!ok) return NULL;
  napi_value out;
  CHECK(napi_create_double(env, fs_expf((float)x), &out));
  return out;
}

NAPI_MODULE_INIT() {
  const napi_property_descriptor methods[] = {
      {"create", NULL, create, NULL, NULL, NULL, napi_default, NULL},
      {"dims", NULL, dims, NULL, NULL, NULL, napi_default, NULL},
      {"gradient", NULL, gradient, NULL, NULL, NULL, napi_default, NULL},
      {"trainStep", NULL, train_step, NULL, NULL, NULL, napi_default, NULL},
      {"evaluate", NULL, evaluate, NULL, NULL, NULL, napi_default, NULL},
      {"score", NULL, score, NULL, NULL, NULL, napi_default, NULL},
      {"lastGradNorm", NULL, last_grad_norm, NULL, NULL, NULL, napi_default, NULL},
      {"destroy", NULL, destroy, NULL, NULL, NULL, napi_default, NULL},
      {"vectorWidth", NULL, vector_width, NULL, NULL, NULL, napi_default, NULL},
      {"expf", NULL, expf_, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods) != napi_ok) return NULL;
  return exports;
}
