//===- qopt-optim-ref.cpp - reference Adam and Muon for the tests ---------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// An independent implementation of qopt.adam_update and qopt.muon_update
// (with the qopt.quantize ops of the four quantization points) for the
// execution tests. It regenerates the inputs the test's MLIR generates (the
// formula of genValue), runs the optimizer for a number of steps, reads the
// compiled program's results from stdin (printMemrefI32 output of the f32
// bit patterns, in the order the test prints them) and compares them
// element by element:
//
//   |compiled - reference| <= rtol * |reference| + rtol * rms(reference)
//
// The rms term keeps elements that cancel to almost zero from failing on
// differences far below the tensor's scale. It prints `PASS` or `FAIL` with
// the largest relative error per result.
//
// Quantization is computed here with double arithmetic on the value
// (quantum = 2^(max(e, emin) - M)), not with the bit manipulation of the
// lowering; only the hash of stochastic rounding (part of the op's
// specification) is shared, through qopt/Numerics/CounterHash.h.
//
//===----------------------------------------------------------------------===//

#include "qopt/Numerics/CounterHash.h"

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

enum class Rounding { NearestEven, TowardZero, Stochastic };

struct Quantizer {
  int expBits = 8, manBits = 23;
  bool finiteOnly = false; // the OCP "fn" encoding of e4m3
  Rounding rounding = Rounding::NearestEven;
  uint64_t seed = 0;
  uint64_t stream = 0; // the quantize's `stream` attribute
  bool enabled = false;
};

/// Parses `<format>[:nearest|:zero|:stochastic:<seed>[:<stream>]]`, the
/// format being a named one or e<E>m<M>; the stream defaults to 0.
std::optional<Quantizer> parseQuantizer(const std::string &spec) {
  Quantizer q;
  q.enabled = true;
  std::stringstream ss(spec);
  std::string format, mode, seed, stream;
  std::getline(ss, format, ':');
  std::getline(ss, mode, ':');
  std::getline(ss, seed, ':');
  std::getline(ss, stream, ':');
  static const std::map<std::string, std::pair<int, int>> named = {
      {"fp32", {8, 23}}, {"tf32", {8, 10}},    {"bf16", {8, 7}},
      {"fp16", {5, 10}}, {"fp8_e4m3", {4, 3}}, {"fp8_e5m2", {5, 2}}};
  if (auto it = named.find(format); it != named.end()) {
    q.expBits = it->second.first;
    q.manBits = it->second.second;
    q.finiteOnly = format == "fp8_e4m3";
  } else if (std::sscanf(format.c_str(), "e%dm%d", &q.expBits, &q.manBits) !=
             2) {
    return std::nullopt;
  }
  if (mode.empty() || mode == "nearest")
    q.rounding = Rounding::NearestEven;
  else if (mode == "zero")
    q.rounding = Rounding::TowardZero;
  else if (mode == "stochastic") {
    q.rounding = Rounding::Stochastic;
    q.seed = std::strtoull(seed.c_str(), nullptr, 10);
    q.stream = std::strtoull(stream.c_str(), nullptr, 10);
  } else
    return std::nullopt;
  return q;
}

/// Rounds `x` to the format of `q`; `index` and `step` feed the hash of
/// stochastic rounding.
float quantize(const Quantizer &q, float x, uint64_t index, uint64_t step) {
  if (!q.enabled)
    return x;
  const int bias = (1 << (q.expBits - 1)) - 1;
  const int emin = 1 - bias;
  const int emax = q.finiteOnly ? bias + 1 : bias;
  const double maxFinite = std::ldexp(
      2.0 - std::ldexp(1.0, q.finiteOnly ? 1 - q.manBits : -q.manBits), emax);
  if (std::isnan(x))
    return std::copysign(NAN, x);
  if (std::isinf(x))
    return q.finiteOnly ? std::copysign(NAN, x) : x;
  if (x == 0.0f)
    return x;
  double ax = std::fabs(static_cast<double>(x));
  int e = std::ilogb(ax);
  double quantum = std::ldexp(1.0, std::max(e, emin) - q.manBits);
  double r = ax / quantum; // exact: division by a power of two
  double whole = std::floor(r), frac = r - whole;
  double result = 0.0;
  switch (q.rounding) {
  case Rounding::NearestEven:
    result = std::nearbyint(r) * quantum; // default mode: ties to even
    break;
  case Rounding::TowardZero:
    result = whole * quantum;
    break;
  case Rounding::Stochastic: {
    uint32_t bits = mlir::qopt::stochasticBits(q.seed, step, q.stream, index);
    // Bits dropped relative to x's own f32 precision.
    int dropped = (std::max(e, emin) - q.manBits) - (std::max(e, -126) - 23);
    bool up;
    if (dropped <= 0) {
      up = false;
    } else if (dropped <= 24) {
      double scale = std::ldexp(1.0, dropped);
      double noise = static_cast<double>(bits & ((1u << dropped) - 1u));
      up = noise + frac * scale >= scale;
    } else {
      up = static_cast<double>(bits) < std::floor(std::ldexp(frac, 32));
    }
    result = (whole + (up ? 1.0 : 0.0)) * quantum;
    break;
  }
  }
  if (result > maxFinite) {
    if (q.rounding == Rounding::TowardZero)
      result = maxFinite;
    else
      result = q.finiteOnly ? NAN : INFINITY;
  }
  return static_cast<float>(std::copysign(result, static_cast<double>(x)));
}

