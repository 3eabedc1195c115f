//===- QuantizeNumericsTest.cpp - compiled qopt.quantize vs. oracles ------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Runs the JIT-compiled qopt.quantize kernel (qopt's CPU pipeline) and checks
// every result bit for bit:
//  - against LLVM's APFloat conversions for bf16, fp16, fp8_e4m3 and
//    fp8_e5m2 (10^7 random inputs plus every special class, per format and
//    rounding mode);
//  - against the double-arithmetic reference of ReferenceQuantize.cpp for
//    every (exp_bits, man_bits), every rounding mode (stochastic rounding fed
//    the same random bits as the kernel) and the flush / saturate / fn
//    policies;
// and checks stochastic rounding statistically (neighbours only, unbiased,
// reproducible per (seed, step), different across steps).
//
//===----------------------------------------------------------------------===//

#include "QuantizeKernels.h"
#include "ReferenceQuantize.h"

#include "qopt/Numerics/CounterHash.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <sstream>
#include <tuple>

using namespace qopt_test;

namespace qopt_test {
void PrintTo(const Format &f, std::ostream *os) { *os << f.describe(); }
} // namespace qopt_test

namespace {

//===----------------------------------------------------------------------===//
// Sizes
//===----------------------------------------------------------------------===//

/// Random inputs per (APFloat format, rounding mode).
constexpr size_t kAPFloatInputs = 10'000'000;
/// Random inputs per (exp_bits, man_bits, rounding mode), ieee policies.
constexpr size_t kSweepInputs = 100'000;
/// Random inputs per (exp_bits, man_bits) for its policy kernel.
constexpr size_t kPolicyInputs = 100'000;

//===----------------------------------------------------------------------===//
// Formats and kernels
//===----------------------------------------------------------------------===//

Format namedFormat(const char *name, int e, int m, bool fn) {
  Format f{e, m};
  f.fn = fn;
  f.name = name;
  return f;
}

const Format kBF16 = namedFormat("bf16", 8, 7, false);
const Format kFP16 = namedFormat("fp16", 5, 10, false);
const Format kE4M3 = namedFormat("fp8_e4m3", 4, 3, true);
const Format kE5M2 = namedFormat("fp8_e5m2", 5, 2, false);

/// Formats with special policies used by the hand-computed cases.
Format e3m2FlushSaturate() {
  Format f{3, 2};
  f.flush = f.saturate = true;
  return f;
}

Format e2m1Fn() {
  Format f{2, 1};
  f.fn = true;
  return f;
}

constexpr Rounding kAllRoundings[] = {
    Rounding::NearestEven, Rounding::TowardZero, Rounding::Stochastic};

/// The policy kernel checked for (exp_bits, man_bits) besides the default
/// policies (keep subnormals, overflow to inf, ieee encoding). Compiling a
/// kernel costs far more than running it, so each (E, M) gets one of the
/// twelve (variant, rounding) pairs in turn; over the 24 mantissa widths of
/// an exponent width every pair comes up twice.
KernelSpec policyKernel(int e, int m) {
  int pair = (e + m) % 12;
  Rounding rounding = kAllRoundings[pair % 3];
  // fn needs a mantissa bit and at most 7 exponent bits.
  bool fnValid = m >= 1 && e <= 7;
  Format f{e, m};
  switch (pair / 3) {
  case 0:
    f.flush = true;
    break;
  case 1:
    f.saturate = true;
    break;
  case 2:
    f.fn = fnValid;
    f.flush = !fnValid;
    f.saturate = !fnValid;
    break;
  default:
    f.flush = f.saturate = true;
    f.fn = fnValid;
    break;
  }
  return {f, rounding};
}

std::string kernelKey(const Format &f, Rounding r) {
  return f.describe() + " " + roundingKeyword(r);
}

/// A set of kernels compiled together into one module.
class KernelTable {
public:
  KernelTable(const std::vector<KernelSpec> &specs, unsigned optLevel) {
    for (size_t i = 0; i < specs.size(); ++i)
      index[kernelKey(specs[i].format, specs[i].rounding)] = i;
    kernels = QuantizeKernels::compile(specs, optLevel, error);
  }

