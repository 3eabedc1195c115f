//===- ReferenceQuantize.h - oracles for qopt.quantize ----------*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Host-side oracles that the compiled qopt.quantize kernel is checked against:
// a reference implementation of the rounding rules written from the op's
// specification in double arithmetic (frexp/ldexp), deliberately unlike the
// integer bit manipulation of the lowering, and a wrapper around LLVM's
// APFloat conversions for the formats APFloat knows.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_UNITTESTS_NUMERICS_REFERENCEQUANTIZE_H
#define QOPT_UNITTESTS_NUMERICS_REFERENCEQUANTIZE_H

#include "llvm/ADT/APFloat.h"

#include <cstdint>
#include <string>

namespace qopt_test {

enum class Rounding { NearestEven, TowardZero, Stochastic };

/// A qopt float format: exp_bits, man_bits and the three policies.
struct Format {
  int expBits;
  int manBits;
  bool flush = false;    // subnormals = flush
  bool saturate = false; // overflow = saturate
  bool fn = false;       // encoding = fn
  /// When set, the attribute is spelled with this name (bf16, fp8_e4m3, ...)
  /// instead of e<E>m<M>, so the named spellings are exercised too.
  const char *name = nullptr;

  int bias() const { return (1 << (expBits - 1)) - 1; }
  /// Exponent of the smallest normal value.
  int minExp() const { return 1 - bias(); }
  /// Exponent of the top binade (an fn format reclaims the ieee inf/NaN one).
  int maxExp() const { return fn ? bias() + 1 : bias(); }
  double largestFinite() const;
  double smallestNormal() const;
  double smallestSubnormal() const;

  /// The attribute body, e.g. `e3m4, subnormals = flush, encoding = fn`.
  std::string attrBody() const;
  /// A short human-readable tag for failure messages.
  std::string describe() const;
};

const char *roundingKeyword(Rounding rounding);

/// Bit pattern qopt produces for every NaN result: a quiet NaN with the sign
/// of the input.
inline constexpr uint32_t kCanonicalNaN = 0x7fc00000u;

/// The reference: the f32 bit pattern of quantize(x) for the f32 input with
/// bits `xBits`. `randomBits` is used by stochastic rounding only.
uint32_t referenceQuantize(uint32_t xBits, const Format &format,
                           Rounding rounding, uint32_t randomBits = 0);

/// The APFloat oracle: converts the f32 value to `semantics` with `mode` and
/// back to f32 (exact), returning the f32 bit pattern.
uint32_t apfloatQuantize(uint32_t xBits, const llvm::fltSemantics &semantics,
                         llvm::RoundingMode mode);

uint32_t floatToBits(float value);
float bitsToFloat(uint32_t bits);
inline bool isNaNBits(uint32_t bits) {
  return (bits & 0x7fffffffu) > 0x7f800000u;
}

} // namespace qopt_test

#endif // QOPT_UNITTESTS_NUMERICS_REFERENCEQUANTIZE_H
