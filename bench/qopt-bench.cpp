//===- qopt-bench.cpp - speed of the compiled optimizer updates -----------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Times, in one process on one core:
//  * the compiled fused quantized AdamW step (adam-step.mlir through
//    --qopt-lower-to-llvm, linked in as an object) on 16M parameters, against
//    a hand-written fused C++ loop doing the same work, an unfused C++
//    version (each quantization and each update line its own pass over
//    memory) and a STREAM-style triad;
//  * the same step with M and V stored narrow (adam-narrow.mlir: 16-bit
//    bf16 containers, 8-bit f8E4M3FN / f8E5M2 and 8-bit own codes in i8),
//    against the compiled step with f32 state in the same formats and the
//    hand-written fused f32 loop, next to the ratio of bytes moved;
//  * the compiled Muon step on a 1024x1024 weight (muon-step.mlir) against
//    the same step in C++ with OpenBLAS cblas_sgemm (single thread).
// Each compiled kernel and its baseline run alternately (A B A B ...); the
// report gives the median, minimum and maximum of the per-pair time ratios.
// It also checks that the compiled and hand-written results agree, and that
// narrow storage gives bit-identical weights and moments.
//
//  * standalone qopt.quantize to bf16 on 64M floats (quantize.mlir), into a
//    destination and in place, nearest-even, toward zero and stochastic,
//    against a copy loop and a hand-written quantizer.
// Usage: qopt-bench [pairs] [--csv] [--quantize-only] [--threads-only]
// [--muon-only] (Muon on 512x512, 1024x1024, 2048x512, 2048x2048). The CPU's
// flags are printed first: the kernels and baselines are compiled with
// -march=native, so the figures belong to that CPU. --csv adds one
// `name,median,min,max` row per figure.
//
//===----------------------------------------------------------------------===//

#include "qopt/Numerics/CounterHash.h"
#include "qopt/Numerics/StorageCodec.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

extern "C" void openblas_set_num_threads(int);

namespace {

template <int Rank> struct MemRef {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[Rank];
  int64_t strides[Rank];
};

/// A rank-1 descriptor of any element type (narrow containers).
struct RawMemRef1 {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
};

MemRef<1> view1(float *data, int64_t n) { return {data, data, 0, {n}, {1}}; }
RawMemRef1 rawView1(void *data, int64_t n) { return {data, data, 0, {n}, {1}}; }
MemRef<2> view2(float *data, int64_t rows, int64_t cols) {
  return {data, data, 0, {rows, cols}, {cols, 1}};
}

} // namespace

// The compiled kernels (C interface of the MLIR functions).
extern "C" void _mlir_ciface_adam_fused_bf16(MemRef<1> *w, MemRef<1> *g,
                                             MemRef<1> *m, MemRef<1> *v,
                                             int64_t t);
extern "C" void _mlir_ciface_muon_1024(MemRef<2> *w, MemRef<2> *g,
                                       MemRef<2> *b);
extern "C" void _mlir_ciface_muon_512(MemRef<2> *w, MemRef<2> *g, MemRef<2> *b);
extern "C" void _mlir_ciface_muon_2048(MemRef<2> *w, MemRef<2> *g,
                                       MemRef<2> *b);
extern "C" void _mlir_ciface_muon_2048x512(MemRef<2> *w, MemRef<2> *g,
                                           MemRef<2> *b);
// adam-narrow.mlir: f32 state in the 8-bit formats, and the narrow steps.
extern "C" void _mlir_ciface_adam_state_f32_f8(MemRef<1> *w, MemRef<1> *g,
                                               MemRef<1> *m, MemRef<1> *v,
                                               int64_t t);
extern "C" void _mlir_ciface_adam_state_f32_i8(MemRef<1> *w, MemRef<1> *g,
                                               MemRef<1> *m, MemRef<1> *v,
                                               int64_t t);
extern "C" void _mlir_ciface_adam_narrow_bf16(MemRef<1> *w, MemRef<1> *g,
                                              RawMemRef1 *m, RawMemRef1 *v,
                                              int64_t t);
extern "C" void _mlir_ciface_adam_narrow_f8(MemRef<1> *w, MemRef<1> *g,
                                            RawMemRef1 *m, RawMemRef1 *v,
                                            int64_t t);
extern "C" void _mlir_ciface_adam_narrow_i8(MemRef<1> *w, MemRef<1> *g,
                                            RawMemRef1 *m, RawMemRef1 *v,
                                            int64_t t);

// quantize.mlir: standalone bf16 quantization into a destination / in place.
extern "C" void _mlir_ciface_quantize_bf16_ne(MemRef<1> *x, MemRef<1> *y);
extern "C" void _mlir_ciface_quantize_bf16_tz(MemRef<1> *x, MemRef<1> *y);
extern "C" void _mlir_ciface_quantize_bf16_ne_in_place(MemRef<1> *x);
extern "C" void _mlir_ciface_quantize_bf16_sr(MemRef<1> *x, MemRef<1> *y,
                                              int64_t seed, int64_t step);
#ifdef QOPT_BENCH_OPENMP
// parallel.mlir, compiled with num-threads=0 (OpenMP).
extern "C" void _mlir_ciface_mt_adam_fused_bf16(MemRef<1> *w, MemRef<1> *g,
                                                MemRef<1> *m, MemRef<1> *v,
                                                int64_t t);
extern "C" void _mlir_ciface_mt_quantize_bf16_ne(MemRef<1> *x, MemRef<1> *y);
extern "C" void _mlir_ciface_mt_quantize_bf16_sr(MemRef<1> *x, MemRef<1> *y,
                                                 int64_t seed, int64_t step);
extern "C" void _mlir_ciface_mt_muon_1024(MemRef<2> *w, MemRef<2> *g,
                                          MemRef<2> *b);
extern "C" void omp_set_num_threads(int);
extern "C" int omp_get_max_threads();
#endif
/// The stream quantize.mlir gives its stochastic quantize.
constexpr uint64_t kQuantizeSrStream = 3;

namespace {

constexpr float kLr = 1.0e-3f, kBeta1 = 0.9f, kBeta2 = 0.999f, kEps = 1.0e-8f,
                kWd = 1.0e-2f;

/// bf16 round-to-nearest-even on f32 storage (NaN kept quiet; overflow to
/// infinity by the carry into the exponent), the work each of the four
/// quantization points does.
inline float roundBf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    bits |= 0x00400000u;
  else
    bits = (bits + 0x7fffu + ((bits >> 16) & 1u)) & 0xffff0000u;
  std::memcpy(&x, &bits, 4);
  return x;
}

struct AdamState {
  std::vector<float> w, g, m, v;
  explicit AdamState(size_t n) : w(n), g(n), m(n), v(n) {
    uint64_t s = 0x9E3779B97F4A7C15ull;
    auto next = [&] {
      s ^= s << 13, s ^= s >> 7, s ^= s << 17;
      return static_cast<float>(s >> 40) / 16777216.0f - 0.5f;
    };
    for (size_t i = 0; i < n; ++i) {
      w[i] = next();
      g[i] = next() * 0.1f;
      m[i] = next() * 0.01f;
      v[i] = std::fabs(next()) * 1e-4f;
    }
  }
};