  bool ok() const { return kernels != nullptr; }
  const std::string &compileError() const { return error; }
  const QuantizeKernels &get() const { return *kernels; }

  size_t lookup(const Format &f, Rounding r) const {
    auto it = index.find(kernelKey(f, r));
    if (it == index.end()) {
      // A test asking for a kernel it did not compile is a bug of the test.
      std::fprintf(stderr, "kernel %s was not compiled\n",
                   kernelKey(f, r).c_str());
      std::abort();
    }
    return it->second;
  }

  void run(const Format &f, Rounding r, const std::vector<uint32_t> &input,
           std::vector<uint32_t> &output, uint64_t seed = 0,
           uint64_t step = 0) const {
    kernels->run(lookup(f, r), input, output, seed, step);
  }

private:
  std::unique_ptr<QuantizeKernels> kernels;
  std::map<std::string, size_t> index;
  std::string error;
};

/// Kernels of the named formats and of the small hand-checked formats,
/// shared by several tests and compiled on first use.
std::vector<KernelSpec> sharedKernelSpecs() {
  std::vector<KernelSpec> specs;
  for (const Format &f : {kBF16, kFP16, kE4M3, kE5M2})
    for (Rounding r : kAllRoundings)
      specs.push_back({f, r});
  specs.push_back({Format{3, 2}, Rounding::Stochastic});
  specs.push_back({Format{2, 0}, Rounding::Stochastic});
  specs.push_back({e3m2FlushSaturate(), Rounding::NearestEven});
  specs.push_back({e2m1Fn(), Rounding::NearestEven});
  return specs;
}

const KernelTable &sharedKernels() {
  // Compiled at O2, as a production JIT would run them.
  static const KernelTable table(sharedKernelSpecs(), /*optLevel=*/2);
  return table;
}

#define REQUIRE_KERNELS(table)                                                 \
  ASSERT_TRUE((table).ok()) << (table).compileError()

//===----------------------------------------------------------------------===//
// Inputs
//===----------------------------------------------------------------------===//

/// Appends the f32 bit pattern of `v` and of -v when v is an f32 value.
void addValue(std::vector<uint32_t> &out, double v) {
  float f = static_cast<float>(v);
  if (static_cast<double>(f) != v && !std::isnan(v))
    return;
  out.push_back(floatToBits(f));
  out.push_back(floatToBits(f) ^ 0x80000000u);
}

/// Adds v and its f32 neighbours.
void addWithNeighbours(std::vector<uint32_t> &out, double v) {
  float f = static_cast<float>(v);
  if (static_cast<double>(f) != v)
    return;
  addValue(out, f);
  addValue(out, std::nextafter(f, 0.0f));
  addValue(out, std::nextafter(f, INFINITY));
}

/// Every special class for `f`: zeros, infinities, NaNs, f32 subnormals, and
/// the values at, next to and halfway around the format's boundaries (largest
/// finite, smallest normal, smallest subnormal) and exact ties in several
/// binades; both signs.
std::vector<uint32_t> specialInputs(const Format &f) {
  std::vector<uint32_t> out;
  // Zeros, infinities, NaNs (quiet, signalling, with payloads).
  for (uint32_t bits : {0x00000000u, 0x7f800000u, 0x7fc00000u, 0x7f800001u,
                        0x7fa00000u, 0x7fffffffu, 0x7fc12345u}) {
    out.push_back(bits);
    out.push_back(bits | 0x80000000u);
  }
  // f32 subnormals, the smallest f32 normal and the largest f32.
  for (uint32_t bits : {0x00000001u, 0x00000002u, 0x00000003u, 0x00012345u,
                        0x00400000u, 0x00400001u, 0x007fffffu, 0x00800000u,
                        0x00800001u, 0x7f7fffffu, 0x7f000000u, 0x3f800000u}) {
    out.push_back(bits);
    out.push_back(bits | 0x80000000u);
  }
  const int m = f.manBits;
  const double largest = f.largestFinite();
  const double topQuantum = std::ldexp(1.0, f.maxExp() - m);
  const double normal = f.smallestNormal();
  const double sub = f.smallestSubnormal();
  // Largest finite: the value, the next grid point (inf or the NaN pattern),
  // the tie between them and values around it, far beyond.
  addWithNeighbours(out, largest);
  addWithNeighbours(out, largest + topQuantum / 2);
  addWithNeighbours(out, largest + topQuantum);
  addWithNeighbours(out, largest + topQuantum * 1.5);
  addWithNeighbours(out, largest - topQuantum / 2);
  addWithNeighbours(out, 2 * largest);
  addWithNeighbours(out, std::ldexp(1.0, f.maxExp() + 1));
  // Smallest normal, the largest subnormal and the tie between them.
  addWithNeighbours(out, normal);
  addWithNeighbours(out, normal - sub);
  addWithNeighbours(out, normal - sub / 2);
  addWithNeighbours(out, normal + sub / 2);
  addWithNeighbours(out, normal * 1.5);
  // Smallest subnormal, the tie with zero, and deeper.
  addWithNeighbours(out, sub);
  addWithNeighbours(out, sub / 2);
  addWithNeighbours(out, sub * 1.5);
  addWithNeighbours(out, sub * 2.5);
  addWithNeighbours(out, sub / 4);
  addWithNeighbours(out, sub * 0.75);
  addWithNeighbours(out, sub / 1024);
  // Exact ties (to even below and above) and representable values in a few
  // binades across the range.
  for (int e :
       {f.minExp(), f.minExp() + 1, -1, 0, 1, f.maxExp() - 1, f.maxExp()}) {
    if (e < f.minExp() || e > f.maxExp())
      continue;
    double q = std::ldexp(1.0, e - m);
    double base = std::ldexp(1.0, e);
    for (double k : {0.0, 1.0, 2.0, 3.0})
      for (double half : {0.0, 0.5})
        addWithNeighbours(out, base + (k + half) * q);
    addWithNeighbours(out, std::ldexp(1.0, e + 1) - q / 2);
  }
  // Subnormal ties.
  for (double k : {1.0, 2.0, 3.0})
    addWithNeighbours(out, (k + 0.5) * sub);
  return out;
}

/// Random f32 inputs concentrated on the format's range: a quarter uniform
/// bit patterns (every class, NaN and inf included), the rest with an
/// exponent from a little below the smallest subnormal to a little above the
/// largest finite value; of those a third are exact ties or one f32 ulp off
/// one, and a sixth have the bits below the format's mantissa cleared (on
/// the grid, or next to it among the subnormals).
class InputGenerator {
public:
  InputGenerator(const Format &f, uint64_t seed) : format(f), rng(seed) {}

