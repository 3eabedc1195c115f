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
// it. Results depend only on (seed, step, stream, element index), never on
// the order elements are visited.
//
// Two levels, so that the per-element work is 32-bit arithmetic only (AVX2
// has 32-bit vector multiplies, `vpmulld`, but no 64-bit ones):
//
// * the tensor key, once per quantize: two splitmix64 finalizers of
//   (seed, step, stream) give 64 bits, k0 (low half) and k1 (high half);
// * the element bits, per element: Wellons' lowbias32, a two-round 32-bit
//   multiply-xorshift, of the low 32 bits of the index xor k0, with k1 xor
//   the high 32 bits of the index mixed in between the two rounds. For a
//   fixed tensor key every step is a bijection, so the 2^32 elements of one
//   chunk of the index space get distinct bits, and chunks (index >> 32)
//   differ through the mixed-in word. Two multiplies, not three: on AVX2
//   machines `vpmulld` costs several cycles and the rounding of 64M floats
//   must keep up with a copy loop.
//
// The stream (qopt.quantize's `stream` attribute) keys each quantization
// point, so tensors rounded with the same seed and step draw independent bits.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_NUMERICS_COUNTERHASH_H
#define QOPT_NUMERICS_COUNTERHASH_H

#include <cstdint>

namespace mlir {
namespace qopt {

inline constexpr uint64_t kHashStepMultiplier = 0x9E3779B97F4A7C15ull;
inline constexpr uint64_t kHashStreamMultiplier = 0xD1B54A32D192ED03ull;
inline constexpr uint64_t kHashMix1 = 0xBF58476D1CE4E5B9ull;
inline constexpr uint64_t kHashMix2 = 0x94D049BB133111EBull;

/// Multipliers of the two per-element rounds (lowbias32).
inline constexpr uint32_t kHashRound1 = 0x7FEB352Du;
inline constexpr uint32_t kHashRound2 = 0x846CA68Bu;

/// The splitmix64 output function: a bijection on 64 bits with full
/// avalanche.
inline constexpr uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * kHashMix1;
  z = (z ^ (z >> 27)) * kHashMix2;
  return z ^ (z >> 31);
}

/// Key of one quantization (seed, step, stream); loop-invariant over a
/// tensor. Its low half is k0, its high half k1.
inline constexpr uint64_t stochasticKey(uint64_t seed, uint64_t step,
                                        uint64_t stream) {
  return mix64(mix64(seed + kHashStepMultiplier * (step + 1)) ^
               (stream * kHashStreamMultiplier));
}

/// 32 uniformly distributed random bits for element `index` (row-major
/// linear index) of a tensor with key `key` (from stochasticKey).
inline constexpr uint32_t stochasticBitsForKey(uint64_t key, uint64_t index) {
  uint32_t x = static_cast<uint32_t>(index) ^ static_cast<uint32_t>(key);
  x ^= x >> 16;
  x *= kHashRound1;
  x ^= static_cast<uint32_t>(key >> 32) ^ static_cast<uint32_t>(index >> 32);
  x ^= x >> 15;
  x *= kHashRound2;
  return x ^ (x >> 16);
}

/// 32 uniformly distributed random bits for element `index` of a tensor
/// quantized with (seed, step, stream).
inline constexpr uint32_t stochasticBits(uint64_t seed, uint64_t step,
                                         uint64_t stream, uint64_t index) {
  return stochasticBitsForKey(stochasticKey(seed, step, stream), index);
}

} // namespace qopt
} // namespace mlir

#endif // QOPT_NUMERICS_COUNTERHASH_H