/// The hand-written fused loop: one pass, same formulas and order as the
/// op's specification.
__attribute__((noinline)) void
adamFusedCpp(float *__restrict w, const float *__restrict g,
             float *__restrict m, float *__restrict v, size_t n, int64_t t) {
  const float bc1 = 1.0f - std::pow(kBeta1, static_cast<float>(t));
  const float bc2 = 1.0f - std::pow(kBeta2, static_cast<float>(t));
  const float lrWd = kLr * kWd;
  for (size_t i = 0; i < n; ++i) {
    float gi = roundBf16(g[i]);
    float wi = w[i];
    float mi = kBeta1 * m[i] + (1.0f - kBeta1) * gi;
    float vi = kBeta2 * v[i] + (1.0f - kBeta2) * (gi * gi);
    float mHat = mi / bc1, vHat = vi / bc2;
    float wNew = wi - kLr * (mHat / (std::sqrt(vHat) + kEps)) - lrWd * wi;
    w[i] = roundBf16(wNew);
    m[i] = roundBf16(mi);
    v[i] = roundBf16(vi);
  }
}

/// The hand-written fused loop with M and V stored as bf16 codes: the same
/// work as adamFusedCpp, the moments read as code << 16 (NaN codes quiet)
/// and written as the rounded value's top half.
__attribute__((noinline)) void adamFusedCppBf16State(float *__restrict w,
                                                     const float *__restrict g,
                                                     uint16_t *__restrict m,
                                                     uint16_t *__restrict v,
                                                     size_t n, int64_t t) {
  const float bc1 = 1.0f - std::pow(kBeta1, static_cast<float>(t));
  const float bc2 = 1.0f - std::pow(kBeta2, static_cast<float>(t));
  const float lrWd = kLr * kWd;
  auto decode = [](uint16_t code) {
    uint32_t bits = static_cast<uint32_t>(code) << 16;
    if ((bits & 0x7fffffffu) > 0x7f800000u)
      bits |= 0x00400000u;
    float x;
    std::memcpy(&x, &bits, 4);
    return x;
  };
  auto encode = [](float x) {
    uint32_t bits;
    std::memcpy(&bits, &x, 4);
    return static_cast<uint16_t>(bits >> 16);
  };
  for (size_t i = 0; i < n; ++i) {
    float gi = roundBf16(g[i]);
    float wi = w[i];
    float mi = kBeta1 * decode(m[i]) + (1.0f - kBeta1) * gi;
    float vi = kBeta2 * decode(v[i]) + (1.0f - kBeta2) * (gi * gi);
    float mHat = mi / bc1, vHat = vi / bc2;
    float wNew = wi - kLr * (mHat / (std::sqrt(vHat) + kEps)) - lrWd * wi;
    w[i] = roundBf16(wNew);
    m[i] = encode(roundBf16(mi));
    v[i] = encode(roundBf16(vi));
  }
}

/// The unfused version: each quantization and each line of the update is
/// its own loop over memory, with temporaries for g_q, m_hat, v_hat and the
/// old weight.
struct AdamUnfused {
  std::vector<float> gq, mHat, vHat, wOld;
  explicit AdamUnfused(size_t n) : gq(n), mHat(n), vHat(n), wOld(n) {}

  __attribute__((noinline)) void step(float *__restrict w,
                                      const float *__restrict g,
                                      float *__restrict m, float *__restrict v,
                                      size_t n, int64_t t) {
    const float bc1 = 1.0f - std::pow(kBeta1, static_cast<float>(t));
    const float bc2 = 1.0f - std::pow(kBeta2, static_cast<float>(t));
    float *__restrict q = gq.data();
    float *__restrict mh = mHat.data();
    float *__restrict vh = vHat.data();
    float *__restrict wo = wOld.data();
    for (size_t i = 0; i < n; ++i)
      q[i] = roundBf16(g[i]);
    for (size_t i = 0; i < n; ++i)
      m[i] = kBeta1 * m[i] + (1.0f - kBeta1) * q[i];
    for (size_t i = 0; i < n; ++i)
      v[i] = kBeta2 * v[i] + (1.0f - kBeta2) * (q[i] * q[i]);
    for (size_t i = 0; i < n; ++i)
      mh[i] = m[i] / bc1;
    for (size_t i = 0; i < n; ++i)
      vh[i] = v[i] / bc2;
    for (size_t i = 0; i < n; ++i)
      wo[i] = w[i];
    for (size_t i = 0; i < n; ++i)
      w[i] = w[i] - kLr * (mh[i] / (std::sqrt(vh[i]) + kEps));
    for (size_t i = 0; i < n; ++i)
      w[i] = w[i] - (kLr * kWd) * wo[i];
    for (size_t i = 0; i < n; ++i)
      w[i] = roundBf16(w[i]);
    for (size_t i = 0; i < n; ++i)
      m[i] = roundBf16(m[i]);
    for (size_t i = 0; i < n; ++i)
      v[i] = roundBf16(v[i]);
  }
};

__attribute__((noinline)) void triad(float *__restrict a,
                                     const float *__restrict b,
                                     const float *__restrict c, float s,
                                     size_t n) {
  for (size_t i = 0; i < n; ++i)
    a[i] = b[i] + s * c[i];
}

/// bf16 rounding as qopt.quantize specifies it: NaN becomes the quiet NaN
/// 0x7fc00000 with the input's sign; nearest-even overflows to infinity by
/// the carry into the exponent, toward zero truncates the low 16 bits.
inline float quantizeBf16(float x, bool nearestEven) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    bits = (bits & 0x80000000u) | 0x7fc00000u;
  else if (nearestEven)
    bits = (bits + 0x7fffu + ((bits >> 16) & 1u)) & 0xffff0000u;
  else
    bits &= 0xffff0000u;
  std::memcpy(&x, &bits, 4);
  return x;
}

/// The copy loop: 4 bytes read and 4 written per element, vectorised with
/// ordinary stores like the compiled kernels (not turned into a memcpy
/// call, whose non-temporal stores skip the write-allocate).
__attribute__((noinline, no_builtin("memcpy"))) void
copyLoop(float *__restrict y, const float *__restrict x, size_t n) {
  for (size_t i = 0; i < n; ++i)
    y[i] = x[i];
}

/// The hand-written quantizers (portable C++, auto-vectorised).
__attribute__((noinline)) void
quantizeBf16NeCpp(float *__restrict y, const float *__restrict x, size_t n) {
  for (size_t i = 0; i < n; ++i)
    y[i] = quantizeBf16(x[i], true);
}
__attribute__((noinline)) void
quantizeBf16TzCpp(float *__restrict y, const float *__restrict x, size_t n) {
  for (size_t i = 0; i < n; ++i)
    y[i] = quantizeBf16(x[i], false);
}
__attribute__((noinline)) void quantizeBf16NeInPlaceCpp(float *x, size_t n) {
  for (size_t i = 0; i < n; ++i)
    x[i] = quantizeBf16(x[i], true);
}

/// Stochastic rounding to bf16 with 16 random bits: add them below the kept
/// bits and truncate (a carry into the exponent overflows to infinity, as
/// qopt.quantize specifies); NaN becomes the quiet NaN of its sign.
inline float quantizeBf16Stochastic(float x, uint32_t random) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  uint32_t sign = bits & 0x80000000u, abs = bits & 0x7fffffffu;
  uint32_t out = abs > 0x7f800000u ? 0x7fc00000u
                                   : (abs + (random & 0xffffu)) & 0xffff0000u;
  out |= sign;
  std::memcpy(&x, &out, 4);
  return x;
}
/// The hand-written stochastic quantizer: the random bits from the same
/// 32-bit counter hash (CounterHash.h, portable C++, auto-vectorised).
__attribute__((noinline)) void quantizeBf16SrCpp(float *__restrict y,
                                                 const float *__restrict x,
                                                 size_t n, uint64_t seed,
                                                 uint64_t step) {
  const uint64_t key = mlir::qopt::stochasticKey(seed, step, kQuantizeSrStream);
  for (size_t i = 0; i < n; ++i)
    y[i] =
        quantizeBf16Stochastic(x[i], mlir::qopt::stochasticBitsForKey(key, i));
}

