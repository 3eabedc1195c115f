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
//  * the compiled Muon step on a 1024x1024 weight (muon-step.mlir) against
//    the same step in C++ with OpenBLAS cblas_sgemm (single thread).
// Each compiled kernel and its baseline run alternately (A B A B ...); the
// report gives the median, minimum and maximum of the per-pair time ratios.
// It also checks that the compiled and hand-written results agree.
//
//===----------------------------------------------------------------------===//

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
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

MemRef<1> view1(float *data, int64_t n) { return {data, data, 0, {n}, {1}}; }
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

void printRatio(const char *what, const std::vector<double> &ratios) {
  Stats s = stats(ratios);
  std::printf("  %-44s median %.3f  (min %.3f, max %.3f)\n", what, s.median,
              s.min, s.max);
}

//===----------------------------------------------------------------------===//
// Muon with OpenBLAS
//===----------------------------------------------------------------------===//

/// The Muon step of qopt.muon_update (defaults, square weight) with the
/// Newton-Schulz matmuls on cblas_sgemm.
struct MuonBlas {
  int64_t n;
  std::vector<float> u, x, a, aa, next;
  explicit MuonBlas(int64_t n)
      : n(n), u(n * n), x(n * n), a(n * n), aa(n * n), next(n * n) {}

  __attribute__((noinline)) void
  step(float *__restrict w, const float *__restrict g, float *__restrict b) {
    const float mu = 0.95f, lr = 2.0e-2f, eps = 1.0e-7f;
    const float ca = 3.4445f, cb = -4.7750f, cc = 2.0315f;
    const size_t size = n * n;
    for (size_t i = 0; i < size; ++i) {
      float b1 = mu * b[i] + g[i];
      b[i] = b1;
      u[i] = g[i] + mu * b1;
    }
    float sum = 0.0f;
    for (size_t i = 0; i < size; ++i)
      sum += u[i] * u[i];
    float denom = std::sqrt(sum) + eps;
    for (size_t i = 0; i < size; ++i)
      x[i] = u[i] / denom;
    for (int s = 0; s < 5; ++s) {
      // A = X X^T, A A, then next = a X + (b A + c A A) X.
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f,
                  x.data(), n, x.data(), n, 0.0f, a.data(), n);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
                  a.data(), n, a.data(), n, 0.0f, aa.data(), n);
      for (size_t i = 0; i < size; ++i) {
        aa[i] = cb * a[i] + cc * aa[i];
        next[i] = ca * x[i];
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
                  aa.data(), n, x.data(), n, 1.0f, next.data(), n);
      std::swap(x, next);
    }
    for (size_t i = 0; i < size; ++i)
      w[i] = w[i] - lr * x[i];
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

} // namespace

int main(int argc, char **argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int pairs = argc > 1 ? std::atoi(argv[1]) : 11;
  openblas_set_num_threads(1);

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
  printRatio("time compiled / hand-written (target <= 1.05)", vsHand.ratio);
  printRatio("time unfused / compiled (target >= 2.5)",
             unfusedVsCompiled.ratio);
  printRatio("GB/s compiled / triad", bwVsTriad);
  printRatio("GB/s hand-written / triad", handBwVsTriad);

  //===--------------------------------------------------------------------===//
  // Muon on 1024x1024
  //===--------------------------------------------------------------------===//
  const int64_t dim = 1024;
  std::vector<float> w0(dim * dim), g0(dim * dim), b0(dim * dim);
  AdamState init(dim * dim);
  std::copy(init.w.begin(), init.w.end(), w0.begin());
  std::copy(init.g.begin(), init.g.end(), g0.begin());
  std::copy(init.m.begin(), init.m.end(), b0.begin());
  std::vector<float> wc = w0, bc = b0, wb = w0, bb = b0;
  MuonBlas blas(dim);
  MemRef<2> mw = view2(wc.data(), dim, dim), mg = view2(g0.data(), dim, dim),
            mb = view2(bc.data(), dim, dim);
  _mlir_ciface_muon_1024(&mw, &mg, &mb);
  blas.step(wb.data(), g0.data(), bb.data());
  std::printf("\nMuon check (one step, compiled vs OpenBLAS): max |dW| / "
              "max |W| = %.2g, buffer %s\n",
              maxRelDiff(wc, wb), bc == bb ? "bit-identical" : "DIFFERENT");
  auto runMuonCompiled = [&] { _mlir_ciface_muon_1024(&mw, &mg, &mb); };
  auto runMuonBlas = [&] { blas.step(wb.data(), g0.data(), bb.data()); };
  int muonPairs = std::max(3, pairs / 2);
  PairTimes muon = alternate(muonPairs, runMuonCompiled, runMuonBlas);
  const double flops = 5.0 * 3.0 * 2.0 * dim * dim * dim;
  std::printf("Muon step on 1024x1024 (5 Newton-Schulz steps, 15 matmuls), "
              "single thread, %d pairs\n",
              muonPairs);
  std::printf("  compiled (qopt)               %7.1f ms  %6.1f GFLOP/s\n",
              stats(muon.a).median * 1e3, flops / stats(muon.a).median / 1e9);
  std::printf("  OpenBLAS cblas_sgemm          %7.1f ms  %6.1f GFLOP/s\n",
              stats(muon.b).median * 1e3, flops / stats(muon.b).median / 1e9);
  printRatio("time compiled / OpenBLAS (target <= 2)", muon.ratio);
  return 0;
}