  uint32_t next() {
    uint32_t kind = rng() % 8;
    if (kind < 2)
      return static_cast<uint32_t>(rng());
    uint32_t sign = (rng() & 1) ? 0x80000000u : 0u;
    int lo = std::max(format.minExp() - format.manBits - 3, -149);
    int hi = std::min(format.maxExp() + 2, 127);
    int e = lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo + 1));
    if (kind >= 6) {
      // (k + 1/2) quanta, then possibly one f32 ulp off the tie.
      int qe = std::max(e, format.minExp()) - format.manBits;
      uint64_t span = e >= format.minExp() ? (uint64_t{1} << format.manBits)
                                           : uint64_t{1} << std::max(0, e - qe);
      double k = static_cast<double>(rng() % span);
      double base = e >= format.minExp() ? std::ldexp(1.0, e) : 0.0;
      double v = base + std::ldexp(k + 0.5, qe);
      float fv = static_cast<float>(v);
      if (static_cast<double>(fv) == v && std::isfinite(fv)) {
        uint32_t r = rng() % 4;
        if (r == 1)
          fv = std::nextafter(fv, 0.0f);
        else if (r == 2)
          fv = std::nextafter(fv, INFINITY);
        return floatToBits(fv) | sign;
      }
    }
    uint32_t random = static_cast<uint32_t>(rng());
    if (kind == 5) {
      // Exactly representable in the format or nearly so: clear the bits the
      // format drops.
      int dropped = std::min(23, 23 - format.manBits);
      random &= ~((uint32_t{1} << dropped) - 1);
    }
    if (e >= -126)
      return sign | (static_cast<uint32_t>(e + 127) << 23) |
             (random & 0x007fffffu);
    // f32 subnormal with its leading bit at 2^e.
    uint32_t lead = uint32_t{1} << (e + 149);
    return sign | lead | (random & (lead - 1));
  }

  std::vector<uint32_t> generate(size_t count) {
    std::vector<uint32_t> out = specialInputs(format);
    out.reserve(out.size() + count);
    for (size_t i = 0; i < count; ++i)
      out.push_back(next());
    return out;
  }

