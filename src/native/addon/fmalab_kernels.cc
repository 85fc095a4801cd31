// fmalab's own native training kernels: the memory-bound passes around the BLAS GEMMs (im2col, col2im,
// batch-norm statistics and gradients, max-pool and ReLU gradients), on every core. They work in place on
// the Float32Arrays they are given (views of the tfjs wasm heap), so nothing is copied. Built at install
// time by node-gyp (scripts/build-addon.mjs); src/native/kernels.ts loads it and the JavaScript twins in
// src/tf take over when it is absent. Plain N-API (no node-addon-api), a small persistent thread pool
// (condition variables: its threads sleep while OpenBLAS's run), no -march flags (one build must run on
// every machine of a cluster that shares the checkout).
#include <node_api.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace {

// ---- thread pool ------------------------------------------------------------------------------------

class Pool {
 public:
  ~Pool() { Resize(1); }

  int Size() const { return static_cast<int>(workers_.size()) + 1; }
  // The most chunks one For call makes (callers keeping per-chunk partial results size them by this).
  int MaxChunks() const { return Size() * 8; }

  void Resize(int threads) {
    threads = std::max(1, threads);
    if (threads == Size()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      ++generation_;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    stop_ = false;
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { Loop(); });
  }

  // fn(begin, end) over [0, n) in chunks that the caller's thread and the workers take in turn (a
  // descheduled thread on a busy machine then delays one small chunk, not a fixed share). Small jobs
  // (n < 2 · minPerThread) run on the caller alone.
  void For(int64_t n, int64_t minPerThread, const std::function<void(int64_t, int64_t)>& fn) {
    ForChunks(n, minPerThread, [&fn](int64_t b, int64_t e, int64_t) { fn(b, e); });
  }

  // As For, with each chunk's index (0 ≤ index < MaxChunks()): partial results kept per chunk and combined
  // in index order are the same whichever thread ran which chunk (deterministic for a fixed thread count).
  void ForChunks(int64_t n, int64_t minPerThread, const std::function<void(int64_t, int64_t, int64_t)>& fn) {
    const int64_t grain = std::max<int64_t>(1, minPerThread);
    const int parts = static_cast<int>(std::min<int64_t>(Size(), std::max<int64_t>(1, n / grain)));
    if (parts <= 1) {
      if (n > 0) fn(0, n, 0);
      return;
    }
    const int64_t chunks = std::min<int64_t>(n / grain, MaxChunks());
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = &fn;
      jobN_ = n;
      jobChunks_ = chunks;
      next_.store(0);
      pending_ = chunks;
      ++generation_;
    }
    wake_.notify_all();
    RunChunks();
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
  }

 private:
  // Take chunks until none is left; the last chunk done wakes the caller.
  void RunChunks() {
    int64_t finished = 0;
    for (;;) {
      const int64_t c = next_.fetch_add(1);
      if (c >= jobChunks_) break;
      (*job_)(jobN_ * c / jobChunks_, jobN_ * (c + 1) / jobChunks_, c);
      ++finished;
    }
    if (finished == 0) return;
    std::lock_guard<std::mutex> lock(mu_);
    pending_ -= finished;
    if (pending_ == 0) done_.notify_one();
  }

  void Loop() {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stop_) return;
        if (job_ == nullptr) continue;
      }
      RunChunks();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  uint64_t generation_ = 0;
  bool stop_ = false;
  const std::function<void(int64_t, int64_t, int64_t)>* job_ = nullptr;
  int64_t jobN_ = 0;
  int64_t jobChunks_ = 0;
  std::atomic<int64_t> next_{0};
  int64_t pending_ = 0;
};

Pool& pool() {
  static Pool* p = new Pool();  // one per process (worker threads share it; calls are serialised below)
  return *p;
}
std::mutex callMutex;  // one kernel at a time per process: the pool has one job slot

// ---- argument helpers ------------------------------------------------------------------------------

struct F32 {
  float* data;
  int64_t length;
};

bool Fail(napi_env env, const char* what) {
  napi_throw_type_error(env, nullptr, what);
  return false;
}

// The data and element count of a typed array of the given type; false (a TypeError thrown) otherwise.
bool GetTypedArray(napi_env env, napi_value v, napi_typedarray_type want, void** data, size_t* length, const char* name) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (!is) return Fail(env, name);
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  napi_get_typedarray_info(env, v, &type, length, data, &buffer, &offset);
  if (type != want) return Fail(env, name);
  return true;
}