double seconds(const std::function<void()> &fn) {
  auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

struct Stats {
  double median, min, max;
};

Stats stats(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  size_t n = xs.size();
  double median = n % 2 ? xs[n / 2] : 0.5 * (xs[n / 2 - 1] + xs[n / 2]);
  return {median, xs.front(), xs.back()};
}

/// Runs `a` and `b` alternately `pairs` times after one warm-up each;
/// returns the times of each and the per-pair ratios a/b.
struct PairTimes {
  std::vector<double> a, b, ratio;
};
PairTimes alternate(int pairs, const std::function<void()> &a,
                    const std::function<void()> &b) {
  a();
  b();
  PairTimes out;
  for (int i = 0; i < pairs; ++i) {
    double ta = seconds(a), tb = seconds(b);
    out.a.push_back(ta);
    out.b.push_back(tb);
    out.ratio.push_back(ta / tb);
  }
  return out;
}

/// The figures of the run, for --csv.
struct CsvRow {
  std::string name;
  Stats stats;
};
std::vector<CsvRow> csvRows;

void record(const std::string &name, const Stats &s) {
  csvRows.push_back({name, s});
}

/// Prints a ratio figure and records it under `name`.
void printRatio(const char *what, const std::vector<double> &ratios,
                const std::string &name) {
  Stats s = stats(ratios);
  std::printf("  %-44s median %.3f  (min %.3f, max %.3f)\n", what, s.median,
              s.min, s.max);
  record(name, s);
}

/// Prints the CPU model and flags: the kernels and baselines are compiled
/// for this CPU (-march=native), which decides the vector width they use.
void printCpu() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model = "unknown", flags = "unknown";
  bool haveModel = false, haveFlags = false;
  while (std::getline(cpuinfo, line) && !(haveModel && haveFlags)) {
    auto value = [&] {
      size_t colon = line.find(':');
      return colon == std::string::npos ? std::string()
                                        : line.substr(colon + 2);
    };
    if (!haveModel && line.rfind("model name", 0) == 0) {
      model = value();
      haveModel = true;
    } else if (!haveFlags && line.rfind("flags", 0) == 0) {
      flags = value();
      haveFlags = true;
    }
  }
  std::printf("CPU: %s\nCPU flags: %s\n", model.c_str(), flags.c_str());
}

//===----------------------------------------------------------------------===//
// Muon with OpenBLAS
//===----------------------------------------------------------------------===//

/// The Muon step of qopt.muon_update (defaults) on a rows x cols weight with
/// the Newton-Schulz matmuls on cblas_sgemm. As in the lowering, a tall
/// weight is orthogonalised transposed (X is short x long).
struct MuonBlas {
  int64_t rows, cols, shortDim, longDim;
  std::vector<float> u, x, a, aa, next;
  MuonBlas(int64_t rows, int64_t cols)
      : rows(rows), cols(cols), shortDim(std::min(rows, cols)),
        longDim(std::max(rows, cols)), u(rows * cols), x(rows * cols),
        a(shortDim * shortDim), aa(shortDim * shortDim), next(rows * cols) {}

  __attribute__((noinline)) void
  step(float *__restrict w, const float *__restrict g, float *__restrict b) {
    const float mu = 0.95f, lr = 2.0e-2f, eps = 1.0e-7f;
    const float ca = 3.4445f, cb = -4.7750f, cc = 2.0315f;
    const size_t size = rows * cols;
    const bool transposed = rows > cols;
    const int64_t m = shortDim, n = longDim;
    for (size_t i = 0; i < size; ++i) {
      float b1 = mu * b[i] + g[i];
      b[i] = b1;
      u[i] = g[i] + mu * b1;
    }
    float sum = 0.0f;
    for (size_t i = 0; i < size; ++i)
      sum += u[i] * u[i];
    float denom = std::sqrt(sum) + eps;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        x[transposed ? c * rows + r : r * cols + c] = u[r * cols + c] / denom;
    for (int s = 0; s < 5; ++s) {
      // A = X X^T, A A, then next = a X + (b A + c A A) X.
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, m, n, 1.0f,
                  x.data(), n, x.data(), n, 0.0f, a.data(), m);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, m, m, 1.0f,
                  a.data(), m, a.data(), m, 0.0f, aa.data(), m);
      for (size_t i = 0; i < size_t(m * m); ++i)
        aa[i] = cb * a[i] + cc * aa[i];
      for (size_t i = 0; i < size; ++i)
        next[i] = ca * x[i];
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, m, 1.0f,
                  aa.data(), m, x.data(), n, 1.0f, next.data(), n);
      std::swap(x, next);
    }
    const float lrScale =
        lr * std::sqrt(std::max(1.0f, float(rows) / float(cols)));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        w[r * cols + c] -=
            lrScale * x[transposed ? c * rows + r : r * cols + c];
  }
};

double maxRelDiff(const std::vector<float> &a, const std::vector<float> &b) {
  double scale = 0.0, diff = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    scale = std::max(scale, std::fabs(static_cast<double>(b[i])));
    diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - b[i]));
  }
  return scale > 0 ? diff / scale : diff;
}

//===----------------------------------------------------------------------===//
// Adam with M and V stored narrow
//===----------------------------------------------------------------------===//

using AdamStateF32Fn = void (*)(MemRef<1> *, MemRef<1> *, MemRef<1> *,
                                MemRef<1> *, int64_t);
using AdamNarrowFn = void (*)(MemRef<1> *, MemRef<1> *, RawMemRef1 *,
                              RawMemRef1 *, int64_t);

mlir::qopt::StorageLayout layout(unsigned e, unsigned m, bool fn) {
  mlir::qopt::StorageLayout l;
  l.expBits = e;
  l.manBits = m;
  l.finiteOnly = fn;
  return l;
}

/// One narrow configuration: the compiled step with f32 state and the one
/// with narrow M and V, in the same formats.
struct NarrowConfig {
  const char *name;
  const char *description;
  /// Bytes of one element of M and of V.
  unsigned containerBytes;
  mlir::qopt::StorageLayout mLayout, vLayout;
  AdamStateF32Fn stateF32Step;
  AdamNarrowFn narrowStep;
  /// A hand-written fused loop with the same narrow state, if any.
  void (*handNarrowStep)(float *, const float *, uint16_t *, uint16_t *, size_t,
                         int64_t);

  /// Bytes moved per parameter: w read and written, g read, m and v read
  /// and written.
  double bytesPerParameter() const { return 12.0 + 4.0 * containerBytes; }
};

/// Codes of M or V in their container (little-endian, containerBytes each).
struct Codes {
  std::vector<uint8_t> bytes;
  unsigned width;
  mlir::qopt::StorageLayout layout;

  Codes(const std::vector<float> &values, unsigned width,
        const mlir::qopt::StorageLayout &layout)
      : bytes(values.size() * width), width(width), layout(layout) {
    for (size_t i = 0; i < values.size(); ++i) {
      uint32_t code = mlir::qopt::encodeStorage(values[i], layout);
      std::memcpy(&bytes[i * width], &code, width);
    }
  }
  uint32_t decodedBits(size_t i) const {
    uint32_t code = 0;
    std::memcpy(&code, &bytes[i * width], width);
    return mlir::qopt::storageFloatBits(
        mlir::qopt::decodeStorage(code, layout));
  }
  RawMemRef1 view() {
    return rawView1(bytes.data(), static_cast<int64_t>(bytes.size() / width));
  }
};

size_t bitMismatches(const std::vector<float> &a, const std::vector<float> &b) {
  size_t count = 0;
  for (size_t i = 0; i < a.size(); ++i)
    count += mlir::qopt::storageFloatBits(a[i]) !=
             mlir::qopt::storageFloatBits(b[i]);
  return count;
}