private:
  Format format;
  std::mt19937_64 rng;
};

//===----------------------------------------------------------------------===//
// Comparison
//===----------------------------------------------------------------------===//

std::string hex(uint32_t bits) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "0x%08x", bits);
  return buffer;
}

std::string showBits(uint32_t bits) {
  std::ostringstream os;
  os.precision(9);
  os << hex(bits) << " (" << bitsToFloat(bits) << ")";
  return os.str();
}

/// Counts the results that differ from `expected` and describes the first
/// few. NaN results compare by NaN-ness and sign; with `exactNaN` their bits
/// must also be the canonical quiet NaN the reference produces.
struct Comparison {
  Comparison(std::string what, bool exactNaN)
      : what(std::move(what)), exactNaN(exactNaN) {}

  std::string what;
  bool exactNaN;
  size_t checked = 0;
  size_t mismatches = 0;
  std::ostringstream report;

  void check(size_t index, uint32_t input, uint32_t expected, uint32_t actual,
             uint32_t randomBits = 0) {
    ++checked;
    bool same;
    if (isNaNBits(expected) && !exactNaN)
      same = isNaNBits(actual) && ((actual ^ expected) & 0x80000000u) == 0;
    else
      same = actual == expected;
    if (same)
      return;
    if (++mismatches <= 10) {
      report << "  [" << index << "] x = " << showBits(input) << ": expected "
             << showBits(expected) << ", got " << showBits(actual);
      if (randomBits)
        report << " (random bits " << hex(randomBits) << ")";
      report << "\n";
    }
  }

  void expectNone() {
    EXPECT_EQ(mismatches, 0u) << what << ": " << mismatches << " of " << checked
                              << " results differ\n"
                              << report.str();
  }
};

/// Checks kernel `kernel` on `inputs` against the reference; stochastic
/// kernels run with (seed, step) and the reference gets the same bits.
void checkAgainstReference(const KernelTable &table, const KernelSpec &spec,
                           const std::vector<uint32_t> &inputs, uint64_t seed,
                           uint64_t step) {
  std::vector<uint32_t> results;
  table.run(spec.format, spec.rounding, inputs, results, seed, step);
  // quantize to fp32 itself folds away, keeping NaN payloads.
  bool identity = spec.format.expBits == 8 && spec.format.manBits == 23 &&
                  !spec.format.flush && !spec.format.saturate;
  Comparison cmp{"reference vs. kernel " +
                     kernelKey(spec.format, spec.rounding),
                 !identity};
  bool stochastic = spec.rounding == Rounding::Stochastic;
  for (size_t i = 0; i < inputs.size(); ++i) {
    uint32_t bits =
        stochastic ? mlir::qopt::stochasticBits(seed, step, /*stream=*/0, i)
                   : 0;
    cmp.check(i, inputs[i],
              referenceQuantize(inputs[i], spec.format, spec.rounding, bits),
              results[i], bits);
  }
  cmp.expectNone();
}

//===----------------------------------------------------------------------===//
// Kernel vs. APFloat (and the reference vs. APFloat)
//===----------------------------------------------------------------------===//