bool GetF32(napi_env env, napi_value v, F32* out, const char* name) {
  void* data;
  size_t length;
  if (!GetTypedArray(env, v, napi_float32_array, &data, &length, name)) return false;
  out->data = static_cast<float*>(data);
  out->length = static_cast<int64_t>(length);
  return true;
}

bool GetI32Array(napi_env env, napi_value v, int32_t* out, size_t count, const char* name) {
  void* data;
  size_t length;
  if (!GetTypedArray(env, v, napi_int32_array, &data, &length, name)) return false;
  if (length < count) return Fail(env, name);
  std::memcpy(out, data, count * sizeof(int32_t));
  return true;
}

bool GetNumber(napi_env env, napi_value v, double* out, const char* name) {
  if (napi_get_value_double(env, v, out) != napi_ok) return Fail(env, name);
  return true;
}

std::vector<napi_value> Args(napi_env env, napi_callback_info info, size_t count) {
  std::vector<napi_value> argv(count);
  size_t argc = count;
  napi_get_cb_info(env, info, &argc, argv.data(), nullptr, nullptr);
  if (argc < count) {
    napi_throw_type_error(env, nullptr, "too few arguments");
    argv.clear();
  }
  return argv;
}

napi_value Undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// ---- convolution geometry ---------------------------------------------------------------------------

struct Geometry {
  int64_t N, H, W, C, kH, kW, sH, sW, dH, dW, pt, pl, oH, oW;
};

bool GetGeometry(napi_env env, napi_value v, Geometry* g) {
  int32_t a[14];
  if (!GetI32Array(env, v, a, 14, "geometry: Int32Array [N, H, W, C, kH, kW, sH, sW, dH, dW, pt, pl, oH, oW]")) return false;
  *g = {a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13]};
  return true;
}

