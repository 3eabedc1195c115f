//===- StochasticStreamsTest.cpp - keys of stochastic rounding -----------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Stochastic quantizes that share a seed and a step but not a stream make
// independent up/down decisions, written with and without `stream`; and
// the JIT-compiled kernels draw exactly the bits of CounterHash.h, stream
// included, for the streams given by hand and the ones the lowering
// assigns.
//
//===----------------------------------------------------------------------===//

#include "JitModule.h"
#include "ReferenceQuantize.h"

#include "qopt/Numerics/CounterHash.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

using namespace qopt_test;

namespace {

/// Five bf16 stochastic kernels with the same seed and step operands:
/// streams 1 and 2 by hand, two without a stream (the lowering assigns the
/// smallest free values in walk order, 0 and 3), and stream 1 again.
constexpr const char *kSource = R"mlir(
func.func @sr_0(%x: tensor<?xf32>, %seed: i64, %step: i64) -> tensor<?xf32>
    attributes {llvm.emit_c_interface} {
  %q = qopt.quantize %x to <bf16> rounding <stochastic> seed %seed step %step
      stream 1 : tensor<?xf32>
  return %q : tensor<?xf32>
}
func.func @sr_1(%x: tensor<?xf32>, %seed: i64, %step: i64) -> tensor<?xf32>
    attributes {llvm.emit_c_interface} {
  %q = qopt.quantize %x to <bf16> rounding <stochastic> seed %seed step %step
      stream 2 : tensor<?xf32>
  return %q : tensor<?xf32>
}
func.func @sr_2(%x: tensor<?xf32>, %seed: i64, %step: i64) -> tensor<?xf32>
    attributes {llvm.emit_c_interface} {
  %q = qopt.quantize %x to <bf16> rounding <stochastic> seed %seed step %step
      : tensor<?xf32>
  return %q : tensor<?xf32>
}
func.func @sr_3(%x: tensor<?xf32>, %seed: i64, %step: i64) -> tensor<?xf32>
    attributes {llvm.emit_c_interface} {
  %q = qopt.quantize %x to <bf16> rounding <stochastic> seed %seed step %step
      : tensor<?xf32>
  return %q : tensor<?xf32>
}
func.func @sr_4(%x: tensor<?xf32>, %seed: i64, %step: i64) -> tensor<?xf32>
    attributes {llvm.emit_c_interface} {
  %q = qopt.quantize %x to <bf16> rounding <stochastic> seed %seed step %step
      stream 1 : tensor<?xf32>
  return %q : tensor<?xf32>
}
)mlir";

/// The stream each kernel of kSource ends up with.
constexpr uint64_t kStreams[] = {1, 2, 0, 3, 1};
constexpr size_t kKernels = sizeof(kStreams) / sizeof(kStreams[0]);

using Kernel = void (*)(MemRef1D *, MemRef1D *, int64_t, int64_t);

class StochasticStreams : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    jit = JitModule::compile(kSource, /*optLevel=*/2, error).release();
    if (jit && !jit->lookupNumbered("sr_", kKernels, entries, error)) {
      delete jit;
      jit = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete jit;
    jit = nullptr;
  }

  /// Runs kernel `k` on `input` (f32 bit patterns).
  static std::vector<uint32_t> run(size_t k, const std::vector<uint32_t> &input,
                                   int64_t seed, int64_t step) {
    void *data = const_cast<uint32_t *>(input.data());
    MemRef1D in = viewOf(data, static_cast<int64_t>(input.size()));
    MemRef1D out{};
    reinterpret_cast<Kernel>(entries[k])(&out, &in, seed, step);
    std::vector<uint32_t> result(input.size());
    std::memcpy(result.data(), static_cast<uint32_t *>(out.data) + out.offset,
                input.size() * sizeof(uint32_t));
    freeResult(out, data);
    return result;
  }

  static JitModule *jit;
  static std::vector<void *> entries;
  static std::string error;
};

JitModule *StochasticStreams::jit = nullptr;
std::vector<void *> StochasticStreams::entries;
std::string StochasticStreams::error;

const Format kBF16{8, 7, false, false, false, "bf16"};

/// Pearson correlation of two 0/1 sequences.
double correlation(const std::vector<int> &a, const std::vector<int> &b) {
  double n = static_cast<double>(a.size()), sa = 0, sb = 0, sab = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sa += a[i];
    sb += b[i];
    sab += a[i] * b[i];
  }
  double ma = sa / n, mb = sb / n;
  double cov = sab / n - ma * mb;
  return cov / std::sqrt(ma * (1 - ma) * mb * (1 - mb));
}