size_t decodedMismatches(const Codes &codes, const std::vector<float> &f32) {
  size_t count = 0;
  for (size_t i = 0; i < f32.size(); ++i)
    count += codes.decodedBits(i) != mlir::qopt::storageFloatBits(f32[i]);
  return count;
}

/// Checks that the narrow step gives the f32-state step's results bit for
/// bit, then times it against that step, the hand-written fused f32 loop
/// and the triad.
void benchNarrow(const NarrowConfig &config, size_t n, int pairs,
                 const std::function<void()> &runHand,
                 const std::function<void()> &runTriad, double triadBytes) {
  const double f32Bytes = 28.0 * n;
  const double narrowBytes = config.bytesPerParameter() * n;
  const double bytesRatio = narrowBytes / f32Bytes;

  // The f32-state step first, so that M and V hold values of their formats;
  // the narrow state starts from those values, encoded.
  AdamState state(n);
  auto stepF32 = [&](int64_t t) {
    MemRef<1> w = view1(state.w.data(), n), g = view1(state.g.data(), n),
              m = view1(state.m.data(), n), v = view1(state.v.data(), n);
    config.stateF32Step(&w, &g, &m, &v, t);
  };
  stepF32(1);
  std::vector<float> w = state.w, g = state.g;
  Codes m(state.m, config.containerBytes, config.mLayout);
  Codes v(state.v, config.containerBytes, config.vLayout);
  auto stepNarrow = [&](int64_t t) {
    MemRef<1> wv = view1(w.data(), n), gv = view1(g.data(), n);
    RawMemRef1 mv = m.view(), vv = v.view();
    config.narrowStep(&wv, &gv, &mv, &vv, t);
  };
  size_t encodeErrors =
      decodedMismatches(m, state.m) + decodedMismatches(v, state.v);
  // The hand-written narrow loop, when there is one, starts from the same
  // state.
  std::vector<float> handW = w;
  std::vector<uint16_t> handM(n), handV(n);
  if (config.handNarrowStep) {
    std::memcpy(handM.data(), m.bytes.data(), 2 * n);
    std::memcpy(handV.data(), v.bytes.data(), 2 * n);
  }
  auto stepHandNarrow = [&](int64_t t) {
    config.handNarrowStep(handW.data(), g.data(), handM.data(), handV.data(), n,
                          t);
  };
  for (int64_t t = 2; t <= 3; ++t) {
    stepF32(t);
    stepNarrow(t);
    if (config.handNarrowStep)
      stepHandNarrow(t);
  }
  size_t wDiff = bitMismatches(w, state.w);
  size_t mDiff = decodedMismatches(m, state.m);
  size_t vDiff = decodedMismatches(v, state.v);
  std::printf("\nNarrow state, %s\n", config.description);
  if (encodeErrors + wDiff + mDiff + vDiff == 0)
    std::printf("  check (2 steps, narrow vs f32-state compiled): "
                "bit-identical W, decoded M and V\n");
  else
    std::printf("  check (2 steps, narrow vs f32-state compiled): DIFFERENT "
                "(%zu W, %zu M, %zu V of %zu; %zu initial codes)\n",
                wDiff, mDiff, vDiff, n, encodeErrors);
  if (config.handNarrowStep) {
    bool same = bitMismatches(handW, w) == 0 &&
                std::memcmp(handM.data(), m.bytes.data(), 2 * n) == 0 &&
                std::memcmp(handV.data(), v.bytes.data(), 2 * n) == 0;
    std::printf("  check (hand-written narrow loop vs narrow compiled): %s\n",
                same ? "bit-identical" : "DIFFERENT");
  }

  int64_t tF32 = 4, tNarrow = 4;
  auto runF32 = [&] { stepF32(tF32++); };
  auto runNarrow = [&] { stepNarrow(tNarrow++); };
  PairTimes vsF32 = alternate(pairs, runNarrow, runF32);
  PairTimes vsHand = alternate(pairs, runNarrow, runHand);
  PairTimes vsTriad = alternate(pairs, runNarrow, runTriad);

  // The same steps on a slice that stays in the L2 cache, called until they
  // have touched n parameters: the time the loops need with memory out of
  // the way. Close to the in-memory time means compute-bound.
  const size_t slice = 8192, calls = n / slice;
  auto runF32Cached = [&] {
    for (size_t c = 0; c < calls; ++c) {
      MemRef<1> wv = view1(state.w.data(), slice),
                gv = view1(state.g.data(), slice),
                mv = view1(state.m.data(), slice),
                vv = view1(state.v.data(), slice);
      config.stateF32Step(&wv, &gv, &mv, &vv, tF32);
    }
    ++tF32;
  };
  auto runNarrowCached = [&] {
    for (size_t c = 0; c < calls; ++c) {
      MemRef<1> wv = view1(w.data(), slice), gv = view1(g.data(), slice);
      RawMemRef1 mv = rawView1(m.bytes.data(), slice),
                 vv = rawView1(v.bytes.data(), slice);
      config.narrowStep(&wv, &gv, &mv, &vv, tNarrow);
    }
    ++tNarrow;
  };
  PairTimes cached = alternate(pairs, runNarrowCached, runF32Cached);
  PairTimes memoryVsCache = alternate(pairs, runNarrow, runNarrowCached);
  int64_t tHandNarrow = 4;
  PairTimes vsHandNarrow, handNarrowVsHand;
  if (config.handNarrowStep) {
    auto runHandNarrow = [&] { stepHandNarrow(tHandNarrow++); };
    vsHandNarrow = alternate(pairs, runNarrow, runHandNarrow);
    handNarrowVsHand = alternate(pairs, runHandNarrow, runHand);
  }

  std::vector<double> overBytes, bwVsTriad, narrowGbps, f32Gbps;
  for (size_t i = 0; i < vsF32.ratio.size(); ++i) {
    overBytes.push_back(vsF32.ratio[i] / bytesRatio);
    narrowGbps.push_back(narrowBytes / vsF32.a[i] / 1e9);
    f32Gbps.push_back(f32Bytes / vsF32.b[i] / 1e9);
    bwVsTriad.push_back((narrowBytes / vsTriad.a[i]) /
                        (triadBytes / vsTriad.b[i]));
  }
  const double perParameter = 1e9 / static_cast<double>(calls * slice);
  auto nsPerParameter = [&](const std::vector<double> &times, double scale) {
    Stats t = stats(times);
    return Stats{t.median * scale, t.min * scale, t.max * scale};
  };
  Stats narrowNs = nsPerParameter(vsF32.a, 1e9 / n);
  Stats f32Ns = nsPerParameter(vsF32.b, 1e9 / n);
  Stats narrowCachedNs = nsPerParameter(cached.a, perParameter);
  Stats f32CachedNs = nsPerParameter(cached.b, perParameter);
  std::printf("  %.0f bytes moved per parameter (f32 state: 28): bytes ratio "
              "%.3f, %d pairs\n",
              config.bytesPerParameter(), bytesRatio, pairs);
  std::printf("  narrow compiled      %7.2f GB/s  %6.2f ms  %.2f ns/parameter "
              "(in cache: %.2f)\n",
              stats(narrowGbps).median, stats(vsF32.a).median * 1e3,
              narrowNs.median, narrowCachedNs.median);
  std::printf("  f32-state compiled   %7.2f GB/s  %6.2f ms  %.2f ns/parameter "
              "(in cache: %.2f)\n",
              stats(f32Gbps).median, stats(vsF32.b).median * 1e3, f32Ns.median,
              f32CachedNs.median);
  std::string key = std::string("narrow_") + config.name;
  std::string stateKey = std::string("state_f32_") + config.name;
  printRatio("time narrow / f32-state compiled", vsF32.ratio,
             key + "_vs_state_f32_time");
  printRatio("time narrow / hand-written fused f32 loop", vsHand.ratio,
             key + "_vs_hand_time");
  printRatio("(time narrow / f32-state) / bytes ratio", overBytes,
             key + "_time_over_bytes");
  printRatio("GB/s narrow / triad", bwVsTriad, key + "_bw_vs_triad");
  printRatio("time narrow / f32-state, both in cache", cached.ratio,
             key + "_vs_state_f32_cached_time");
  printRatio("time narrow, in memory / in cache", memoryVsCache.ratio,
             key + "_memory_vs_cache_time");
  if (config.handNarrowStep) {
    printRatio("time narrow / hand-written narrow loop", vsHandNarrow.ratio,
               key + "_vs_hand_narrow_time");
    printRatio("time hand-written narrow / hand-written f32",
               handNarrowVsHand.ratio,
               "hand_narrow_" + std::string(config.name) + "_vs_hand_time");
  }
  record(key + "_bytes_ratio", {bytesRatio, bytesRatio, bytesRatio});
  record(key + "_ns_per_parameter", narrowNs);
  record(key + "_cached_ns_per_parameter", narrowCachedNs);
  record(stateKey + "_ns_per_parameter", f32Ns);
  record(stateKey + "_cached_ns_per_parameter", f32CachedNs);
  // Memory-bound: the data's trips to memory add at least 20% to the time.
  const double off = stats(overBytes).median;
  const double memoryCost = stats(memoryVsCache.ratio).median;
  std::printf("  target (time ratio within 10%% of the bytes ratio): %s "
              "(%.3f); %s: in memory the narrow loop takes %.2fx its time "
              "in cache\n",
              off <= 1.10 ? "holds" : "missed", off,
              memoryCost < 1.2 ? "compute-bound" : "memory-bound", memoryCost);
}