// im2col(x, geometry, r0, r1, col): col rows for output pixels r0 ≤ r < r1, each K = kH·kW·C wide.
napi_value Im2col(napi_env env, napi_callback_info info) {
  auto argv = Args(env, info, 5);
  if (argv.empty()) return nullptr;
  F32 x, col;
  Geometry g;
  double r0d, r1d;
  if (!GetF32(env, argv[0], &x, "x: Float32Array") || !GetGeometry(env, argv[1], &g) || !GetNumber(env, argv[2], &r0d, "r0") ||
      !GetNumber(env, argv[3], &r1d, "r1") || !GetF32(env, argv[4], &col, "col: Float32Array"))
    return nullptr;
  const int64_t r0 = static_cast<int64_t>(r0d), r1 = static_cast<int64_t>(r1d);
  const int64_t K = g.kH * g.kW * g.C;
  if (r1 < r0 || (r1 - r0) * K > col.length || g.N * g.H * g.W * g.C > x.length) {
    napi_throw_range_error(env, nullptr, "im2col: arrays too small for the geometry");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(callMutex);
  pool().For(r1 - r0, 256, [&](int64_t b, int64_t e) {
    for (int64_t r = r0 + b; r < r0 + e; ++r) {
      const int64_t j = r % g.oW, i = (r / g.oW) % g.oH, n = r / (g.oW * g.oH);
      float* d = col.data + (r - r0) * K;
      for (int64_t a = 0; a < g.kH; ++a) {
        const int64_t h = i * g.sH - g.pt + a * g.dH;
        for (int64_t bb = 0; bb < g.kW; ++bb, d += g.C) {
          const int64_t w = j * g.sW - g.pl + bb * g.dW;
          if (h < 0 || h >= g.H || w < 0 || w >= g.W) std::memset(d, 0, g.C * sizeof(float));
          else std::memcpy(d, x.data + ((n * g.H + h) * g.W + w) * g.C, g.C * sizeof(float));
        }
      }
    }
  });
  return Undefined(env);
}

// col2imAdd(col, geometry, r0, r1, dx): dx += the col rows r0 ≤ r < r1 put back on their pixels. Gathered
// per input pixel (each thread owns whole pixel rows), so no two threads add into one element.
napi_value Col2imAdd(napi_env env, napi_callback_info info) {
  auto argv = Args(env, info, 5);
  if (argv.empty()) return nullptr;
  F32 col, dx;
  Geometry g;
  double r0d, r1d;
  if (!GetF32(env, argv[0], &col, "col: Float32Array") || !GetGeometry(env, argv[1], &g) || !GetNumber(env, argv[2], &r0d, "r0") ||
      !GetNumber(env, argv[3], &r1d, "r1") || !GetF32(env, argv[4], &dx, "dx: Float32Array"))
    return nullptr;
  const int64_t r0 = static_cast<int64_t>(r0d), r1 = static_cast<int64_t>(r1d);
  const int64_t K = g.kH * g.kW * g.C;
  if (r1 <= r0) return Undefined(env);
  if ((r1 - r0) * K > col.length || g.N * g.H * g.W * g.C > dx.length) {
    napi_throw_range_error(env, nullptr, "col2imAdd: arrays too small for the geometry");
    return nullptr;
  }
  const int64_t perImage = g.oH * g.oW;
  const int64_t n0 = r0 / perImage, n1 = (r1 - 1) / perImage;
  std::lock_guard<std::mutex> lock(callMutex);
  pool().For((n1 - n0 + 1) * g.H, 4, [&](int64_t b, int64_t e) {
    for (int64_t q = b; q < e; ++q) {
      const int64_t n = n0 + q / g.H, h = q % g.H;
      for (int64_t w = 0; w < g.W; ++w) {
        float* d = dx.data + ((n * g.H + h) * g.W + w) * g.C;
        for (int64_t a = 0; a < g.kH; ++a) {
          const int64_t t = h + g.pt - a * g.dH;
          if (t < 0 || t % g.sH != 0 || t / g.sH >= g.oH) continue;
          const int64_t i = t / g.sH;
          for (int64_t bb = 0; bb < g.kW; ++bb) {
            const int64_t u = w + g.pl - bb * g.dW;
            if (u < 0 || u % g.sW != 0 || u / g.sW >= g.oW) continue;
            const int64_t r = (n * g.oH + i) * g.oW + u / g.sW;
            if (r < r0 || r >= r1) continue;
            const float* s = col.data + (r - r0) * K + (a * g.kW + bb) * g.C;
            for (int64_t c = 0; c < g.C; ++c) d[c] += s[c];
          }
        }
      }
    }
  });
  return Undefined(env);
}

// ---- batch normalisation over rows × C -------------------------------------------------------------

// bnMoments(x, C, mean, variance): per-channel mean and biased variance (float64 sums, shifted by row 0).
napi_value BnMoments(napi_env env, napi_callback_info info) {
  auto argv = Args(env, info, 4);
  if (argv.empty()) return nullptr;
  F32 x, mean, var;
  double cd;
  if (!GetF32(env, argv[0], &x, "x: Float32Array") || !GetNumber(env, argv[1], &cd, "channels") || !GetF32(env, argv[2], &mean, "mean: Float32Array") ||
      !GetF32(env, argv[3], &var, "variance: Float32Array"))
    return nullptr;
  const int64_t C = static_cast<int64_t>(cd);
  if (C <= 0 || x.length % C != 0 || x.length == 0 || mean.length < C || var.length < C) {
    napi_throw_range_error(env, nullptr, "bnMoments: x must be a non-empty rows × channels array");
    return nullptr;
  }
  const int64_t rows = x.length / C;
  std::vector<double> shift(x.data, x.data + C);
  std::lock_guard<std::mutex> lock(callMutex);
  const int parts = pool().MaxChunks();  // one partial sum per chunk
  std::vector<double> sums(static_cast<size_t>(parts) * 2 * C, 0.0);
  pool().ForChunks(rows, 1024, [&](int64_t b, int64_t e, int64_t chunk) {
    double* s = sums.data() + static_cast<size_t>(chunk) * 2 * C;
    double* q = s + C;
    for (int64_t r = b; r < e; ++r) {
      const float* row = x.data + r * C;
      for (int64_t c = 0; c < C; ++c) {
        const double v = row[c] - shift[c];
        s[c] += v;
        q[c] += v * v;
      }
    }
  });
  for (int64_t c = 0; c < C; ++c) {
    double s = 0, q = 0;
    for (int p = 0; p < parts; ++p) {
      s += sums[static_cast<size_t>(p) * 2 * C + c];
      q += sums[static_cast<size_t>(p) * 2 * C + C + c];
    }
    const double m = s / rows;
    mean.data[c] = static_cast<float>(shift[c] + m);
    var.data[c] = static_cast<float>(std::max(0.0, q / rows - m * m));
  }
  return Undefined(env);
}

// bnNormalise(x, mean, variance, gamma, beta, epsilon, y): y = (x − mean)·γ/√(var + ε) + β.
napi_value BnNormalise(napi_env env, napi_callback_info info) {
  auto argv = Args(env, info, 7);
  if (argv.empty()) return nullptr;
  F32 x, mean, var, gamma, beta, y;
  double eps;
  if (!GetF32(env, argv[0], &x, "x") || !GetF32(env, argv[1], &mean, "mean") || !GetF32(env, argv[2], &var, "variance") || !GetF32(env, argv[3], &gamma, "gamma") ||
      !GetF32(env, argv[4], &beta, "beta") || !GetNumber(env, argv[5], &eps, "epsilon") || !GetF32(env, argv[6], &y, "y"))
    return nullptr;
  const int64_t C = mean.length;
  if (C == 0 || x.length % C != 0 || y.length < x.length || var.length < C || gamma.length < C || beta.length < C) {
    napi_throw_range_error(env, nullptr, "bnNormalise: shapes do not match");
    return nullptr;
  }
  std::vector<double> scale(C), m(mean.data, mean.data + C), b(beta.data, beta.data + C);
  for (int64_t c = 0; c < C; ++c) scale[c] = gamma.data[c] / std::sqrt(static_cast<double>(var.data[c]) + eps);
  std::lock_guard<std::mutex> lock(callMutex);
  pool().For(x.length / C, 1024, [&](int64_t rb, int64_t re) {
    for (int64_t r = rb; r < re; ++r) {
      const float* xr = x.data + r * C;
      float* yr = y.data + r * C;
      for (int64_t c = 0; c < C; ++c) yr[c] = static_cast<float>((xr[c] - m[c]) * scale[c] + b[c]);
    }
  });
  return Undefined(env);
}

// bnGrad(dy, x, mean, variance, gamma, epsilon, dx, dgamma, dbeta): the gradient of normalise(x, moments(x)).
napi_value BnGrad(napi_env env, napi_callback_info info) {
  auto argv = Args(env, info, 9);
  if (argv.empty()) return nullptr;
  F32 dy, x, mean, var, gamma, dx, dgamma, dbeta;
  double eps;
  if (!GetF32(env, argv[0], &dy, "dy") || !GetF32(env, argv[1], &x, "x") || !GetF32(env, argv[2], &mean, "mean") || !GetF32(env, argv[3], &var, "variance") ||
      !GetF32(env, argv[4], &gamma, "gamma") || !GetNumber(env, argv[5], &eps, "epsilon") || !GetF32(env, argv[6], &dx, "dx") ||
      !GetF32(env, argv[7], &dgamma, "dgamma") || !GetF32(env, argv[8], &dbeta, "dbeta"))
    return nullptr;
  const int64_t C = mean.length;
  if (C == 0 || x.length % C != 0 || dy.length != x.length || dx.length < x.length || var.length < C || gamma.length < C || dgamma.length < C || dbeta.length < C) {
    napi_throw_range_error(env, nullptr, "bnGrad: shapes do not match");
    return nullptr;
  }
  const int64_t rows = x.length / C;
  std::vector<double> m(mean.data, mean.data + C), invStd(C);
  for (int64_t c = 0; c < C; ++c) invStd[c] = 1.0 / std::sqrt(static_cast<double>(var.data[c]) + eps);
  std::lock_guard<std::mutex> lock(callMutex);
  const int parts = pool().MaxChunks();  // one partial sum per chunk
  std::vector<double> sums(static_cast<size_t>(parts) * 2 * C, 0.0);
  pool().ForChunks(rows, 1024, [&](int64_t b, int64_t e, int64_t chunk) {
    double* sdy = sums.data() + static_cast<size_t>(chunk) * 2 * C;
    double* sdyx = sdy + C;
    for (int64_t r = b; r < e; ++r) {
      const float* g = dy.data + r * C;
      const float* xr = x.data + r * C;
      for (int64_t c = 0; c < C; ++c) {
        sdy[c] += g[c];
        sdyx[c] += g[c] * (xr[c] - m[c]);
      }
    }
  });
  std::vector<double> a(C), bcoef(C), d(C);
  for (int64_t c = 0; c < C; ++c) {
    double sdy = 0, sdyx = 0;
    for (int p = 0; p < parts; ++p) {
      sdy += sums[static_cast<size_t>(p) * 2 * C + c];
      sdyx += sums[static_cast<size_t>(p) * 2 * C + C + c];
    }
    dbeta.data[c] = static_cast<float>(sdy);
    dgamma.data[c] = static_cast<float>(sdyx * invStd[c]);
    a[c] = gamma.data[c] * invStd[c];
    bcoef[c] = -a[c] * invStd[c] * invStd[c] * (sdyx / rows);
    d[c] = -a[c] * (sdy / rows);
  }
  pool().For(rows, 1024, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* g = dy.data + r * C;
      const float* xr = x.data + r * C;
      float* o = dx.data + r * C;
      for (int64_t c = 0; c < C; ++c) o[c] = static_cast<float>(a[c] * g[c] + bcoef[c] * (xr[c] - m[c]) + d[c]);
    }
  });
  return Undefined(env);
}