//===----------------------------------------------------------------------===//
// Inputs: the formula the tests' MLIR evaluates
//===----------------------------------------------------------------------===//

/// Element `i` of generated tensor number `k`: a multiple of 1/256 in
/// [-1.97, 1.97], or in [0, 0.25) for `nonNegative` tensors (second
/// moments). Exact in f32, so MLIR and C++ agree bit for bit.
float genValue(int64_t k, int64_t i, bool nonNegative) {
  int64_t r = (i * 7919 + k * 104729) % 1009;
  if (nonNegative)
    return static_cast<float>(r) / 4096.0f;
  return static_cast<float>(r - 504) / 256.0f;
}

std::vector<float> gen(int64_t k, int64_t n, bool nonNegative = false) {
  std::vector<float> out(n);
  for (int64_t i = 0; i < n; ++i)
    out[i] = genValue(k, i, nonNegative);
  return out;
}

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

struct Options {
  std::map<std::string, std::string> values;

  std::string get(const std::string &key, const std::string &def) const {
    auto it = values.find(key);
    return it == values.end() ? def : it->second;
  }
  double num(const std::string &key, double def) const {
    auto it = values.find(key);
    return it == values.end() ? def : std::strtod(it->second.c_str(), nullptr);
  }
  Quantizer quant(const std::string &key) const {
    auto it = values.find(key);
    if (it == values.end())
      return Quantizer{};
    std::optional<Quantizer> q = parseQuantizer(it->second);
    if (!q) {
      std::fprintf(stderr, "bad quantizer '%s'\n", it->second.c_str());
      std::exit(2);
    }
    return *q;
  }
};

//===----------------------------------------------------------------------===//
// Adam / AdamW
//===----------------------------------------------------------------------===//

/// Step t (1-based) of AdamW with quantized w (input), g (input), m' and v'
/// (outputs), in the f32 operation order of the op's specification. The
/// flags of the op: --bias-correction=0, --eps-inside-sqrt=1 and
/// --decoupled=0 (L2 decay: wd * w added to the gradient).
void adamStep(std::vector<float> &w, const std::vector<float> &g,
              std::vector<float> &m, std::vector<float> &v, int64_t t,
              const Options &o) {
  const float lr = o.num("lr", 1e-3), beta1 = o.num("beta1", 0.9),
              beta2 = o.num("beta2", 0.999), eps = o.num("eps", 1e-8),
              wd = o.num("wd", 0.0);
  const bool biasCorrection = o.num("bias-correction", 1) != 0,
             epsInside = o.num("eps-inside-sqrt", 0) != 0,
             decoupled = o.num("decoupled", 1) != 0;
  Quantizer qw = o.quant("qw"), qg = o.quant("qg"), qm = o.quant("qm"),
            qv = o.quant("qv");
  const float bc1 = 1.0f - std::pow(beta1, static_cast<float>(t));
  const float bc2 = 1.0f - std::pow(beta2, static_cast<float>(t));
  for (size_t i = 0; i < w.size(); ++i) {
    float wi = quantize(qw, w[i], i, t);
    float gi = quantize(qg, g[i], i, t);
    if (!decoupled && wd != 0.0f)
      gi = gi + wd * wi;
    float mi = beta1 * m[i] + (1.0f - beta1) * gi;
    float vi = beta2 * v[i] + (1.0f - beta2) * (gi * gi);
    float mHat = biasCorrection ? mi / bc1 : mi;
    float vHat = biasCorrection ? vi / bc2 : vi;
    float denom = epsInside ? std::sqrt(vHat + eps) : std::sqrt(vHat) + eps;
    float wNew = wi - lr * (mHat / denom);
    if (decoupled && wd != 0.0f)
      wNew = wNew - (lr * wd) * wi;
    w[i] = wNew;
    m[i] = quantize(qm, mi, i, t);
    v[i] = quantize(qv, vi, i, t);
  }
}