struct APFloatCase {
  Format format;
  const llvm::fltSemantics &(*semantics)();
  uint64_t seed;
};

/// Names the parameters in gtest's messages instead of dumping their bytes.
void PrintTo(const APFloatCase &c, std::ostream *os) {
  *os << c.format.describe();
}

class QuantizeVsAPFloat : public ::testing::TestWithParam<APFloatCase> {};

TEST_P(QuantizeVsAPFloat, RandomAndSpecialInputs) {
  const KernelTable &table = sharedKernels();
  REQUIRE_KERNELS(table);
  const APFloatCase &c = GetParam();
  std::vector<uint32_t> inputs =
      InputGenerator(c.format, c.seed).generate(kAPFloatInputs);
  std::vector<uint32_t> results;
  for (auto [rounding, mode] :
       {std::make_pair(Rounding::NearestEven,
                       llvm::RoundingMode::NearestTiesToEven),
        std::make_pair(Rounding::TowardZero, llvm::RoundingMode::TowardZero)}) {
    table.run(c.format, rounding, inputs, results);
    std::string tag = kernelKey(c.format, rounding);
    Comparison kernelVsAPFloat{"APFloat vs. kernel " + tag, false};
    Comparison referenceVsAPFloat{"APFloat vs. reference " + tag, false};
    for (size_t i = 0; i < inputs.size(); ++i) {
      uint32_t expected = apfloatQuantize(inputs[i], c.semantics(), mode);
      kernelVsAPFloat.check(i, inputs[i], expected, results[i]);
      referenceVsAPFloat.check(
          i, inputs[i], expected,
          referenceQuantize(inputs[i], c.format, rounding));
    }
    kernelVsAPFloat.expectNone();
    referenceVsAPFloat.expectNone();
    // qopt's NaN is always the canonical quiet NaN with the input's sign.
    for (size_t i = 0; i < inputs.size(); ++i)
      if (isNaNBits(results[i]))
        ASSERT_EQ(results[i] & 0x7fffffffu, kCanonicalNaN)
            << tag << ": x = " << showBits(inputs[i]);
  }
}

INSTANTIATE_TEST_SUITE_P(
    NamedFormats, QuantizeVsAPFloat,
    ::testing::Values(APFloatCase{kBF16, &llvm::APFloat::BFloat, 1},
                      APFloatCase{kFP16, &llvm::APFloat::IEEEhalf, 2},
                      APFloatCase{kE4M3, &llvm::APFloat::Float8E4M3FN, 3},
                      APFloatCase{kE5M2, &llvm::APFloat::Float8E5M2, 4}),
    [](const ::testing::TestParamInfo<APFloatCase> &info) {
      return std::string(info.param.format.name);
    });

//===----------------------------------------------------------------------===//
// Kernel vs. the reference, every (exp_bits, man_bits)
//===----------------------------------------------------------------------===//

class QuantizeVsReference : public ::testing::TestWithParam<int> {};

TEST_P(QuantizeVsReference, EveryMantissaWidthAndPolicy) {
  const int e = GetParam();
  // One module per exponent width: 24 x (3 + 1) kernels.
  std::vector<KernelSpec> specs;
  for (int m = 0; m <= 23; ++m) {
    for (Rounding r : kAllRoundings)
      specs.push_back({Format{e, m}, r});
    specs.push_back(policyKernel(e, m));
  }
  // LLVM's O2 would triple the compile time of these ~100 kernels; they run
  // on only a few 10^5 inputs each. The named formats are checked at O2.
  KernelTable table(specs, /*optLevel=*/0);
  REQUIRE_KERNELS(table);
  for (int m = 0; m <= 23; ++m) {
    SCOPED_TRACE("e" + std::to_string(e) + "m" + std::to_string(m));
    uint64_t seed = 1000 * e + m;
    std::vector<uint32_t> inputs =
        InputGenerator(Format{e, m}, seed).generate(kSweepInputs);
    for (Rounding r : kAllRoundings)
      checkAgainstReference(table, {Format{e, m}, r}, inputs, /*seed=*/seed,
                            /*step=*/m + 3);
    KernelSpec policy = policyKernel(e, m);
    checkAgainstReference(
        table, policy,
        InputGenerator(policy.format, seed + 7).generate(kPolicyInputs),
        /*seed=*/~seed, /*step=*/m);
  }
}