/// Standalone quantization of 64M floats (bf16): compiled into a
/// destination (nearest-even, toward zero) and in place, each timed against
/// the copy loop and a hand-written quantizer, alternately.
void benchQuantize(int pairs) {
  const size_t n = size_t(64) << 20;
  std::vector<float> x(n), y(n), yHand(n), z(n), zHand(n), copyDst(n);
  uint64_t s = 0x2545F4914F6CDD1Dull;
  for (size_t i = 0; i < n; ++i) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    // Signs, magnitudes over 2^-40 .. 2^40, every low bit pattern.
    uint32_t bits = static_cast<uint32_t>(s >> 32);
    bits = (bits & 0x807fffffu) | ((87u + (bits >> 23) % 80u) << 23);
    std::memcpy(&x[i], &bits, 4);
  }
  // Specials: infinities, NaNs, the largest finite values, zeros,
  // subnormals, values halfway between two bf16 values.
  const uint32_t specials[] = {
      0x7f800000u, 0xff800000u, 0x7fc00001u, 0x7f800001u, 0xffbfffffu,
      0x7f7fffffu, 0x7f7f8000u, 0x00000000u, 0x80000000u, 0x00000001u,
      0x807fffffu, 0x3f808000u, 0x3f818000u, 0xbf808000u};
  for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); ++i)
    std::memcpy(&x[i * 4099], &specials[i], 4);
  MemRef<1> xv = view1(x.data(), n), yv = view1(y.data(), n),
            zv = view1(z.data(), n);

  // Bit-identical to the hand-written quantizers.
  auto sameBits = [&](const std::vector<float> &a,
                      const std::vector<float> &b) {
    return std::memcmp(a.data(), b.data(), n * 4) == 0;
  };
  _mlir_ciface_quantize_bf16_ne(&xv, &yv);
  quantizeBf16NeCpp(yHand.data(), x.data(), n);
  bool neSame = sameBits(y, yHand);
  _mlir_ciface_quantize_bf16_tz(&xv, &yv);
  quantizeBf16TzCpp(yHand.data(), x.data(), n);
  bool tzSame = sameBits(y, yHand);
  z = x, zHand = x;
  _mlir_ciface_quantize_bf16_ne_in_place(&zv);
  quantizeBf16NeInPlaceCpp(zHand.data(), n);
  bool inPlaceSame = sameBits(z, zHand);
  const int64_t seed = 12345, step = 7;
  _mlir_ciface_quantize_bf16_sr(&xv, &yv, seed, step);
  quantizeBf16SrCpp(yHand.data(), x.data(), n, seed, step);
  bool srSame = sameBits(y, yHand);
  std::printf("\nQuantize check (compiled vs hand-written, %zu floats): "
              "nearest-even %s, toward zero %s, in place %s, stochastic %s\n",
              n, neSame ? "bit-identical" : "DIFFERENT",
              tzSame ? "bit-identical" : "DIFFERENT",
              inPlaceSame ? "bit-identical" : "DIFFERENT",
              srSame ? "bit-identical" : "DIFFERENT");

  auto runCopy = [&] { copyLoop(copyDst.data(), x.data(), n); };
  auto runMemcpy = [&] { std::memcpy(copyDst.data(), x.data(), n * 4); };
  auto runNe = [&] { _mlir_ciface_quantize_bf16_ne(&xv, &yv); };
  auto runTz = [&] { _mlir_ciface_quantize_bf16_tz(&xv, &yv); };
  auto runNeHand = [&] { quantizeBf16NeCpp(yHand.data(), x.data(), n); };
  auto runTzHand = [&] { quantizeBf16TzCpp(yHand.data(), x.data(), n); };
  // In place: each call rounds already rounded values, which takes the
  // same work (the rounding has no data-dependent branch).
  auto runInPlace = [&] { _mlir_ciface_quantize_bf16_ne_in_place(&zv); };
  auto runInPlaceHand = [&] { quantizeBf16NeInPlaceCpp(zHand.data(), n); };
  PairTimes neCopy = alternate(pairs, runNe, runCopy);
  PairTimes neHand = alternate(pairs, runNe, runNeHand);
  PairTimes tzCopy = alternate(pairs, runTz, runCopy);
  PairTimes tzHand = alternate(pairs, runTz, runTzHand);
  PairTimes inPlaceCopy = alternate(pairs, runInPlace, runCopy);
  PairTimes inPlaceHand = alternate(pairs, runInPlace, runInPlaceHand);
  PairTimes copyMemcpy = alternate(pairs, runCopy, runMemcpy);
  auto runSr = [&] { _mlir_ciface_quantize_bf16_sr(&xv, &yv, seed, step); };
  auto runSrHand = [&] {
    quantizeBf16SrCpp(yHand.data(), x.data(), n, seed, step);
  };
  PairTimes srCopy = alternate(pairs, runSr, runCopy);
  PairTimes srHand = alternate(pairs, runSr, runSrHand);

  // Throughput ratios: time(copy) / time(kernel), the inverse of the time
  // ratios, so >= 0.8 is the target.
  auto inverse = [](const std::vector<double> &ratios) {
    std::vector<double> out;
    for (double r : ratios)
      out.push_back(1.0 / r);
    return out;
  };
  const double bytes = 8.0 * n; // 4 read + 4 written per element
  auto gbps = [&](const std::vector<double> &times) {
    Stats t = stats(times);
    return Stats{bytes / t.median / 1e9, bytes / t.max / 1e9,
                 bytes / t.min / 1e9};
  };
  std::printf("Standalone quantize to bf16, %zu floats (%.0f MB read and "
              "written per call), %d pairs\n",
              n, bytes / 1e6, pairs);
  std::printf("  compiled nearest-even         %7.2f GB/s  %.2f ms\n",
              gbps(neCopy.a).median, stats(neCopy.a).median * 1e3);
  std::printf("  compiled toward zero          %7.2f GB/s  %.2f ms\n",
              gbps(tzCopy.a).median, stats(tzCopy.a).median * 1e3);
  std::printf("  compiled nearest-even in place%7.2f GB/s  %.2f ms\n",
              gbps(inPlaceCopy.a).median, stats(inPlaceCopy.a).median * 1e3);
  std::printf("  compiled stochastic           %7.2f GB/s  %.2f ms\n",
              gbps(srCopy.a).median, stats(srCopy.a).median * 1e3);
  std::printf("  copy loop (memory bandwidth)  %7.2f GB/s  %.2f ms\n",
              gbps(neCopy.b).median, stats(neCopy.b).median * 1e3);
  std::printf("  memcpy                        %7.2f GB/s  %.2f ms\n",
              gbps(copyMemcpy.b).median, stats(copyMemcpy.b).median * 1e3);
  std::printf("Throughput ratios (median of per-pair time(baseline) / "
              "time(compiled)):\n");
  printRatio("nearest-even / copy loop (target >= 0.8)", inverse(neCopy.ratio),
             "quantize_ne_vs_copy_throughput");
  printRatio("toward zero / copy loop (target >= 0.8)", inverse(tzCopy.ratio),
             "quantize_tz_vs_copy_throughput");
  printRatio("nearest-even in place / copy loop", inverse(inPlaceCopy.ratio),
             "quantize_ne_in_place_vs_copy_throughput");
  printRatio("nearest-even / hand-written quantizer", inverse(neHand.ratio),
             "quantize_ne_vs_hand_throughput");
  printRatio("toward zero / hand-written quantizer", inverse(tzHand.ratio),
             "quantize_tz_vs_hand_throughput");
  printRatio("in place / hand-written in place", inverse(inPlaceHand.ratio),
             "quantize_ne_in_place_vs_hand_throughput");
  printRatio("stochastic / copy loop (target >= 0.8)", inverse(srCopy.ratio),
             "quantize_sr_vs_copy_throughput");
  printRatio("stochastic / hand-written quantizer", inverse(srHand.ratio),
             "quantize_sr_vs_hand_throughput");
  printRatio("copy loop / memcpy", inverse(copyMemcpy.ratio),
             "copy_loop_vs_memcpy_throughput");
  record("quantize_ne_gbps", gbps(neCopy.a));
  record("quantize_tz_gbps", gbps(tzCopy.a));
  record("quantize_sr_gbps", gbps(srCopy.a));
  record("copy_loop_gbps", gbps(neCopy.b));
}