//===----------------------------------------------------------------------===//
// Muon
//===----------------------------------------------------------------------===//

using Matrix = std::vector<double>; // row-major

/// C = A B for row-major A (n x k) and B (k x m), in double.
Matrix matmul(const Matrix &a, const Matrix &b, int64_t n, int64_t k,
              int64_t m) {
  Matrix c(n * m, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t p = 0; p < k; ++p) {
      double aip = a[i * k + p];
      for (int64_t j = 0; j < m; ++j)
        c[i * m + j] += aip * b[p * m + j];
    }
  return c;
}

Matrix transpose(const Matrix &a, int64_t n, int64_t m) {
  Matrix t(m * n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j)
      t[j * n + i] = a[i * m + j];
  return t;
}

/// One Muon step on a rows x cols weight; the orthogonalisation runs in
/// double (the compiled f32 code must agree to the tolerance).
void muonStep(std::vector<float> &w, const std::vector<float> &g,
              std::vector<float> &buf, int64_t rows, int64_t cols, int64_t t,
              const Options &o) {
  const float lr = o.num("lr", 0.02), mu = o.num("momentum", 0.95),
              eps = o.num("eps", 1e-7), wd = o.num("wd", 0.0);
  const bool nesterov = o.get("nesterov", "1") == "1";
  const int steps = static_cast<int>(o.num("ns-steps", 5));
  const double a = static_cast<float>(o.num("a", 3.4445)),
               b = static_cast<float>(o.num("b", -4.7750)),
               c = static_cast<float>(o.num("c", 2.0315));
  Quantizer qw = o.quant("qw"), qg = o.quant("qg"), qb = o.quant("qb"),
            qbOut = o.quant("qb-out");
  const int64_t n = rows * cols;
  std::vector<float> u(n);
  for (int64_t i = 0; i < n; ++i) {
    float gi = quantize(qg, g[i], i, t);
    float bi = mu * quantize(qb, buf[i], i, t) + gi;
    u[i] = nesterov ? gi + mu * bi : bi;
    buf[i] = quantize(qbOut, bi, i, t);
  }
  double sumSq = 0.0;
  for (float x : u)
    sumSq += static_cast<double>(x) * x;
  double denom = std::sqrt(sumSq) + eps;
  Matrix x(u.begin(), u.end());
  for (double &e : x)
    e /= denom;
  int64_t r = rows, k = cols;
  if (rows > cols) {
    x = transpose(x, rows, cols);
    std::swap(r, k);
  }
  for (int s = 0; s < steps; ++s) {
    Matrix gram = matmul(x, transpose(x, r, k), r, k, r);
    Matrix gram2 = matmul(gram, gram, r, r, r);
    Matrix poly(r * r);
    for (int64_t i = 0; i < r * r; ++i)
      poly[i] = b * gram[i] + c * gram2[i];
    Matrix px = matmul(poly, x, r, r, k);
    for (int64_t i = 0; i < r * k; ++i)
      x[i] = a * x[i] + px[i];
  }
  if (rows > cols)
    x = transpose(x, cols, rows);
  const float scale = std::sqrt(
      std::max(1.0f, static_cast<float>(rows) / static_cast<float>(cols)));
  const double lrScale = lr * scale, lrWd = lr * wd;
  for (int64_t i = 0; i < n; ++i) {
    double wi = quantize(qw, w[i], i, t);
    w[i] = static_cast<float>(wi - lrScale * x[i] - lrWd * wi);
  }
}

//===----------------------------------------------------------------------===//
// Reading the compiled results and comparing
//===----------------------------------------------------------------------===//

