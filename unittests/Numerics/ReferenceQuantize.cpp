//===- ReferenceQuantize.cpp - oracles for qopt.quantize ------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The reference follows the specification of qopt.quantize literally, on
// real numbers: find the quantum of |x| from its binary exponent, scale |x|
// to units of that quantum, round the scaled value to an integer, scale back,
// then apply the flush and overflow policies. Every step is exact in double:
// an f32 value has a 24-bit significand, the scaled value needs at most 24 + 1
// bits plus the exponent shift, and every intermediate lies far inside
// double's exponent range.
//
//===----------------------------------------------------------------------===//

#include "ReferenceQuantize.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace qopt_test;

uint32_t qopt_test::floatToBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

float qopt_test::bitsToFloat(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

double Format::largestFinite() const {
  // ieee: the top binade is full, 1.11...1; fn: its all-ones pattern is NaN,
  // so the largest significand is 1.11...10.
  double significand =
      fn ? 2.0 - std::ldexp(1.0, 1 - manBits) : 2.0 - std::ldexp(1.0, -manBits);
  return std::ldexp(significand, maxExp());
}

double Format::smallestNormal() const { return std::ldexp(1.0, minExp()); }

double Format::smallestSubnormal() const {
  return std::ldexp(1.0, minExp() - manBits);
}

std::string Format::attrBody() const {
  std::string body =
      name ? std::string(name)
           : "e" + std::to_string(expBits) + "m" + std::to_string(manBits);
  if (flush)
    body += ", subnormals = flush";
  if (saturate)
    body += ", overflow = saturate";
  if (fn && !name)
    body += ", encoding = fn";
  return body;
}

std::string Format::describe() const { return "<" + attrBody() + ">"; }

const char *qopt_test::roundingKeyword(Rounding rounding) {
  switch (rounding) {
  case Rounding::NearestEven:
    return "nearest_even";
  case Rounding::TowardZero:
    return "toward_zero";
  case Rounding::Stochastic:
    return "stochastic";
  }
  return "?";
}

/// Decides whether stochastic rounding rounds the magnitude up. `fraction` is
/// the part of |x| beyond the truncated multiple of the quantum, in units of
/// the quantum (0 <= fraction < 1), and `dropped` is log2(quantum / ulp(x)),
/// the number of f32 significand bits the rounding removes.
static bool stochasticRoundsUp(double fraction, int dropped,
                               uint32_t randomBits) {
  if (dropped <= 24) {
    // The low `dropped` random bits are a uniform fraction u of the quantum
    // with the same resolution as the input: round up iff fraction + u >= 1.
    double noise = static_cast<double>(
        randomBits & static_cast<uint32_t>((uint64_t{1} << dropped) - 1));
    return std::ldexp(fraction, dropped) + noise >= std::ldexp(1.0, dropped);
  }
  // Far below the smallest subnormal the fraction has more bits than the 32
  // random ones: the specification compares all 32 bits with the fraction
  // truncated to 32 bits, i.e. P(up) = floor(fraction * 2^32) / 2^32.
  double threshold = std::floor(std::ldexp(fraction, 32));
  return static_cast<double>(randomBits) < threshold;
}

uint32_t qopt_test::referenceQuantize(uint32_t xBits, const Format &format,
                                      Rounding rounding, uint32_t randomBits) {
  const uint32_t sign = xBits & 0x80000000u;
  float x = bitsToFloat(xBits);
  if (std::isnan(x))
    return sign | kCanonicalNaN;
  const double largest = format.largestFinite();
  auto withSign = [&](double magnitude) {
    return sign | floatToBits(static_cast<float>(magnitude));
  };
  if (std::isinf(x)) {
    if (format.saturate)
      return withSign(largest);
    return format.fn ? (sign | kCanonicalNaN) : (sign | 0x7f800000u);
  }
  double magnitude = std::fabs(static_cast<double>(x));
  if (magnitude == 0.0)
    return xBits; // Zeros keep their sign.

  // |x| = m * 2^e2 with m in [0.5, 1): floor(log2|x|) = e2 - 1.
  int e2;
  std::frexp(magnitude, &e2);
  const int exponent = e2 - 1;
  const int quantumExp = std::max(exponent, format.minExp()) - format.manBits;
  const double scaled = std::ldexp(magnitude, -quantumExp);
  const double truncated = std::floor(scaled);
  const double fraction = scaled - truncated;

  double rounded = truncated;
  switch (rounding) {
  case Rounding::TowardZero:
    break;
  case Rounding::NearestEven:
    if (fraction > 0.5 || (fraction == 0.5 && std::fmod(truncated, 2.0) == 1.0))
      rounded = truncated + 1.0;
    break;
  case Rounding::Stochastic: {
    // The f32 ulp of x: 2^(e - 23) for normals, 2^-149 for subnormals.
    const int ulpExp = std::max(exponent, -126) - 23;
    if (fraction != 0.0 &&
        stochasticRoundsUp(fraction, quantumExp - ulpExp, randomBits))
      rounded = truncated + 1.0;
    break;
  }
  }
  double result = std::ldexp(rounded, quantumExp);

  if (format.flush && result != 0.0 && result < format.smallestNormal())
    result = 0.0;
  if (result > largest) {
    if (rounding == Rounding::TowardZero || format.saturate)
      result = largest;
    else if (format.fn)
      return sign | kCanonicalNaN;
    else
      result = std::numeric_limits<double>::infinity();
  }
  return withSign(result);
}

uint32_t qopt_test::apfloatQuantize(uint32_t xBits,
                                    const llvm::fltSemantics &semantics,
                                    llvm::RoundingMode mode) {
  llvm::APFloat value(bitsToFloat(xBits));
  bool losesInfo = false;
  (void)value.convert(semantics, mode, &losesInfo);
  // Every value of these formats is an f32 value: the way back is exact.
  (void)value.convert(llvm::APFloat::IEEEsingle(),
                      llvm::RoundingMode::NearestTiesToEven, &losesInfo);
  return static_cast<uint32_t>(value.bitcastToAPInt().getZExtValue());
}