INSTANTIATE_TEST_SUITE_P(ExpBits, QuantizeVsReference, ::testing::Range(2, 9),
                         [](const ::testing::TestParamInfo<int> &info) {
                           return "e" + std::to_string(info.param);
                         });

//===----------------------------------------------------------------------===//
// Hand-computed values (a third, human oracle for the boundaries)
//===----------------------------------------------------------------------===//

struct HandCase {
  float input;
  float expected; // NaN: any NaN with the input's sign.
};

void checkHandCases(const Format &f, Rounding r,
                    const std::vector<HandCase> &cases) {
  const KernelTable &table = sharedKernels();
  REQUIRE_KERNELS(table);
  std::vector<uint32_t> inputs, results;
  for (const HandCase &c : cases)
    inputs.push_back(floatToBits(c.input));
  table.run(f, r, inputs, results);
  Comparison cmp{"hand-computed " + kernelKey(f, r), false};
  for (size_t i = 0; i < cases.size(); ++i)
    cmp.check(i, inputs[i], floatToBits(cases[i].expected), results[i]);
  cmp.expectNone();
}

TEST(QuantizeHandValues, FP8E4M3) {
  // fn: 448 is the largest finite value, 480 would be the NaN pattern, no inf.
  checkHandCases(kE4M3, Rounding::NearestEven,
                 {{448.0f, 448.0f},
                  {463.99f, 448.0f},
                  {464.0f, 448.0f}, // tie: 448 has the even significand
                  {464.01f, NAN},
                  {-1e6f, -NAN},
                  {INFINITY, NAN},
                  {0.0078125f, 0.0078125f}, // 2^-7: smallest subnormal is 2^-9
                  {0x1p-10f, 0.0f},         // tie with zero rounds to zero
                  {0x1.8p-10f, 0x1p-9f},
                  {-0.0f, -0.0f},
                  {1.0625f, 1.0f},    // tie between 1 and 1.125
                  {1.1875f, 1.25f}}); // tie between 1.125 and 1.25
  checkHandCases(kE4M3, Rounding::TowardZero,
                 {{1e6f, 448.0f}, {-479.0f, -448.0f}, {INFINITY, NAN}});
}

TEST(QuantizeHandValues, FP16AndBF16) {
  checkHandCases(kFP16, Rounding::NearestEven,
                 {{65504.0f, 65504.0f},
                  {65519.99f, 65504.0f},
                  {65520.0f, INFINITY},
                  {0x1p-24f, 0x1p-24f},
                  {0x1p-25f, 0.0f},
                  {0x1.000002p-25f, 0x1p-24f},
                  {-INFINITY, -INFINITY}});
  checkHandCases(kBF16, Rounding::NearestEven,
                 {{1.00390625f, 1.0f},      // 1 + 2^-8: tie to even
                  {1.01171875f, 1.015625f}, // 1 + 3*2^-8: tie to even
                  {0x1p-133f, 0x1p-133f},   // smallest bf16 subnormal
                  {0x1p-134f, 0.0f},
                  {0x1.fffffep127f, INFINITY}});
}

TEST(QuantizeHandValues, Policies) {
  // bias 3, emin -2, largest (2 - 2^-2) * 2^3 = 14.
  checkHandCases(e3m2FlushSaturate(), Rounding::NearestEven,
                 {{100.0f, 14.0f},
                  {-INFINITY, -14.0f},
                  {0.24f, 0.25f}, // rounds up to the smallest normal: kept
                  {0.2f, 0.0f},   // rounds to the subnormal 0.1875: flushed
                  {NAN, NAN}});
  // bias 1, emax 2, largest 4 (1.1 * 2^2 is the NaN pattern).
  checkHandCases(e2m1Fn(), Rounding::NearestEven,
                 {{4.0f, 4.0f}, {5.0f, 4.0f}, {5.01f, NAN}, {INFINITY, NAN}});
}