/// The load average (1, 5, 15 minutes) from /proc/loadavg: the machine is
/// shared, so the scaling figures come with it.
std::string loadAverage() {
  std::ifstream file("/proc/loadavg");
  double one = 0, five = 0, fifteen = 0;
  file >> one >> five >> fifteen;
  char text[64];
  std::snprintf(text, sizeof(text), "%.2f %.2f %.2f", one, five, fifteen);
  return text;
}

#ifdef QOPT_BENCH_OPENMP
/// Thread scaling of the OpenMP kernels (parallel.mlir): each runs with
/// omp_set_num_threads(1) and omp_set_num_threads(N) alternately, N the
/// runtime's default (OMP_NUM_THREADS, else one per core); the figure is
/// the median of the per-pair ratios time(1 thread) / time(N threads).
/// The bandwidth each reaches is set beside a copy loop's, on one thread and
/// split over N std::threads (the machine's memory bandwidth).
void benchThreads(int pairs) {
  const int threads = omp_get_max_threads();
  const size_t n = size_t(64) << 20;
  std::printf("\nThread scaling, %zu floats, 1 vs %d threads (OpenMP), %d "
              "pairs; load average before: %s\n",
              n, threads, pairs, loadAverage().c_str());
  auto one = [] { omp_set_num_threads(1); };
  auto all = [&] { omp_set_num_threads(threads); };
  auto report = [&](const char *what, const std::string &name,
                    const PairTimes &t, double bytes) {
    Stats s1 = stats(t.a), sN = stats(t.b);
    std::printf("  %-30s 1 thread %7.2f GB/s %8.2f ms | %d threads %7.2f "
                "GB/s %8.2f ms\n",
                what, bytes / s1.median / 1e9, s1.median * 1e3, threads,
                bytes / sN.median / 1e9, sN.median * 1e3);
    printRatio((std::string(what) + ": speed-up").c_str(), t.ratio,
               "threads_" + name + "_speedup");
    record("threads_" + name + "_gbps_1",
           Stats{bytes / s1.median / 1e9, bytes / s1.max / 1e9,
                 bytes / s1.min / 1e9});
    record("threads_" + name + "_gbps_n",
           Stats{bytes / sN.median / 1e9, bytes / sN.max / 1e9,
                 bytes / sN.min / 1e9});
  };
  {
    std::vector<float> x(n), y(n), y1(n);
    for (size_t i = 0; i < n; ++i)
      x[i] = float(int64_t(i * 7919 % 100003) - 50001) * 1.0e-3f;
    MemRef<1> xv = view1(x.data(), n), yv = view1(y.data(), n),
              y1v = view1(y1.data(), n);
    // Bit-identical across thread counts.
    one();
    _mlir_ciface_mt_quantize_bf16_sr(&xv, &y1v, 12345, 7);
    all();
    _mlir_ciface_mt_quantize_bf16_sr(&xv, &yv, 12345, 7);
    bool same = std::memcmp(y.data(), y1.data(), n * 4) == 0;
    std::printf("  stochastic quantize, 1 vs %d threads: %s\n", threads,
                same ? "bit-identical" : "DIFFERENT");
    const double bytes = 8.0 * n;
    auto copyThreads = [&](int k) {
      std::vector<std::thread> workers;
      for (int i = 0; i < k; ++i)
        workers.emplace_back([&, i] {
          size_t begin = n * i / k, end = n * (i + 1) / k;
          copyLoop(y.data() + begin, x.data() + begin, end - begin);
        });
      for (std::thread &worker : workers)
        worker.join();
    };
    report("copy loop (std::thread)", "copy",
           alternate(
               pairs, [&] { copyThreads(1); }, [&] { copyThreads(threads); }),
           bytes);
    report("quantize bf16 nearest-even", "quantize_ne",
           alternate(
               pairs,
               [&] {
                 one();
                 _mlir_ciface_mt_quantize_bf16_ne(&xv, &yv);
               },
               [&] {
                 all();
                 _mlir_ciface_mt_quantize_bf16_ne(&xv, &yv);
               }),
           bytes);
    report("quantize bf16 stochastic", "quantize_sr",
           alternate(
               pairs,
               [&] {
                 one();
                 _mlir_ciface_mt_quantize_bf16_sr(&xv, &yv, 12345, 7);
               },
               [&] {
                 all();
                 _mlir_ciface_mt_quantize_bf16_sr(&xv, &yv, 12345, 7);
               }),
           bytes);
  }
  {
    AdamState state(n);
    int64_t t = 1;
    auto step = [&] {
      MemRef<1> w = view1(state.w.data(), n), g = view1(state.g.data(), n),
                m = view1(state.m.data(), n), v = view1(state.v.data(), n);
      _mlir_ciface_mt_adam_fused_bf16(&w, &g, &m, &v, t++);
    };
    report("AdamW step (bf16, fused)", "adam",
           alternate(
               pairs,
               [&] {
                 one();
                 step();
               },
               [&] {
                 all();
                 step();
               }),
           7.0 * 4.0 * n);
  }
  {
    // Compute-bound: Muon's Newton-Schulz matmuls (5 iterations, 3
    // matmuls of 1024^3 each), their 64-row tiles split over the threads.
    const int64_t d = 1024;
    std::vector<float> w(d * d), g(d * d), b(d * d), w1(d * d), b1(d * d);
    for (int64_t i = 0; i < d * d; ++i) {
      w[i] = float(int64_t(i * 7919 % 1009) - 504) / 256.0f;
      g[i] = float(int64_t(i * 104729 % 1013) - 506) / 512.0f;
      b[i] = 0.0f;
    }
    w1 = w, b1 = b;
    MemRef<2> wv = view2(w.data(), d, d), gv = view2(g.data(), d, d),
              bv = view2(b.data(), d, d), w1v = view2(w1.data(), d, d),
              b1v = view2(b1.data(), d, d);
    one();
    _mlir_ciface_mt_muon_1024(&w1v, &gv, &b1v);
    all();
    _mlir_ciface_mt_muon_1024(&wv, &gv, &bv);
    bool same = w == w1 && b == b1;
    std::printf("  Muon step 1024x1024, 1 vs %d threads: %s\n", threads,
                same ? "bit-identical" : "DIFFERENT");
    PairTimes t = alternate(
        pairs,
        [&] {
          one();
          _mlir_ciface_mt_muon_1024(&wv, &gv, &bv);
        },
        [&] {
          all();
          _mlir_ciface_mt_muon_1024(&wv, &gv, &bv);
        });
    const double flops = 5.0 * 3.0 * 2.0 * double(d) * d * d;
    std::printf("  %-30s 1 thread %7.2f GFLOP/s %6.2f ms | %d threads %7.2f "
                "GFLOP/s %6.2f ms\n",
                "Muon step 1024x1024", flops / stats(t.a).median / 1e9,
                stats(t.a).median * 1e3, threads,
                flops / stats(t.b).median / 1e9, stats(t.b).median * 1e3);
    printRatio("Muon step 1024x1024: speed-up", t.ratio,
               "threads_muon_1024_speedup");

    // Issue 14's second Newton-Schulz target: on every core against
    // OpenBLAS on every core (its sgemm threads; the few elementwise loops
    // around them stay serial, under 1% of the flops).
    MuonBlas blas(d, d);
    std::vector<float> wb = w, bb = b;
    PairTimes vsBlas = alternate(
        pairs,
        [&] {
          all();
          _mlir_ciface_mt_muon_1024(&wv, &gv, &bv);
        },
        [&] {
          openblas_set_num_threads(threads);
          blas.step(wb.data(), g.data(), bb.data());
          openblas_set_num_threads(1);
        });
    std::printf("  %-30s compiled %7.2f GFLOP/s | OpenBLAS %7.2f GFLOP/s "
                "(%d threads each)\n",
                "Muon step 1024x1024", flops / stats(vsBlas.a).median / 1e9,
                flops / stats(vsBlas.b).median / 1e9, threads);
    printRatio("Muon step 1024x1024, all threads: time compiled / OpenBLAS",
               vsBlas.ratio, "threads_muon_1024_compiled_vs_openblas_time");
  }
  omp_set_num_threads(threads);
  std::printf("  load average after: %s\n", loadAverage().c_str());
}
#endif

} // namespace