// ---- pooling and activation gradients --------------------------------------------------------------

// maxPoolGrad(x, dy, geometry, dx): dx = 0, then each dy element added at the first maximum of its window
// (NaN loses to a number, as the JavaScript twin). geometry as for im2col with C = channels, k = window.
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  auto argv = Args(env, info, 4);
  if (argv.empty()) return nullptr;
  F32 x, dy, dx;
  Geometry g;
  if (!GetF32(env, argv[0], &x, "x") || !GetF32(env, argv[1], &dy, "dy") || !GetGeometry(env, argv[2], &g) || !GetF32(env, argv[3], &dx, "dx")) return nullptr;
  if (g.N * g.H * g.W * g.C > x.length || dx.length < x.length || g.N * g.oH * g.oW * g.C > dy.length) {
    napi_throw_range_error(env, nullptr, "maxPoolGrad: arrays too small for the geometry");
    return nullptr;
  }
  const bool disjoint = g.sH >= g.kH && g.sW >= g.kW;
  std::lock_guard<std::mutex> lock(callMutex);
  std::memset(dx.data, 0, static_cast<size_t>(g.N * g.H * g.W * g.C) * sizeof(float));
  // Disjoint windows: threads own output rows; overlapping windows: whole images.
  const int64_t units = disjoint ? g.N * g.oH : g.N;
  pool().For(units, 1, [&](int64_t b, int64_t e) {
    std::vector<int64_t> offsets(static_cast<size_t>(g.kH * g.kW));
    for (int64_t u = b; u < e; ++u) {
      const int64_t n = disjoint ? u / g.oH : u;
      const int64_t iBegin = disjoint ? u % g.oH : 0, iEnd = disjoint ? iBegin + 1 : g.oH;
      for (int64_t i = iBegin; i < iEnd; ++i) {
        const int64_t rs = std::max<int64_t>(0, i * g.sH - g.pt), re = std::min<int64_t>(g.H, i * g.sH - g.pt + g.kH);
        for (int64_t j = 0; j < g.oW; ++j) {
          const int64_t cs = std::max<int64_t>(0, j * g.sW - g.pl), ce = std::min<int64_t>(g.W, j * g.sW - g.pl + g.kW);
          size_t count = 0;
          for (int64_t r = rs; r < re; ++r)
            for (int64_t cc = cs; cc < ce; ++cc) offsets[count++] = ((n * g.H + r) * g.W + cc) * g.C;
          if (count == 0) continue;
          const float* gr = dy.data + ((n * g.oH + i) * g.oW + j) * g.C;
          for (int64_t c = 0; c < g.C; ++c) {
            int64_t best = offsets[0] + c;
            float bestValue = x.data[best];
            for (size_t k = 1; k < count; ++k) {
              const int64_t p = offsets[k] + c;
              const float v = x.data[p];
              if (v > bestValue || (bestValue != bestValue && v == v)) {
                bestValue = v;
                best = p;
              }
            }
            dx.data[best] += gr[c];
          }
        }
      }
    }
  });
  return Undefined(env);
}

