//===- QuantizeEmitter.cpp - scalar quantization arithmetic ---------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The rounding works on the f32 bit pattern. A finite f32 magnitude is
// sig * 2^(be' - 150) with be' = max(biased exponent, 1) and sig the 24-bit
// significand (hidden bit included for normals). The target quantum at that
// magnitude is 2^(max(e, emin) - M), i.e. 2^d units of sig with
//   d = (23 - M) + max(0, emin + 127 - be').
// For d <= 24 the rounded significand is 0 or lies in [2^23, 2^24] (normal
// inputs), and adding a nonzero one to (be' - 1) << 23 yields the f32 pattern
// of the result, a carry into the next binade included. For d >= 25 (far
// below the format's normal range) the result is 0 or the smallest subnormal.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/QOptToLinalg/QuantizeEmitter.h"
#include "IntBuilder.h"
#include "qopt/Numerics/CounterHash.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::qopt;

static uint32_t floatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

StochasticKey mlir::qopt::emitStochasticKey(ImplicitLocOpBuilder &b, Value seed,
                                            Value step, uint64_t stream) {
  IntBuilder ib{b};
  // mix64, spelled out as in CounterHash.h.
  auto mix = [&](Value v) {
    v = ib.mul(ib.bxor(v, ib.shr(v, ib.c64(30))), ib.c64(kHashMix1));
    v = ib.mul(ib.bxor(v, ib.shr(v, ib.c64(27))), ib.c64(kHashMix2));
    return ib.bxor(v, ib.shr(v, ib.c64(31)));
  };
  Value stepPlusOne = ib.add(step, ib.c64(1));
  Value z = mix(ib.add(seed, ib.mul(stepPlusOne, ib.c64(kHashStepMultiplier))));
  Value key = mix(ib.bxor(z, ib.c64(stream * kHashStreamMultiplier)));
  Type i32 = b.getI32Type();
  Value k0 = arith::TruncIOp::create(b, i32, key);
  return {ib.bxor(k0, ib.shr(k0, 16)),
          arith::TruncIOp::create(b, i32, ib.shr(key, ib.c64(32)))};
}

Value mlir::qopt::emitStochasticBits(ImplicitLocOpBuilder &b,
                                     const StochasticKey &key, Value index,
                                     Value wideIndex) {
  IntBuilder ib{b};
  Type i32 = b.getI32Type();
  // Only 32-bit multiplies per element, so that the loop vectorizes. The
  // first round's xor-shift of (index ^ k0), rearranged (see StochasticKey).
  Value low = arith::TruncIOp::create(b, i32, index);
  Value x = ib.bxor(ib.bxor(low, ib.shr(low, 16)), key.k0Folded);
  x = ib.mul(x, ib.c32(kHashRound1));
  Value mixIn = key.k1;
  if (wideIndex) {
    Value high = arith::TruncIOp::create(b, i32, ib.shr(index, ib.c64(32)));
    mixIn =
        ib.bxor(mixIn, arith::SelectOp::create(b, wideIndex, high, ib.c32(0)));
  }
  x = ib.bxor(x, mixIn);
  x = ib.mul(ib.bxor(x, ib.shr(x, 15)), ib.c32(kHashRound2));
  return ib.bxor(x, ib.shr(x, 16));
}

Value mlir::qopt::emitWideIndexCondition(ImplicitLocOpBuilder &b,
                                         ShapedType type,
                                         ArrayRef<Value> sizes) {
  constexpr int64_t kNarrowElements = int64_t(1) << 32;
  if (type.hasStaticShape())
    return type.getNumElements() > kNarrowElements
               ? arith::ConstantIntOp::create(b, b.getI1Type(), 1).getResult()
               : Value();
  // A dynamic shape has rank >= 1.
  Value elements = sizes.front();
  for (Value size : sizes.drop_front())
    elements = arith::MulIOp::create(b, elements, size);
  return arith::CmpIOp::create(
      b, arith::CmpIPredicate::ugt, elements,
      arith::ConstantIndexOp::create(b, kNarrowElements));
}

