//===- CounterHash.h - random bits of stochastic rounding -------*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The counter-based hash that gives stochastic rounding its random bits. It
// is part of qopt.quantize's semantics: every lowering (CPU, GPU) emits exactly
// this arithmetic, and host code (tests, runners) uses this header to predict
// it. It is a splitmix64 finalizer applied twice, so results depend only on
// (seed, step, element index), never on the order elements are visited.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_NUMERICS_COUNTERHASH_H
#define QOPT_NUMERICS_COUNTERHASH_H

#include <cstdint>

namespace mlir {
namespace qopt {

inline constexpr uint64_t kHashStepMultiplier = 0x9E3779B97F4A7C15ull;
inline constexpr uint64_t kHashIndexMultiplier = 0xD1B54A32D192ED03ull;
inline constexpr uint64_t kHashMix1 = 0xBF58476D1CE4E5B9ull;
inline constexpr uint64_t kHashMix2 = 0x94D049BB133111EBull;

/// The splitmix64 output function: a bijection on 64 bits with full
/// avalanche.
inline constexpr uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * kHashMix1;
  z = (z ^ (z >> 27)) * kHashMix2;
  return z ^ (z >> 31);
}

/// Key of one (seed, step) pair; loop-invariant over a tensor.
inline constexpr uint64_t stochasticKey(uint64_t seed, uint64_t step) {
  return mix64(seed + kHashStepMultiplier * (step + 1));
}

/// 32 uniformly distributed random bits for element `index` (row-major linear
/// index) of a tensor quantized with (seed, step).
inline constexpr uint32_t stochasticBits(uint64_t seed, uint64_t step,
                                         uint64_t index) {
  return static_cast<uint32_t>(
      mix64(stochasticKey(seed, step) ^ (index * kHashIndexMultiplier)) >> 32);
}

} // namespace qopt
} // namespace mlir

#endif // QOPT_NUMERICS_COUNTERHASH_H