/// The data of every printMemrefI32 in `text`, as f32 bit patterns.
std::vector<std::vector<float>> parseMemrefs(const std::string &text) {
  std::vector<std::vector<float>> out;
  size_t pos = 0;
  while ((pos = text.find("data =", pos)) != std::string::npos) {
    size_t end = text.find("Unranked", pos);
    std::string body = text.substr(
        pos + 6, end == std::string::npos ? std::string::npos : end - pos - 6);
    std::vector<float> values;
    for (size_t i = 0; i < body.size();) {
      if (body[i] == '-' || std::isdigit(static_cast<unsigned char>(body[i]))) {
        char *next;
        long long bits = std::strtoll(body.c_str() + i, &next, 10);
        uint32_t u = static_cast<uint32_t>(bits);
        float f;
        std::memcpy(&f, &u, sizeof(f));
        values.push_back(f);
        i = next - body.c_str();
      } else {
        ++i;
      }
    }
    out.push_back(std::move(values));
    pos = end == std::string::npos ? text.size() : end;
  }
  return out;
}

bool compare(const char *name, const std::vector<float> &got,
             const std::vector<float> &want, double rtol) {
  if (got.size() != want.size()) {
    std::printf("%s: FAIL size %zu, expected %zu\n", name, got.size(),
                want.size());
    return false;
  }
  double sumSq = 0.0;
  for (float x : want)
    sumSq += static_cast<double>(x) * x;
  double rms = want.empty() ? 0.0 : std::sqrt(sumSq / want.size());
  double maxRel = 0.0;
  size_t bad = 0, exact = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    double diff = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (got[i] == want[i] || (std::isnan(got[i]) && std::isnan(want[i]))) {
      ++exact;
      continue;
    }
    double rel = diff / std::max<double>(std::fabs(want[i]), 1e-30);
    maxRel = std::max(maxRel, rel);
    if (!(diff <= rtol * std::fabs(want[i]) + rtol * rms)) {
      if (bad < 5)
        std::printf("%s[%zu]: got %.9g, expected %.9g\n", name, i, got[i],
                    want[i]);
      ++bad;
    }
  }
  std::printf("%s: %s %zu elements, %zu bit-identical, max rel err %.3g\n",
              name, bad ? "FAIL" : "PASS", got.size(), exact, maxRel);
  return bad == 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: qopt-optim-ref adam|muon --key=value ... < output\n");
    return 2;
  }
  std::fesetround(FE_TONEAREST);
  std::string op = argv[1];
  Options o;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    size_t eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) {
      std::fprintf(stderr, "bad option '%s'\n", arg.c_str());
      return 2;
    }
    o.values[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
  }
  std::string text((std::istreambuf_iterator<char>(std::cin)),
                   std::istreambuf_iterator<char>());
  std::vector<std::vector<float>> got = parseMemrefs(text);
  const double rtol = o.num("rtol", 1e-6);
  const int64_t steps = static_cast<int64_t>(o.num("steps", 1));
  bool ok = true;
  if (op == "adam") {
    int64_t n = static_cast<int64_t>(o.num("n", 0));
    std::vector<float> w = gen(0, n), m = gen(1, n), v = gen(2, n, true);
    for (int64_t t = 1; t <= steps; ++t)
      adamStep(w, gen(10 + t, n), m, v, t, o);
    if (got.size() != 3) {
      std::printf("FAIL: expected 3 printed results, got %zu\n", got.size());
      return 1;
    }
    ok &= compare("w", got[0], w, rtol);
    ok &= compare("m", got[1], m, rtol);
    ok &= compare("v", got[2], v, rtol);
  } else if (op == "muon") {
    int64_t rows = static_cast<int64_t>(o.num("rows", 0)),
            cols = static_cast<int64_t>(o.num("cols", 0));
    std::vector<float> w = gen(0, rows * cols), buf = gen(1, rows * cols);
    for (int64_t t = 1; t <= steps; ++t)
      muonStep(w, gen(10 + t, rows * cols), buf, rows, cols, t, o);
    if (got.size() != 2) {
      std::printf("FAIL: expected 2 printed results, got %zu\n", got.size());
      return 1;
    }
    ok &= compare("w", got[0], w, rtol);
    ok &= compare("buf", got[1], buf, rtol);
  } else {
    std::fprintf(stderr, "unknown op '%s'\n", op.c_str());
    return 2;
  }
  std::printf("%s\n", ok ? "ALL PASS" : "SOME FAILED");
  return ok ? 0 : 1;
}