Value mlir::qopt::emitQuantizeScalar(ImplicitLocOpBuilder &b, Value value,
                                     FloatFormatAttr format,
                                     RoundingMode rounding, Value randomBits) {
  using P = arith::CmpIPredicate;
  IntBuilder ib{b};
  const int manBits = format.getManBits();
  const int minExp = format.getMinExponent();
  const bool ieee = format.getEncoding() == SpecialEncoding::ieee;
  const bool saturate = format.getOverflow() == OverflowPolicy::saturate;

  const uint32_t kSignMask = 0x80000000u, kInfBits = 0x7f800000u;
  const uint32_t kQuietNaN = 0x7fc00000u;
  const uint32_t maxFiniteBits = floatBits(format.getLargestFinite());
  const uint32_t minNormalBits = floatBits(format.getSmallestNormal());
  const uint32_t minSubnormalBits = floatBits(format.getSmallestSubnormal());

  Value bits = arith::BitcastOp::create(b, b.getI32Type(), value);
  Value sign = ib.band(bits, ib.c32(kSignMask));
  Value abs = ib.band(bits, ib.c32(~kSignMask));
  Value biasedExp = ib.shr(abs, ib.c32(23));
  Value effExp = ib.umax(biasedExp, ib.c32(1));
  // The hidden bit is set for normal inputs only.
  Value hidden = ib.shl(
      ib.select(ib.cmp(P::ne, biasedExp, ib.c32(0)), ib.c32(1), ib.c32(0)),
      ib.c32(23));
  Value sig = ib.bor(ib.band(abs, ib.c32(0x007fffffu)), hidden);
  // d = (23 - M) + max(0, emin + 127 - be'); signed arithmetic on small ints.
  Value belowNormal = ib.smax(
      ib.sub(ib.c32(static_cast<uint32_t>(minExp + 127)), effExp), ib.c32(0));
  Value drop = ib.add(ib.c32(23 - manBits), belowNormal);

  // Near path, d <= 24.
  Value dn = ib.umin(drop, ib.c32(24));
  Value unit = ib.shl(ib.c32(1), dn);
  Value lowMask = ib.sub(unit, ib.c32(1));
  Value truncated = ib.band(sig, ib.bxor(lowMask, ib.c32(0xffffffffu)));
  Value roundedSig;
  switch (rounding) {
  case RoundingMode::toward_zero:
    roundedSig = truncated;
    break;
  case RoundingMode::nearest_even: {
    Value half = ib.shr(unit, ib.c32(1));
    Value rem = ib.band(sig, lowMask);
    Value keptOdd = ib.cmp(P::ne, ib.band(sig, unit), ib.c32(0));
    Value above = ib.cmp(P::ugt, rem, half);
    Value tieToOdd =
        arith::AndIOp::create(b, ib.cmp(P::eq, rem, half), keptOdd);
    Value roundUp =
        arith::AndIOp::create(b, ib.cmp(P::ne, dn, ib.c32(0)),
                              arith::OrIOp::create(b, above, tieToOdd));
    roundedSig = ib.select(roundUp, ib.add(truncated, unit), truncated);
    break;
  }
  case RoundingMode::stochastic: {
    Value noise = ib.band(randomBits, lowMask);
    Value sum = ib.add(sig, noise);
    roundedSig = ib.band(sum, ib.bxor(lowMask, ib.c32(0xffffffffu)));
    break;
  }
  }
  // With d = 24 a normal input can round down to nothing: the exponent bits
  // must not survive then.
  Value nearBits = ib.select(
      ib.cmp(P::eq, roundedSig, ib.c32(0)), ib.c32(0),
      ib.add(ib.shl(ib.sub(effExp, ib.c32(1)), ib.c32(23)), roundedSig));

  // Deep path, d >= 25: the result is 0 or the smallest subnormal. Only
  // stochastic rounding can round up there, with probability sig / 2^d,
  // realised as randomBits < sig * 2^(32 - d).
  Value magnitude = nearBits;
  if (rounding == RoundingMode::stochastic) {
    Value shlAmount =
        ib.umin(ib.smax(ib.sub(ib.c32(32), drop), ib.c32(0)), ib.c32(31));
    Value shrAmount =
        ib.umin(ib.smax(ib.sub(drop, ib.c32(32)), ib.c32(0)), ib.c32(31));
    Value threshold = ib.select(ib.cmp(P::ult, drop, ib.c32(32)),
                                ib.shl(sig, shlAmount), ib.shr(sig, shrAmount));
    Value deepUp = ib.cmp(P::ult, randomBits, threshold);
    Value deepBits = ib.select(deepUp, ib.c32(minSubnormalBits), ib.c32(0));
    magnitude = ib.select(ib.cmp(P::ule, drop, ib.c32(24)), nearBits, deepBits);
  } else {
    magnitude =
        ib.select(ib.cmp(P::ule, drop, ib.c32(24)), nearBits, ib.c32(0));
  }

  if (format.getSubnormals() == SubnormalPolicy::flush)
    magnitude = ib.select(ib.cmp(P::ult, magnitude, ib.c32(minNormalBits)),
                          ib.c32(0), magnitude);

  // Overflow of finite inputs. IEEE rounding toward zero never overflows to
  // infinity: it stops at the largest finite value.
  uint32_t overflowBits;
  if (rounding == RoundingMode::toward_zero || saturate)
    overflowBits = maxFiniteBits;
  else
    overflowBits = ieee ? kInfBits : kQuietNaN;
  magnitude = ib.select(ib.cmp(P::ugt, magnitude, ib.c32(maxFiniteBits)),
                        ib.c32(overflowBits), magnitude);

  // Infinities and NaN.
  uint32_t infResultBits =
      saturate ? maxFiniteBits : (ieee ? kInfBits : kQuietNaN);
  magnitude = ib.select(ib.cmp(P::eq, abs, ib.c32(kInfBits)),
                        ib.c32(infResultBits), magnitude);
  magnitude = ib.select(ib.cmp(P::ugt, abs, ib.c32(kInfBits)),
                        ib.c32(kQuietNaN), magnitude);

  Value resultBits = ib.bor(sign, magnitude);
  return arith::BitcastOp::create(b, b.getF32Type(), resultBits);
}