TEST_F(StochasticStreams, DifferentStreamsDecideIndependently) {
  ASSERT_NE(jit, nullptr) << error;
  // 1 + 2^-8: exactly halfway between two bf16 values, so each element
  // rounds up with probability 1/2, and both signs.
  const size_t n = size_t(1) << 18;
  std::vector<uint32_t> input(n);
  for (size_t i = 0; i < n; ++i)
    input[i] = (i % 3 == 0 ? 0xbf808000u : 0x3f808000u);
  std::vector<std::vector<int>> up(kKernels);
  for (size_t k = 0; k < kKernels; ++k) {
    std::vector<uint32_t> out = run(k, input, /*seed=*/42, /*step=*/9);
    for (size_t i = 0; i < n; ++i)
      up[k].push_back((out[i] & 0x7fffffffu) > (input[i] & 0x7fffffffu));
    double mean = 0;
    for (int d : up[k])
      mean += d;
    mean /= n;
    // 1/2 within 5 standard deviations (0.5 / sqrt(n) = 0.001).
    EXPECT_NEAR(mean, 0.5, 0.005) << "kernel " << k;
  }
  // Independent decisions: correlation within 5 standard deviations
  // (1 / sqrt(n) = 0.002) of 0, for every pair of distinct streams.
  for (size_t a = 0; a < kKernels; ++a)
    for (size_t b = a + 1; b < kKernels; ++b) {
      double r = correlation(up[a], up[b]);
      if (kStreams[a] == kStreams[b])
        EXPECT_EQ(up[a], up[b])
            << "same stream " << kStreams[a] << " must give the same decisions";
      else
        EXPECT_LT(std::fabs(r), 0.01)
            << "streams " << kStreams[a] << " and " << kStreams[b];
    }
  // Neighbouring elements of one tensor are not correlated either.
  std::vector<int> head(up[0].begin(), up[0].end() - 1),
      tail(up[0].begin() + 1, up[0].end());
  EXPECT_LT(std::fabs(correlation(head, tail)), 0.01);
}

TEST_F(StochasticStreams, BitForBitTheHostHash) {
  ASSERT_NE(jit, nullptr) << error;
  // Magnitudes over 2^-140 .. 2^100 (subnormals included), both signs,
  // every low bit pattern, and the specials.
  std::mt19937 rng(5);
  const size_t n = 100003;
  std::vector<uint32_t> input(n);
  for (uint32_t &bits : input) {
    uint32_t r = rng();
    bits = (r & 0x807fffffu) | (((r >> 23) % 228u) << 23);
  }
  const uint32_t specials[] = {0x7f800000u, 0xff800000u, 0x7fc00001u,
                               0x7f7fffffu, 0x00000000u, 0x80000000u,
                               0x00000001u, 0x3f808000u};
  for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); ++i)
    input[i * 97] = specials[i];
  for (int64_t step : {0, 1, 123456789}) {
    const int64_t seed = -3; // all 64 bits set but one: any i64 is a seed
    for (size_t k = 0; k < kKernels; ++k) {
      std::vector<uint32_t> out = run(k, input, seed, step);
      size_t differ = 0;
      for (size_t i = 0; i < n; ++i) {
        uint32_t bits = mlir::qopt::stochasticBits(static_cast<uint64_t>(seed),
                                                   static_cast<uint64_t>(step),
                                                   kStreams[k], i);
        uint32_t expected =
            referenceQuantize(input[i], kBF16, Rounding::Stochastic, bits);
        differ += out[i] != expected;
      }
      EXPECT_EQ(differ, 0u) << "kernel " << k << " (stream " << kStreams[k]
                            << ", step " << step << ")";
    }
  }
}

TEST(CounterHash, HostHashProperties) {
  using namespace mlir::qopt;
  // The key depends on every input.
  EXPECT_NE(stochasticKey(1, 2, 3), stochasticKey(1, 2, 4));
  EXPECT_NE(stochasticKey(1, 2, 3), stochasticKey(1, 3, 3));
  EXPECT_NE(stochasticKey(1, 2, 3), stochasticKey(2, 2, 3));
  // Within a 2^32 chunk the bits are a bijection of the index: no repeats
  // over a window; and the chunk above draws other bits at the same low
  // index.
  const uint64_t key = stochasticKey(7, 8, 9);
  std::vector<uint32_t> seen;
  size_t sameAcrossChunks = 0;
  for (uint64_t i = 0; i < 4096; ++i) {
    seen.push_back(stochasticBitsForKey(key, i));
    sameAcrossChunks += stochasticBitsForKey(key, i) ==
                        stochasticBitsForKey(key, i + (uint64_t(1) << 32));
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());
  EXPECT_EQ(sameAcrossChunks, 0u);
  // lowbias32 of (index ^ k0) with k1 ^ (index >> 32) between the rounds.
  EXPECT_EQ(stochasticBitsForKey(0, 0), 0u);
  uint32_t x = 1;
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  EXPECT_EQ(stochasticBitsForKey(0, 1), x);
}

} // namespace