/// Times the compiled Muon step `kernel` on a rows x cols weight against
/// MuonBlas (single thread), after checking one step of each; records the
/// ratio as `name`.
void benchMuon(int64_t rows, int64_t cols,
               void (*kernel)(MemRef<2> *, MemRef<2> *, MemRef<2> *), int pairs,
               const std::string &name) {
  std::vector<float> w0(rows * cols), g0(rows * cols), b0(rows * cols);
  AdamState init(rows * cols);
  std::copy(init.w.begin(), init.w.end(), w0.begin());
  std::copy(init.g.begin(), init.g.end(), g0.begin());
  std::copy(init.m.begin(), init.m.end(), b0.begin());
  std::vector<float> wc = w0, bc = b0, wb = w0, bb = b0;
  MuonBlas blas(rows, cols);
  MemRef<2> mw = view2(wc.data(), rows, cols),
            mg = view2(g0.data(), rows, cols),
            mb = view2(bc.data(), rows, cols);
  kernel(&mw, &mg, &mb);
  blas.step(wb.data(), g0.data(), bb.data());
  std::printf("\nMuon %lldx%lld check (one step, compiled vs OpenBLAS): max "
              "|dW| / max |W| = %.2g, buffer %s\n",
              (long long)rows, (long long)cols, maxRelDiff(wc, wb),
              bc == bb ? "bit-identical" : "DIFFERENT");
  auto runCompiled = [&] { kernel(&mw, &mg, &mb); };
  auto runBlas = [&] { blas.step(wb.data(), g0.data(), bb.data()); };
  PairTimes muon = alternate(pairs, runCompiled, runBlas);
  const double m = std::min(rows, cols), n = std::max(rows, cols);
  // Per Newton-Schulz step: X X^T (m m n), A A (m^3), (..) X (m m n).
  const double flops = 5.0 * 2.0 * (2.0 * m * m * n + m * m * m);
  std::printf("Muon step on %lldx%lld (5 Newton-Schulz steps, 15 matmuls), "
              "single thread, %d pairs\n",
              (long long)rows, (long long)cols, pairs);
  std::printf("  compiled (qopt)               %7.1f ms  %6.1f GFLOP/s\n",
              stats(muon.a).median * 1e3, flops / stats(muon.a).median / 1e9);
  std::printf("  OpenBLAS cblas_sgemm          %7.1f ms  %6.1f GFLOP/s\n",
              stats(muon.b).median * 1e3, flops / stats(muon.b).median / 1e9);
  printRatio("time compiled / OpenBLAS (target <= 1)", muon.ratio, name);
}