bool mlir::qopt::hasF32ExponentRange(FloatFormatAttr format) {
  return format.getExpBits() == 8 && format.getManBits() >= 1;
}

/// The rounding for formats with f32's exponent range and at least one
/// mantissa bit (bf16, tf32, e8mM with M >= 1), bit-identical to
/// emitQuantizeScalar's general path (test/Integration/fused-quantize-
/// equivalence.mlir checks it). There the number of dropped bits d = 23 - M
/// is a constant, the path below the subnormal range is unreachable, and
/// because (be' - 1) << 23 is a multiple of the quantum (and bit d < 23 is a
/// mantissa bit), rounding the magnitude's bit pattern directly equals
/// rounding the significand and re-adding the exponent.
Value mlir::qopt::emitF32RangeQuantizeScalar(ImplicitLocOpBuilder &b,
                                             Value value,
                                             FloatFormatAttr format,
                                             RoundingMode rounding,
                                             Value randomBits) {
  assert(hasF32ExponentRange(format) && "needs e8mM with M >= 1");
  using P = arith::CmpIPredicate;
  auto c32 = [&](uint32_t v) -> Value {
    return arith::ConstantIntOp::create(b, b.getI32Type(),
                                        static_cast<int32_t>(v));
  };
  auto band = [&](Value x, Value y) -> Value {
    return arith::AndIOp::create(b, x, y);
  };
  auto add = [&](Value x, Value y) -> Value {
    return arith::AddIOp::create(b, x, y);
  };
  auto select = [&](P predicate, Value x, uint32_t bound, uint32_t then,
                    Value otherwise) -> Value {
    return arith::SelectOp::create(
        b, arith::CmpIOp::create(b, predicate, x, c32(bound)), c32(then),
        otherwise);
  };
  const int drop = 23 - static_cast<int>(format.getManBits());
  const bool saturate = format.getOverflow() == OverflowPolicy::saturate;
  const uint32_t kSignMask = 0x80000000u, kInfBits = 0x7f800000u;
  const uint32_t kQuietNaN = 0x7fc00000u;
  const uint32_t maxFiniteBits = floatBits(format.getLargestFinite());
  const uint32_t minNormalBits = floatBits(format.getSmallestNormal());

  Value bits = arith::BitcastOp::create(b, b.getI32Type(), value);
  Value sign = band(bits, c32(kSignMask));
  Value abs = band(bits, c32(~kSignMask));
  Value magnitude = abs;
  if (drop > 0) {
    const uint32_t unit = 1u << drop, lowMask = unit - 1u;
    switch (rounding) {
    case RoundingMode::toward_zero:
      magnitude = band(abs, c32(~lowMask));
      break;
    case RoundingMode::nearest_even: {
      // Adding half - 1 plus the kept LSB carries exactly when the
      // remainder is above half, or equal to it with an odd kept part.
      Value keptLsb = band(arith::ShRUIOp::create(b, abs, c32(drop)), c32(1));
      Value biased = add(abs, add(c32((unit >> 1) - 1u), keptLsb));
      magnitude = band(biased, c32(~lowMask));
      break;
    }
    case RoundingMode::stochastic:
      magnitude = band(add(abs, band(randomBits, c32(lowMask))), c32(~lowMask));
      break;
    }
  }
  if (format.getSubnormals() == SubnormalPolicy::flush)
    magnitude = select(P::ult, magnitude, minNormalBits, 0, magnitude);
  // Overflow and infinities. With the default `inf` policy nothing needs
  // doing: every result is a multiple of the quantum, so a rounded finite
  // value beyond the largest finite one is exactly the infinity pattern
  // (rounding toward zero never gets there), and an infinite input stays
  // infinite. `saturate` clamps both to the largest finite value.
  if (saturate) {
    magnitude =
        select(P::ugt, magnitude, maxFiniteBits, maxFiniteBits, magnitude);
    magnitude = select(P::eq, abs, kInfBits, maxFiniteBits, magnitude);
  }
  magnitude = select(P::ugt, abs, kInfBits, kQuietNaN, magnitude);
  return arith::BitcastOp::create(b, b.getF32Type(),
                                  arith::OrIOp::create(b, sign, magnitude));
}

Value mlir::qopt::emitRowMajorIndex(ImplicitLocOpBuilder &b,
                                    ArrayRef<Value> sizes) {
  Value linear = sizes.empty()
                     ? arith::ConstantIndexOp::create(b, 0).getResult()
                     : linalg::IndexOp::create(b, 0).getResult();
  for (int64_t dim = 1, rank = sizes.size(); dim < rank; ++dim)
    linear =
        arith::AddIOp::create(b, arith::MulIOp::create(b, linear, sizes[dim]),
                              linalg::IndexOp::create(b, dim));
  return arith::IndexCastUIOp::create(b, b.getI64Type(), linear);
}