// leakyReluGrad(dy, x, alpha, dx, nanIsNaN): dx = dy where x > 0, else alpha·dy. alpha 0 with nanIsNaN is
// tfjs-core's ReLU gradient, dy·step(x), where step(NaN) is NaN; LeakyRelu's (a select) gives alpha·dy there.
napi_value LeakyReluGrad(napi_env env, napi_callback_info info) {
  auto argv = Args(env, info, 5);
  if (argv.empty()) return nullptr;
  F32 dy, x, dx;
  double alpha;
  bool nanIsNaN = false;
  if (!GetF32(env, argv[0], &dy, "dy") || !GetF32(env, argv[1], &x, "x") || !GetNumber(env, argv[2], &alpha, "alpha") || !GetF32(env, argv[3], &dx, "dx")) return nullptr;
  if (napi_get_value_bool(env, argv[4], &nanIsNaN) != napi_ok) {
    Fail(env, "nanIsNaN: boolean");
    return nullptr;
  }
  if (dy.length != x.length || dx.length < x.length) {
    napi_throw_range_error(env, nullptr, "leakyReluGrad: lengths differ");
    return nullptr;
  }
  const float a = static_cast<float>(alpha);
  std::lock_guard<std::mutex> lock(callMutex);
  pool().For(x.length, 1 << 16, [&](int64_t b, int64_t e) {
    if (nanIsNaN) {
      for (int64_t k = b; k < e; ++k) {
        const float v = x.data[k];
        dx.data[k] = v > 0 ? dy.data[k] : (v != v ? v : a * dy.data[k]);
      }
    } else {
      for (int64_t k = b; k < e; ++k) dx.data[k] = x.data[k] > 0 ? dy.data[k] : a * dy.data[k];
    }
  });
  return Undefined(env);
}