//===----------------------------------------------------------------------===//
// Stochastic rounding: statistics and reproducibility
//===----------------------------------------------------------------------===//

/// Inputs whose two neighbours are finite in `f`: inside the normal range,
/// among the subnormals and far below the smallest subnormal.
std::vector<uint32_t> stochasticProbe(const Format &f, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<uint32_t> out;
  auto add = [&](double v) {
    float x = static_cast<float>(v);
    if (x != 0.0f && std::fabs(x) < f.largestFinite())
      out.push_back(floatToBits((rng() & 1) ? -x : x));
  };
  for (int i = 0; i < 160; ++i) {
    int span = f.maxExp() - f.minExp();
    int e = f.minExp() + static_cast<int>(rng() % span);
    add(std::ldexp(1.0 + unit(rng), e));
  }
  for (int i = 0; i < 48; ++i)
    add(unit(rng) * f.smallestNormal());
  for (int i = 0; i < 48; ++i) // Deep path: results are 0 or the subnormal.
    add(std::ldexp(unit(rng) * f.smallestSubnormal(),
                   -static_cast<int>(rng() % 12)));
  return out;
}

/// The magnitudes below and above |x| in the format (equal when exact).
std::pair<double, double> neighbours(const Format &f, uint32_t bits) {
  double a = std::fabs(static_cast<double>(bitsToFloat(bits)));
  int e2;
  std::frexp(a, &e2);
  double q = std::ldexp(1.0, std::max(e2 - 1, f.minExp()) - f.manBits);
  double lo = std::floor(a / q) * q;
  return {lo, lo == a ? a : lo + q};
}

class StochasticRounding : public ::testing::TestWithParam<Format> {};

TEST_P(StochasticRounding, NeighboursOnlyAndUnbiased) {
  const KernelTable &table = sharedKernels();
  REQUIRE_KERNELS(table);
  const Format &f = GetParam();
  std::vector<uint32_t> probe = stochasticProbe(f, 42);
  // Each probe value is repeated: every copy is an independent draw (the
  // random bits depend on the element index), and so is every step.
  constexpr size_t kCopies = 16, kSteps = 1000;
  std::vector<uint32_t> inputs;
  for (size_t c = 0; c < kCopies; ++c)
    inputs.insert(inputs.end(), probe.begin(), probe.end());

  std::vector<uint64_t> ups(probe.size(), 0);
  std::vector<uint32_t> results;
  size_t outside = 0;
  std::ostringstream outsideReport;
  for (uint64_t step = 0; step < kSteps; ++step) {
    table.run(f, Rounding::Stochastic, inputs, results, /*seed=*/0x5eed, step);
    for (size_t i = 0; i < inputs.size(); ++i) {
      size_t v = i % probe.size();
      auto [lo, hi] = neighbours(f, probe[v]);
      uint32_t sign = probe[v] & 0x80000000u;
      uint32_t loBits = sign | floatToBits(static_cast<float>(lo));
      uint32_t hiBits = sign | floatToBits(static_cast<float>(hi));
      if (results[i] == hiBits && hi != lo)
        ++ups[v];
      else if (results[i] != loBits && ++outside <= 5)
        outsideReport << "  x = " << showBits(probe[v]) << " step " << step
                      << ": got " << showBits(results[i]) << ", expected "
                      << showBits(loBits) << " or " << showBits(hiBits) << "\n";
    }
  }
  EXPECT_EQ(outside, 0u) << f.describe()
                         << ": results that are not a neighbour\n"
                         << outsideReport.str();

  // Unbiased: the mean of n draws is within 5 standard errors of x, for each
  // value and (much tighter) summed over all values in units of their quanta.
  const double n = static_cast<double>(kCopies * kSteps);
  double totalDeviation = 0, totalVariance = 0;
  for (size_t v = 0; v < probe.size(); ++v) {
    auto [lo, hi] = neighbours(f, probe[v]);
    double a = std::fabs(static_cast<double>(bitsToFloat(probe[v])));
    if (hi == lo)
      continue;
    double p = (a - lo) / (hi - lo);
    double mean = lo + (hi - lo) * (static_cast<double>(ups[v]) / n);
    double standardError = (hi - lo) * std::sqrt(p * (1 - p) / n);
    EXPECT_LE(std::fabs(mean - a), 5 * standardError + 1e-12 * (hi - lo))
        << f.describe() << ": x = " << showBits(probe[v]) << ", p(up) = " << p
        << ", observed " << ups[v] / n;
    totalDeviation += static_cast<double>(ups[v]) - n * p;
    totalVariance += n * p * (1 - p);
  }
  EXPECT_LE(std::fabs(totalDeviation) / std::sqrt(totalVariance), 5.0)
      << f.describe() << ": systematic bias over all values";
}