int main(int argc, char **argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int pairs = 11;
  bool csv = false;
  bool quantizeOnly = false;
  bool threadsOnly = false;
  bool muonOnly = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    char *end = nullptr;
    long value = std::strtol(argv[i], &end, 10);
    if (arg == "--csv") {
      csv = true;
    } else if (arg == "--quantize-only") {
      quantizeOnly = true;
    } else if (arg == "--threads-only") {
      threadsOnly = true;
    } else if (arg == "--muon-only") {
      muonOnly = true;
    } else if (!arg.empty() && *end == '\0' && value >= 1 && value <= 10000) {
      pairs = static_cast<int>(value);
    } else {
      std::fprintf(stderr,
                   "qopt-bench: unexpected argument '%s'\n"
                   "usage: qopt-bench [pairs] [--csv] [--quantize-only] "
                   "[--threads-only] [--muon-only]\n",
                   argv[i]);
      return 2;
    }
  }
  openblas_set_num_threads(1);
  printCpu();
  auto printCsv = [&] {
    if (!csv)
      return;
    std::printf("\nname,median,min,max\n");
    for (const CsvRow &row : csvRows)
      std::printf("%s,%.6g,%.6g,%.6g\n", row.name.c_str(), row.stats.median,
                  row.stats.min, row.stats.max);
  };
  if (threadsOnly) {
#ifdef QOPT_BENCH_OPENMP
    benchThreads(pairs);
#else
    std::printf("qopt-bench was built without an OpenMP runtime: no thread "
                "scaling\n");
#endif
    printCsv();
    return 0;
  }
  if (quantizeOnly) {
    benchQuantize(pairs);
    printCsv();
    return 0;
  }
  if (muonOnly) {
    // Square and tall weights (the tall one is orthogonalised transposed:
    // its Gram matrices are 512x512, reduced over 2048).
    int muonPairs = std::max(3, pairs / 2);
    benchMuon(512, 512, _mlir_ciface_muon_512, muonPairs,
              "muon_512x512_compiled_vs_openblas_time");
    benchMuon(1024, 1024, _mlir_ciface_muon_1024, muonPairs,
              "muon_compiled_vs_openblas_time");
    benchMuon(2048, 512, _mlir_ciface_muon_2048x512, muonPairs,
              "muon_2048x512_compiled_vs_openblas_time");
    benchMuon(2048, 2048, _mlir_ciface_muon_2048, muonPairs,
              "muon_2048x2048_compiled_vs_openblas_time");
    printCsv();
    return 0;
  }

  //===--------------------------------------------------------------------===//
  // Adam on 16M parameters
  //===--------------------------------------------------------------------===//
  const size_t n = size_t(1) << 24;
  const double adamBytes = 7.0 * 4.0 * n; // read w g m v, write w m v
  AdamState compiled(n), hand(n), unfusedState(n);
  AdamUnfused unfused(n);

  // One step from identical states must give identical results.
  {
    MemRef<1> w = view1(compiled.w.data(), n), g = view1(compiled.g.data(), n),
              m = view1(compiled.m.data(), n), v = view1(compiled.v.data(), n);
    _mlir_ciface_adam_fused_bf16(&w, &g, &m, &v, 1);
    adamFusedCpp(hand.w.data(), hand.g.data(), hand.m.data(), hand.v.data(), n,
                 1);
    unfused.step(unfusedState.w.data(), unfusedState.g.data(),
                 unfusedState.m.data(), unfusedState.v.data(), n, 1);
    bool same = compiled.w == hand.w && compiled.m == hand.m &&
                compiled.v == hand.v && unfusedState.w == hand.w &&
                unfusedState.m == hand.m && unfusedState.v == hand.v;
    std::printf("Adam check (step 1, compiled vs hand-written vs unfused): "
                "%s\n",
                same ? "bit-identical" : "DIFFERENT");
  }

  int64_t tCompiled = 2, tHand = 2, tUnfused = 2;
  auto runCompiled = [&] {
    MemRef<1> w = view1(compiled.w.data(), n), g = view1(compiled.g.data(), n),
              m = view1(compiled.m.data(), n), v = view1(compiled.v.data(), n);
    _mlir_ciface_adam_fused_bf16(&w, &g, &m, &v, tCompiled++);
  };
  auto runHand = [&] {
    adamFusedCpp(hand.w.data(), hand.g.data(), hand.m.data(), hand.v.data(), n,
                 tHand++);
  };
  auto runUnfused = [&] {
    unfused.step(unfusedState.w.data(), unfusedState.g.data(),
                 unfusedState.m.data(), unfusedState.v.data(), n, tUnfused++);
  };
  std::vector<float> ta(n, 0.0f), tb(n, 1.0f), tc(n, 2.0f);
  auto runTriad = [&] { triad(ta.data(), tb.data(), tc.data(), 3.0f, n); };
  const double triadBytes = 3.0 * 4.0 * n;

  PairTimes vsHand = alternate(pairs, runCompiled, runHand);
  PairTimes unfusedVsCompiled = alternate(pairs, runUnfused, runCompiled);
  PairTimes vsTriad = alternate(pairs, runCompiled, runTriad);
  // Ratio of achieved bandwidths: (bytes / t_compiled) / (bytes / t_triad).
  std::vector<double> bwVsTriad, handBwVsTriad;
  for (size_t i = 0; i < vsTriad.a.size(); ++i)
    bwVsTriad.push_back((adamBytes / vsTriad.a[i]) /
                        (triadBytes / vsTriad.b[i]));
  PairTimes handVsTriad = alternate(pairs, runHand, runTriad);
  for (size_t i = 0; i < handVsTriad.a.size(); ++i)
    handBwVsTriad.push_back((adamBytes / handVsTriad.a[i]) /
                            (triadBytes / handVsTriad.b[i]));

  auto gbps = [](double bytes, const std::vector<double> &times) {
    return bytes / stats(times).median / 1e9;
  };
  std::printf("\nQuantized AdamW step, %zu parameters, bf16 nearest-even at "
              "all four points (%.0f MB moved per step), %d pairs\n",
              n, adamBytes / 1e6, pairs);
  std::printf("  compiled fused (qopt)         %7.2f GB/s  %.2f ms\n",
              gbps(adamBytes, vsHand.a), stats(vsHand.a).median * 1e3);
  std::printf("  hand-written fused C++        %7.2f GB/s  %.2f ms\n",
              gbps(adamBytes, vsHand.b), stats(vsHand.b).median * 1e3);
  std::printf("  unfused C++ (11 passes)       %7.2f GB/s  %.2f ms "
              "(same 7 arrays counted)\n",
              gbps(adamBytes, unfusedVsCompiled.a),
              stats(unfusedVsCompiled.a).median * 1e3);
  std::printf("  STREAM triad a = b + s c      %7.2f GB/s  %.2f ms\n",
              gbps(triadBytes, vsTriad.b), stats(vsTriad.b).median * 1e3);
  std::printf("Ratios (median of per-pair ratios):\n");
  printRatio("time compiled / hand-written (target <= 1.05)", vsHand.ratio,
             "adam_compiled_vs_hand_time");
  printRatio("time unfused / compiled (target >= 2.5)", unfusedVsCompiled.ratio,
             "adam_unfused_vs_compiled_time");
  printRatio("GB/s compiled / triad", bwVsTriad, "adam_compiled_bw_vs_triad");
  printRatio("GB/s hand-written / triad", handBwVsTriad,
             "adam_hand_bw_vs_triad");
  auto gbpsStats = [](double bytes, const std::vector<double> &times) {
    Stats t = stats(times);
    return Stats{bytes / t.median / 1e9, bytes / t.max / 1e9,
                 bytes / t.min / 1e9};
  };
  record("adam_compiled_gbps", gbpsStats(adamBytes, vsHand.a));
  record("adam_hand_gbps", gbpsStats(adamBytes, vsHand.b));
  record("triad_gbps", gbpsStats(triadBytes, vsTriad.b));

  //===--------------------------------------------------------------------===//
  // Adam with M and V stored narrow
  //===--------------------------------------------------------------------===//
  // The unfused version's buffers are not needed any more.
  unfused = AdamUnfused(0);
  unfusedState = AdamState(0);
  const NarrowConfig narrowConfigs[] = {
      {"bf16", "16-bit: M and V <bf16> in bf16 (W, G bf16)", 2,
       layout(8, 7, false), layout(8, 7, false), _mlir_ciface_adam_fused_bf16,
       _mlir_ciface_adam_narrow_bf16, adamFusedCppBf16State},
      {"f8",
       "8-bit: M <fp8_e4m3> in f8E4M3FN, V <fp8_e5m2> in f8E5M2 (W, G bf16)", 1,
       layout(4, 3, true), layout(5, 2, false), _mlir_ciface_adam_state_f32_f8,
       _mlir_ciface_adam_narrow_f8, nullptr},
      {"i8",
       "8-bit: M and V <e5m2, encoding = fn> as own codes in i8 (W, G bf16)", 1,
       layout(5, 2, true), layout(5, 2, true), _mlir_ciface_adam_state_f32_i8,
       _mlir_ciface_adam_narrow_i8, nullptr}};
  for (const NarrowConfig &config : narrowConfigs)
    benchNarrow(config, n, pairs, runHand, runTriad, triadBytes);

  //===--------------------------------------------------------------------===//
  // Muon on 1024x1024
  //===--------------------------------------------------------------------===//
  benchMuon(1024, 1024, _mlir_ciface_muon_1024, std::max(3, pairs / 2),
            "muon_compiled_vs_openblas_time");

  //===--------------------------------------------------------------------===//
  // Standalone quantize on 64M floats
  //===--------------------------------------------------------------------===//
  benchQuantize(pairs);

#ifdef QOPT_BENCH_OPENMP
  benchThreads(pairs);
#endif
  printCsv();
  return 0;
}