// leakyRelu(x, alpha, y): y = x < 0 ? alpha·x : x (tfjs's definition; NaN passes through). The wasm
// package's kernel is a scalar loop on one thread, ≈3× its Relu: on seed_v2_224 ≈240 ms of a step.
napi_value LeakyRelu(napi_env env, napi_callback_info info) {
  auto argv = Args(env, info, 3);
  if (argv.empty()) return nullptr;
  F32 x, y;
  double alpha;
  if (!GetF32(env, argv[0], &x, "x: Float32Array") || !GetNumber(env, argv[1], &alpha, "alpha") || !GetF32(env, argv[2], &y, "y: Float32Array")) return nullptr;
  if (x.length != y.length) {
    napi_throw_range_error(env, nullptr, "leakyRelu: lengths differ");
    return nullptr;
  }
  const float a = static_cast<float>(alpha);
  std::lock_guard<std::mutex> lock(callMutex);
  pool().For(x.length, 1 << 16, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      const float v = x.data[k];
      y.data[k] = v < 0 ? a * v : v;
    }
  });
  return Undefined(env);
}

// axpy(x, alpha, y): y += alpha·x in place (SGD's update on the variable's own memory: one pass where tfjs
// makes alpha·g and then v + alpha·g on one thread, two passes and two new tensors the size of the model).
napi_value Axpy(napi_env env, napi_callback_info info) {
  auto argv = Args(env, info, 3);
  if (argv.empty()) return nullptr;
  F32 x, y;
  double alpha;
  if (!GetF32(env, argv[0], &x, "x: Float32Array") || !GetNumber(env, argv[1], &alpha, "alpha") || !GetF32(env, argv[2], &y, "y: Float32Array")) return nullptr;
  if (x.length != y.length) {
    napi_throw_range_error(env, nullptr, "axpy: lengths differ");
    return nullptr;
  }
  const float a = static_cast<float>(alpha);
  std::lock_guard<std::mutex> lock(callMutex);
  pool().For(x.length, 1 << 16, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      const float step = a * x.data[k];  // rounded on its own, as tfjs's mul then add
      y.data[k] = y.data[k] + step;
    }
  });
  return Undefined(env);
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  auto argv = Args(env, info, 1);
  if (argv.empty()) return nullptr;
  double n;
  if (!GetNumber(env, argv[0], &n, "threads")) return nullptr;
  std::lock_guard<std::mutex> lock(callMutex);
  pool().Resize(static_cast<int>(n));
  return Undefined(env);
}

napi_value Threads(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_int32(env, pool().Size(), &v);
  return v;
}

}  // namespace

NAPI_MODULE_INIT() {
  const struct {
    const char* name;
    napi_callback fn;
  } fns[] = {{"im2col", Im2col},   {"col2imAdd", Col2imAdd},     {"bnMoments", BnMoments},   {"bnNormalise", BnNormalise}, {"bnGrad", BnGrad},
             {"maxPoolGrad", MaxPoolGrad}, {"leakyReluGrad", LeakyReluGrad}, {"leakyRelu", LeakyRelu}, {"axpy", Axpy}, {"setThreads", SetThreads}, {"threads", Threads}};
  for (const auto& f : fns) {
    napi_value v;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &v);
    napi_set_named_property(env, exports, f.name, v);
  }
  return exports;
}