TEST_P(StochasticRounding, ReproduciblePerSeedAndStep) {
  const KernelTable &table = sharedKernels();
  REQUIRE_KERNELS(table);
  const Format &f = GetParam();
  const Rounding sr = Rounding::Stochastic;
  std::vector<uint32_t> inputs = stochasticProbe(f, 7);
  std::vector<uint32_t> first, again, nextStep, otherSeed;
  table.run(f, sr, inputs, first, /*seed=*/11, /*step=*/5);
  table.run(f, sr, inputs, again, 11, 5);
  table.run(f, sr, inputs, nextStep, 11, 6);
  table.run(f, sr, inputs, otherSeed, 12, 5);
  EXPECT_EQ(first, again) << "same seed and step must give the same result";
  auto differing = [&](const std::vector<uint32_t> &other) {
    size_t count = 0;
    for (size_t i = 0; i < first.size(); ++i)
      count += first[i] != other[i];
    return count;
  };
  // Most probe values are inexact with p(up) spread over (0, 1): a fresh
  // draw changes a good fraction of them.
  EXPECT_GT(differing(nextStep), inputs.size() / 10)
      << "different steps must draw different random bits";
  EXPECT_GT(differing(otherSeed), inputs.size() / 10)
      << "different seeds must draw different random bits";
  // And bit for bit what the reference gives with stochasticBits().
  checkAgainstReference(table, {f, sr}, inputs, 11, 5);
  checkAgainstReference(table, {f, sr}, inputs, 11, 6);
}

/// An array long enough for the CPU pipeline's prefetched, strip-mined loop
/// (blocks of 1024, prefetches 2048 ahead) and the loop versioned on the
/// index's width: many blocks, a partial last one, every element's random
/// bits still those of its own index.
TEST_P(StochasticRounding, LongArrayMatchesReference) {
  const KernelTable &table = sharedKernels();
  REQUIRE_KERNELS(table);
  const Format &f = GetParam();
  std::vector<uint32_t> probe = stochasticProbe(f, 3);
  ASSERT_FALSE(probe.empty());
  std::vector<uint32_t> inputs;
  for (size_t i = 0; i < 70000; ++i)
    inputs.push_back(probe[(i * 7919) % probe.size()]);
  checkAgainstReference(table, {f, Rounding::Stochastic}, inputs, 21, 9);
}

Format e3m2Format() { return Format{3, 2}; }
Format e2m0Format() { return Format{2, 0}; }

INSTANTIATE_TEST_SUITE_P(Formats, StochasticRounding,
                         ::testing::Values(kBF16, kFP16, kE4M3, kE5M2,
                                           e3m2Format(), e2m0Format()),
                         [](const ::testing::TestParamInfo<Format> &info) {
                           const Format &f = info.param;
                           return f.name ? std::string(f.name)
                                         : "e" + std::to_string(f.expBits) +
                                               "m" + std::to_string(f.manBits);
                         });

} // namespace
