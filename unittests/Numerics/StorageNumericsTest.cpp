//===- StorageNumericsTest.cpp - compiled qopt.encode / decode vs. oracles ===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Narrow storage of every float format of at most 16 bits (exp_bits 2..8,
// every man_bits that fits, ieee and fn encodings, subnormals kept and
// flushed, overflow to infinity and saturating), in the container
// getStorageChoice picks and in the format's own i8/i16 code:
//  - exhaustively over every code of the container, the JIT-compiled
//    qopt.decode equals StorageCodec's decodeStorage bit for bit, the
//    compiled qopt.encode of the decoded value equals encodeStorage of its
//    nearest-even rounding, and encode(decode(c)) == c on canonical codes
//    (NaN codes give the quiet NaN code of their sign);
//  - the decoded value set D equals the set Q that qopt.quantize produces:
//    every decoded value d has quantize(d) == d (D in Q), the canonical
//    codes decode to exactly the values of the format enumerated from its
//    definition, and for sampled f32 inputs the reference quantize result
//    (nearest-even, toward-zero, stochastic) survives compiled encode and
//    decode bit for bit (Q in D);
//  - the native containers (bf16, f16, f8E5M2, f8E4M3FN, f8E4M3, f8E3M4)
//    decode and encode as LLVM's APFloat converts their bit patterns;
//  - getStorageChoice picks the smallest exact container (hand-checked
//    cases, and an APFloat check of every format's values).
//
//===----------------------------------------------------------------------===//

#include "ReferenceQuantize.h"
#include "StorageKernels.h"

#include "qopt/Dialect/QOpt/IR/QOptAttrs.h"
#include "qopt/Dialect/QOpt/IR/QOptDialect.h"
#include "qopt/Dialect/QOpt/IR/Storage.h"
#include "qopt/Numerics/StorageCodec.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/APInt.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <sstream>

using namespace qopt_test;
using mlir::qopt::StorageLayout;

namespace {

//===----------------------------------------------------------------------===//
// Sizes
//===----------------------------------------------------------------------===//

/// Sampled f32 inputs per rounding mode for the formats of kSampledFormats.
constexpr size_t kLargeSample = size_t{1} << 20;
/// Sampled f32 inputs per rounding mode for every other format.
constexpr size_t kSmallSample = size_t{1} << 11;

constexpr Rounding kAllRoundings[] = {
    Rounding::NearestEven, Rounding::TowardZero, Rounding::Stochastic};

//===----------------------------------------------------------------------===//
// Formats, containers, layouts
//===----------------------------------------------------------------------===//

Format makeFormat(int e, int m, bool fn = false, bool flush = false,
                  bool saturate = false) {
  Format f{e, m};
  f.fn = fn;
  f.flush = flush;
  f.saturate = saturate;
  return f;
}

/// Bits of the format's own code: sign, exponent, mantissa, and the NaN flag
/// of an ieee format without mantissa bits.
int ownBits(const Format &f) {
  return 1 + f.expBits + f.manBits + (!f.fn && f.manBits == 0 ? 1 : 0);
}

/// Every format of at most 16 bits with each policy combination that
/// changes its value set: ieee x {keep, flush} x {inf, saturate} and
/// fn x {keep, flush} (an fn format has no infinity to saturate away).
std::vector<Format> allNarrowFormats() {
  std::vector<Format> formats;
  for (int e = 2; e <= 8; ++e) {
    for (int m = 0; m <= 15 - e; ++m) {
      for (bool flush : {false, true}) {
        for (bool saturate : {false, true})
          formats.push_back(makeFormat(e, m, false, flush, saturate));
        // fn needs a mantissa bit and at most 7 exponent bits.
        if (m >= 1 && e <= 7)
          formats.push_back(makeFormat(e, m, true, flush));
      }
    }
  }
  return formats;
}

/// The formats sampled with kLargeSample inputs: every native container's
/// own format, a wider native fit, own i8 and i16 codes (NaN flag too) and
/// the policies.
std::vector<Format> sampledFormats() {
  return {makeFormat(8, 7),
          makeFormat(5, 10),
          makeFormat(4, 3, true),
          makeFormat(5, 2),
          makeFormat(4, 3),
          makeFormat(3, 4),
          makeFormat(8, 3),
          makeFormat(5, 2, true),
          makeFormat(6, 8),
          makeFormat(7, 0),
          makeFormat(3, 2, false, true, true),
          makeFormat(2, 1, true, true)};
}

bool sameFormat(const Format &a, const Format &b) {
  return a.expBits == b.expBits && a.manBits == b.manBits && a.fn == b.fn &&
         a.flush == b.flush && a.saturate == b.saturate;
}

/// The container types, with the APFloat semantics of the native ones.
struct Container {
  const char *name;
  const llvm::fltSemantics &(*semantics)(); // null for i8 / i16
  unsigned width;
  StorageLayout layout; // the native layout (unused for i8 / i16)
};

StorageLayout layoutOf(unsigned e, unsigned m, bool fn) {
  StorageLayout l;
  l.expBits = e;
  l.manBits = m;
  l.finiteOnly = fn;
  return l;
}

const std::vector<Container> &nativeContainers() {
  static const std::vector<Container> natives = {
      {"bf16", &llvm::APFloat::BFloat, 16, layoutOf(8, 7, false)},
      {"f16", &llvm::APFloat::IEEEhalf, 16, layoutOf(5, 10, false)},
      {"f8E5M2", &llvm::APFloat::Float8E5M2, 8, layoutOf(5, 2, false)},
      {"f8E4M3FN", &llvm::APFloat::Float8E4M3FN, 8, layoutOf(4, 3, true)},
      {"f8E4M3", &llvm::APFloat::Float8E4M3, 8, layoutOf(4, 3, false)},
      {"f8E3M4", &llvm::APFloat::Float8E3M4, 8, layoutOf(3, 4, false)}};
  return natives;
}

const Container *findNative(const std::string &name) {
  for (const Container &c : nativeContainers())
    if (name == c.name)
      return &c;
  return nullptr;
}

/// The layout the test expects in `container`, written from the types'
/// definitions and the format's own code (not from Storage.cpp).
StorageLayout expectedLayout(const Format &f, const std::string &container) {
  if (const Container *native = findNative(container))
    return native->layout;
  return layoutOf(f.expBits, f.manBits, f.fn);
}

std::string ownContainer(const Format &f) {
  return ownBits(f) <= 8 ? "i8" : "i16";
}

/// An MLIR context with the qopt dialect, for the Storage.h queries.
mlir::MLIRContext &storageContext() {
  static mlir::MLIRContext *context = [] {
    auto *ctx = new mlir::MLIRContext();
    ctx->loadDialect<mlir::qopt::QOptDialect>();
    return ctx;
  }();
  return *context;
}

mlir::qopt::FloatFormatAttr formatAttr(const Format &f) {
  return llvm::dyn_cast_or_null<mlir::qopt::FloatFormatAttr>(
      mlir::parseAttribute("#qopt.format<" + f.attrBody() + ">",
                           &storageContext()));
}

mlir::Type containerType(const std::string &name) {
  return mlir::parseType(name, &storageContext());
}

/// The container getStorageChoice picks for `f`, by name.
std::string chosenContainer(const Format &f) {
  mlir::qopt::FloatFormatAttr attr = formatAttr(f);
  if (!attr)
    return "<unparsable format>";
  return mlir::qopt::getContainerName(
      mlir::qopt::getStorageChoice(attr).elementType);
}

//===----------------------------------------------------------------------===//
// The value set of a format, from its definition
//===----------------------------------------------------------------------===//

/// Every value `qopt.quantize` can produce in `f`, as sorted f32 bit
/// patterns: the finite grid (subnormals unless flushed; the fn all-ones
/// pattern excluded), infinities unless the format is fn or saturates, and
/// the canonical quiet NaN, each with both signs.
std::vector<uint32_t> formatValues(const Format &f) {
  std::vector<uint32_t> values;
  auto add = [&](double magnitude) {
    uint32_t bits = floatToBits(static_cast<float>(magnitude));
    values.push_back(bits);
    values.push_back(bits | 0x80000000u);
  };
  const int m = f.manBits;
  const double steps = std::ldexp(1.0, m);
  add(0.0);
  if (!f.flush)
    for (double k = 1; k < steps; ++k)
      add(std::ldexp(k, f.minExp() - m));
  for (int e = f.minExp(); e <= f.maxExp(); ++e)
    for (double k = 0; k < steps; ++k)
      if (!(f.fn && e == f.maxExp() && k == steps - 1))
        add(std::ldexp(steps + k, e - m));
  if (!f.fn && !f.saturate)
    add(INFINITY);
  values.push_back(kCanonicalNaN);
  values.push_back(kCanonicalNaN | 0x80000000u);
  std::sort(values.begin(), values.end());
  return values;
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

/// Every (format, container) pair checked: the chosen container and, when
/// that is a native type, the format's own code too.
std::vector<StorageSpec> allStorageSpecs() {
  std::vector<StorageSpec> specs;
  for (const Format &f : allNarrowFormats()) {
    std::string chosen = chosenContainer(f);
    if (chosen == "f32")
      continue; // reported by StorageChoice.EveryFormatFitsSixteenBits
    specs.push_back({f, chosen});
    if (chosen != ownContainer(f))
      specs.push_back({f, ownContainer(f)});
  }
  return specs;
}

class StorageTable {
public:
  StorageTable() : specs(allStorageSpecs()) {
    // ~700 small kernels: LLVM's optimizer would multiply the compile time
    // for nothing, they run on at most a few 10^6 elements each.
    kernels = StorageKernels::compile(specs, /*optLevel=*/0, error);
  }

  bool ok() const { return kernels != nullptr; }
  const std::string &compileError() const { return error; }
  const StorageKernels &get() const { return *kernels; }

  /// Indices of the specs of `f`.
  std::vector<size_t> specsOf(const Format &f) const {
    std::vector<size_t> out;
    for (size_t i = 0; i < specs.size(); ++i)
      if (sameFormat(specs[i].format, f))
        out.push_back(i);
    return out;
  }

  std::vector<StorageSpec> specs;

private:
  std::unique_ptr<StorageKernels> kernels;
  std::string error;
};

const StorageTable &storageKernels() {
  static const StorageTable table;
  return table;
}

#define REQUIRE_STORAGE_KERNELS(table)                                         \
  ASSERT_TRUE((table).ok()) << (table).compileError()

//===----------------------------------------------------------------------===//
// Reporting
//===----------------------------------------------------------------------===//

std::string hex(uint32_t bits) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "0x%08x", bits);
  return buffer;
}

std::string showValue(uint32_t bits) {
  std::ostringstream os;
  os.precision(9);
  os << hex(bits) << " (" << bitsToFloat(bits) << ")";
  return os.str();
}

/// Counts failed checks of one kind and describes the first few.
class Mismatches {
public:
  explicit Mismatches(std::string what) : what(std::move(what)) {}

  /// Records a check; `describe` is called only for reported failures.
  template <typename Describe> void check(bool ok, Describe describe) {
    ++checked;
    if (ok)
      return;
    if (++failed <= 8)
      report << "  " << describe() << "\n";
  }

  ~Mismatches() {
    EXPECT_EQ(failed, 0u) << what << ": " << failed << " of " << checked
                          << " checks failed\n"
                          << report.str();
  }

private:
  std::string what;
  size_t checked = 0, failed = 0;
  std::ostringstream report;
};

uint32_t encodeRef(uint32_t valueBits, const StorageLayout &layout) {
  return mlir::qopt::encodeStorage(bitsToFloat(valueBits), layout);
}

uint32_t decodeRef(uint32_t code, const StorageLayout &layout) {
  return floatToBits(mlir::qopt::decodeStorage(code, layout));
}

/// Same value: bit for bit, except that NaNs compare by sign only.
bool sameValueOrNaN(uint32_t a, uint32_t b) {
  if (isNaNBits(a) || isNaNBits(b))
    return isNaNBits(a) && isNaNBits(b) && ((a ^ b) & 0x80000000u) == 0;
  return a == b;
}

//===----------------------------------------------------------------------===//
// getStorageChoice
//===----------------------------------------------------------------------===//

TEST(StorageChoice, HandChecks) {
  struct Case {
    const char *format;
    const char *container;
    unsigned bytes;
  };
  const Case cases[] = {
      {"bf16", "bf16", 2},
      {"e8m3", "bf16", 2},
      {"fp16", "f16", 2},
      {"fp8_e4m3", "f8E4M3FN", 1},
      {"fp8_e5m2", "f8E5M2", 1},
      {"e4m3", "f8E4M3", 1},
      {"e3m4", "f8E3M4", 1},
      {"e5m2, encoding = fn", "i8", 1},
      {"e6m8", "i16", 2},
      {"e8m8", "f32", 4},
      // Its own code needs 9 bits (NaN flag), but every value (2^-62 to
      // 2^63, inf, NaN) is a bf16 value, and at equal size native wins.
      {"e7m0", "bf16", 2}};
  for (const Case &c : cases) {
    auto attr = llvm::dyn_cast_or_null<mlir::qopt::FloatFormatAttr>(
        mlir::parseAttribute(std::string("#qopt.format<") + c.format + ">",
                             &storageContext()));
    ASSERT_TRUE(attr) << c.format;
    mlir::qopt::StorageChoice choice = mlir::qopt::getStorageChoice(attr);
    EXPECT_EQ(mlir::qopt::getContainerName(choice.elementType), c.container)
        << c.format;
    EXPECT_EQ(choice.bytes, c.bytes) << c.format;
  }
  // e7m0 needs the NaN flag: 1 + 7 + 0 + 1 = 9 bits, so its own code is an
  // i16 one.
  auto e7m0 = formatAttr(makeFormat(7, 0));
  ASSERT_TRUE(e7m0);
  EXPECT_EQ(mlir::qopt::getFormatLayout(e7m0).bits(), 9u);
  EXPECT_TRUE(
      mlir::qopt::getStorageLayout(e7m0, containerType("i16")).has_value());
  EXPECT_FALSE(
      mlir::qopt::getStorageLayout(e7m0, containerType("i8")).has_value());
}

/// True when every value of `f` converts to `semantics` and back to f32
/// unchanged (infinities and NaN included).
bool holdsEveryValue(const Format &f, const llvm::fltSemantics &semantics) {
  for (uint32_t bits : formatValues(f)) {
    llvm::APFloat value(bitsToFloat(bits));
    bool losesInfo = false;
    (void)value.convert(semantics, llvm::RoundingMode::NearestTiesToEven,
                        &losesInfo);
    (void)value.convert(llvm::APFloat::IEEEsingle(),
                        llvm::RoundingMode::NearestTiesToEven, &losesInfo);
    uint32_t back =
        static_cast<uint32_t>(value.bitcastToAPInt().getZExtValue());
    if (!sameValueOrNaN(back, bits))
      return false;
  }
  return true;
}

/// Every format of at most 16 bits gets a narrow container; a native one
/// holds all its values (APFloat); none of fewer bytes would, and at equal
/// size an own code is chosen only when no native type of that size fits.
TEST(StorageChoice, SmallestExactContainer) {
  Mismatches mismatches("getStorageChoice vs. APFloat");
  for (const Format &f : allNarrowFormats()) {
    std::string chosen = chosenContainer(f);
    const Container *native = findNative(chosen);
    unsigned width = native            ? native->width
                     : chosen == "i8"  ? 8
                     : chosen == "i16" ? 16
                                       : 32;
    mismatches.check(width <= 16, [&] {
      return f.describe() + ": no narrow container (" + chosen + ")";
    });
    if (width > 16)
      continue;
    mismatches.check(native ? holdsEveryValue(f, native->semantics())
                            : ownBits(f) <= static_cast<int>(width),
                     [&] {
                       return f.describe() + ": " + chosen +
                              " does not hold every value";
                     });
    for (const Container &other : nativeContainers())
      if (other.width < width || (other.width == width && !native))
        mismatches.check(!holdsEveryValue(f, other.semantics()), [&] {
          return f.describe() + ": " + other.name + " holds it, " + chosen +
                 " was chosen";
        });
    if (width == 16)
      mismatches.check(ownBits(f) > 8, [&] {
        return f.describe() + ": fits an i8, " + chosen + " was chosen";
      });
    // getStorageLayout agrees with the layouts the test expects.
    for (const std::string &container : {chosen, ownContainer(f)}) {
      std::optional<StorageLayout> layout =
          mlir::qopt::getStorageLayout(formatAttr(f), containerType(container));
      StorageLayout expected = expectedLayout(f, container);
      mismatches.check(layout && layout->expBits == expected.expBits &&
                           layout->manBits == expected.manBits &&
                           layout->finiteOnly == expected.finiteOnly,
                       [&] {
                         return f.describe() + " in " + container +
                                ": getStorageLayout differs";
                       });
    }
  }
}

//===----------------------------------------------------------------------===//
// Every code: compiled decode and encode vs. StorageCodec; D == Q
//===----------------------------------------------------------------------===//

/// The policies' exclusions: codes of the own layout whose value the format
/// never produces (subnormals when flushed, infinities when saturating).
bool excludedByPolicy(const Format &f, uint32_t valueBits) {
  uint32_t abs = valueBits & 0x7fffffffu;
  if (f.saturate && abs == 0x7f800000u)
    return true;
  return f.flush && abs != 0 && !isNaNBits(valueBits) &&
         bitsToFloat(abs) < static_cast<float>(f.smallestNormal());
}

/// For one (format, container): every code through the compiled decode and
/// back through the compiled encode.
void checkEveryCode(const StorageTable &table, size_t index,
                    const std::vector<uint32_t> &values) {
  const StorageSpec &spec = table.specs[index];
  const Format &f = spec.format;
  const StorageLayout layout = expectedLayout(f, spec.container);
  const bool own = spec.container == "i8" || spec.container == "i16";
  const std::string tag = spec.describe();

  std::vector<uint16_t> codes(size_t{1} << spec.width());
  for (size_t c = 0; c < codes.size(); ++c)
    codes[c] = static_cast<uint16_t>(c);
  std::vector<uint32_t> decoded;
  table.get().decode(index, codes, decoded);
  std::vector<uint16_t> reencoded;
  table.get().encode(index, decoded, reencoded);

  Mismatches decodeVsCodec(tag + ": compiled decode vs. decodeStorage");
  Mismatches encodeVsCodec(
      tag + ": compiled encode vs. encodeStorage(quantize_ne(x))");
  Mismatches identity(tag + ": encode(decode(c)) == c on canonical codes");
  Mismatches inQ(tag + ": decoded values are quantize fixed points (D in Q)");
  // Which values of the format the canonical codes decode to.
  std::vector<char> seen(values.size(), 0);
  size_t canonical = 0;
  const uint32_t formatMask = (uint32_t{1} << ownBits(f)) - 1;
  for (size_t c = 0; c < codes.size(); ++c) {
    const uint32_t d = decoded[c];
    decodeVsCodec.check(d == decodeRef(c, layout), [&] {
      return "code " + hex(c) + ": got " + showValue(d) + ", expected " +
             showValue(decodeRef(c, layout));
    });
    const uint32_t q = referenceQuantize(d, f, Rounding::NearestEven);
    const uint32_t expectedCode = encodeRef(q, layout);
    encodeVsCodec.check(reencoded[c] == expectedCode, [&] {
      return "code " + hex(c) + " -> " + showValue(d) + " -> code " +
             hex(reencoded[c]) + ", expected " + hex(expectedCode);
    });
    // Own codes: every code within the format's bits is a value of the
    // format unless a policy excludes it, hence a quantize fixed point (in
    // every rounding mode, as the enumerated values are).
    bool excluded = excludedByPolicy(f, d);
    if (own && (c & ~formatMask) == 0 && !excluded)
      inQ.check(q == d, [&] {
        return "code " + hex(c) + " decodes to " + showValue(d) +
               ", which quantize changes to " + showValue(q);
      });
    // Canonical: the code the codec writes for a value of the format.
    if (excluded || q != d || encodeRef(d, layout) != c)
      continue;
    ++canonical;
    identity.check(reencoded[c] == c, [&] {
      return "code " + hex(c) + " -> " + showValue(d) + " -> code " +
             hex(reencoded[c]);
    });
    auto it = std::lower_bound(values.begin(), values.end(), d);
    bool member = it != values.end() && *it == d;
    inQ.check(member, [&] {
      return "code " + hex(c) + " decodes to " + showValue(d) +
             ", not a value of the format";
    });
    if (member)
      ++seen[it - values.begin()];
  }
  // D == Q: each value of the format has exactly one canonical code.
  Mismatches onto(tag + ": each value of the format has one canonical code");
  onto.check(canonical == values.size(), [&] {
    return std::to_string(canonical) + " canonical codes for " +
           std::to_string(values.size()) + " values";
  });
  for (size_t i = 0; i < values.size(); ++i)
    onto.check(seen[i] == 1, [&] {
      return showValue(values[i]) + " is decoded from " +
             std::to_string(int(seen[i])) + " canonical codes";
    });
}

class StorageEveryCode : public ::testing::TestWithParam<int> {};

TEST_P(StorageEveryCode, DecodeEncodeMatchCodecAndValueSet) {
  const StorageTable &table = storageKernels();
  REQUIRE_STORAGE_KERNELS(table);
  const int e = GetParam();
  for (const Format &f : allNarrowFormats()) {
    if (f.expBits != e)
      continue;
    std::vector<uint32_t> values = formatValues(f);
    // The enumeration is Q: each value is a quantize fixed point.
    {
      Mismatches fixed(f.describe() + ": enumerated values are in Q");
      for (uint32_t v : values)
        for (Rounding r : kAllRoundings)
          fixed.check(referenceQuantize(v, f, r, 0x12345678u) == v, [&] {
            return showValue(v) + " changes under " + roundingKeyword(r);
          });
    }
    std::vector<size_t> indices = table.specsOf(f);
    EXPECT_FALSE(indices.empty()) << f.describe() << ": no kernels";
    for (size_t index : indices)
      checkEveryCode(table, index, values);
  }
}

INSTANTIATE_TEST_SUITE_P(ExpBits, StorageEveryCode, ::testing::Range(2, 9),
                         [](const ::testing::TestParamInfo<int> &info) {
                           return "e" + std::to_string(info.param);
                         });

//===----------------------------------------------------------------------===//
// Q in D: quantized values survive encode and decode
//===----------------------------------------------------------------------===//

/// Sampled f32 inputs: every special class (zeros, infinities, NaNs with
/// payloads, f32 subnormals, the format's boundaries and ties), then a
/// quarter uniform bit patterns, a quarter any f32 exponent with a random
/// mantissa, and half an exponent near the format's range with a random
/// mantissa (some cut to a tie or to the format's grid).
std::vector<uint32_t> sampleInputs(const Format &f, size_t count,
                                   uint64_t seed) {
  std::vector<uint32_t> out;
  auto add = [&](double v) {
    float x = static_cast<float>(v);
    if (static_cast<double>(x) != v && !std::isnan(v))
      return;
    for (float y : {x, std::nextafter(x, 0.0f), std::nextafter(x, INFINITY)}) {
      out.push_back(floatToBits(y));
      out.push_back(floatToBits(y) ^ 0x80000000u);
    }
  };
  for (uint32_t bits : {0x00000000u, 0x7f800000u, 0x7fc00000u, 0x7f800001u,
                        0x7fa00000u, 0x7fffffffu, 0x00000001u, 0x00400000u,
                        0x007fffffu, 0x00800000u, 0x7f7fffffu}) {
    out.push_back(bits);
    out.push_back(bits | 0x80000000u);
  }
  const double sub = f.smallestSubnormal(), normal = f.smallestNormal();
  const double largest = f.largestFinite();
  const double top = std::ldexp(1.0, f.maxExp() - f.manBits);
  for (double v : {largest, largest + top / 2, largest + top, 2 * largest,
                   normal, normal - sub, normal - sub / 2, sub, sub / 2,
                   sub * 1.5, sub / 4, 1.0, 1.0 + std::ldexp(0.5, -f.manBits)})
    add(v);

  std::mt19937_64 rng(seed);
  const int lo = std::max(f.minExp() - f.manBits - 3, -149);
  const int hi = std::min(f.maxExp() + 2, 127);
  while (out.size() < count) {
    uint64_t r = rng();
    uint32_t random = static_cast<uint32_t>(r >> 32);
    uint32_t sign = (r & 1) << 31;
    switch ((r >> 1) % 8) {
    case 0:
    case 1:
      out.push_back(random);
      break;
    case 2:
    case 3:
      out.push_back(sign | (random & 0x7fffffffu));
      break;
    default: {
      int e =
          lo + static_cast<int>((r >> 4) % static_cast<uint64_t>(hi - lo + 1));
      uint32_t mantissa = random & 0x007fffffu;
      int dropped = 23 - f.manBits;
      if ((r >> 12) % 4 == 0) // on the format's grid (normals)
        mantissa &= ~((uint32_t{1} << dropped) - 1);
      else if ((r >> 12) % 4 == 1) // a tie (normals)
        mantissa = (mantissa & ~((uint32_t{1} << dropped) - 1)) |
                   (uint32_t{1} << (dropped - 1));
      if (e >= -126) {
        out.push_back(sign | (static_cast<uint32_t>(e + 127) << 23) | mantissa);
      } else {
        uint32_t lead = uint32_t{1} << (e + 149);
        out.push_back(sign | lead | (random & (lead - 1)));
      }
      break;
    }
    }
  }
  return out;
}

class StorageHoldsQuantized : public ::testing::TestWithParam<int> {};

/// Q in D: for each rounding mode, quantize(x) (the reference, stochastic
/// rounding with fixed random bits) is stored and read back unchanged by
/// the compiled kernels, with the codes StorageCodec writes.
TEST_P(StorageHoldsQuantized, EncodeDecodeKeepQuantizedValues) {
  const StorageTable &table = storageKernels();
  REQUIRE_STORAGE_KERNELS(table);
  const int e = GetParam();
  std::vector<Format> large = sampledFormats();
  for (const Format &f : allNarrowFormats()) {
    if (f.expBits != e)
      continue;
    bool isLarge =
        std::any_of(large.begin(), large.end(),
                    [&](const Format &g) { return sameFormat(f, g); });
    const uint64_t seed = 1000u * f.expBits + 10u * f.manBits + f.fn +
                          2u * f.flush + 4u * f.saturate;
    std::vector<uint32_t> inputs =
        sampleInputs(f, isLarge ? kLargeSample : kSmallSample, seed);
    std::mt19937 rng(static_cast<uint32_t>(seed));
    for (Rounding r : kAllRoundings) {
      std::vector<uint32_t> q(inputs.size());
      for (size_t i = 0; i < inputs.size(); ++i)
        q[i] = referenceQuantize(inputs[i], f, r, rng());
      for (size_t index : table.specsOf(f)) {
        const StorageSpec &spec = table.specs[index];
        const StorageLayout layout = expectedLayout(f, spec.container);
        std::vector<uint16_t> codes;
        std::vector<uint32_t> back;
        table.get().encode(index, q, codes);
        table.get().decode(index, codes, back);
        Mismatches codec(spec.describe() + " " + roundingKeyword(r) +
                         ": compiled encode vs. encodeStorage");
        Mismatches roundTrip(spec.describe() + " " + roundingKeyword(r) +
                             ": decode(encode(q)) == q (Q in D)");
        for (size_t i = 0; i < q.size(); ++i) {
          uint32_t expected = encodeRef(q[i], layout);
          codec.check(codes[i] == expected, [&] {
            return "q = " + showValue(q[i]) + ": code " + hex(codes[i]) +
                   ", expected " + hex(expected);
          });
          roundTrip.check(
              back[i] == q[i] && decodeRef(codes[i], layout) == q[i], [&] {
                return "x = " + showValue(inputs[i]) +
                       ", q = " + showValue(q[i]) + " -> code " +
                       hex(codes[i]) + " -> " + showValue(back[i]);
              });
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(ExpBits, StorageHoldsQuantized, ::testing::Range(2, 9),
                         [](const ::testing::TestParamInfo<int> &info) {
                           return "e" + std::to_string(info.param);
                         });

//===----------------------------------------------------------------------===//
// Native containers vs. APFloat
//===----------------------------------------------------------------------===//

struct NativeCase {
  const char *container;
  Format format; // the format the type holds exactly
};

void PrintTo(const NativeCase &c, std::ostream *os) { *os << c.container; }

class NativeVsAPFloat : public ::testing::TestWithParam<NativeCase> {};

/// The compiled decode of every code is APFloat's conversion of that bit
/// pattern to f32, and the compiled encode of sampled f32 inputs is
/// APFloat's nearest-even conversion to the type (NaN: any NaN of the same
/// sign).
TEST_P(NativeVsAPFloat, EveryCodeAndSampledInputs) {
  const StorageTable &table = storageKernels();
  REQUIRE_STORAGE_KERNELS(table);
  const NativeCase &c = GetParam();
  const Container *native = findNative(c.container);
  ASSERT_TRUE(native);
  const llvm::fltSemantics &semantics = native->semantics();
  size_t index = table.specs.size();
  for (size_t i : table.specsOf(c.format))
    if (table.specs[i].container == c.container)
      index = i;
  ASSERT_LT(index, table.specs.size())
      << c.format.describe() << " is not stored in " << c.container;

  std::vector<uint16_t> codes(size_t{1} << native->width);
  for (size_t i = 0; i < codes.size(); ++i)
    codes[i] = static_cast<uint16_t>(i);
  std::vector<uint32_t> decoded;
  table.get().decode(index, codes, decoded);
  {
    Mismatches decodeVsAPFloat(std::string(c.container) +
                               ": compiled decode vs. APFloat");
    for (size_t i = 0; i < codes.size(); ++i) {
      llvm::APFloat value(semantics, llvm::APInt(native->width, i));
      bool losesInfo = false;
      (void)value.convert(llvm::APFloat::IEEEsingle(),
                          llvm::RoundingMode::NearestTiesToEven, &losesInfo);
      uint32_t expected =
          static_cast<uint32_t>(value.bitcastToAPInt().getZExtValue());
      decodeVsAPFloat.check(
          !losesInfo && sameValueOrNaN(decoded[i], expected), [&] {
            return "code " + hex(i) + ": got " + showValue(decoded[i]) +
                   ", APFloat " + showValue(expected);
          });
    }
  }

  std::vector<uint32_t> inputs = sampleInputs(c.format, kLargeSample / 4, 99);
  std::vector<uint16_t> encoded;
  table.get().encode(index, inputs, encoded);
  Mismatches encodeVsAPFloat(std::string(c.container) +
                             ": compiled encode vs. APFloat");
  for (size_t i = 0; i < inputs.size(); ++i) {
    llvm::APFloat value(bitsToFloat(inputs[i]));
    bool losesInfo = false;
    (void)value.convert(semantics, llvm::RoundingMode::NearestTiesToEven,
                        &losesInfo);
    uint32_t expected =
        static_cast<uint32_t>(value.bitcastToAPInt().getZExtValue());
    bool ok;
    if (value.isNaN()) {
      llvm::APFloat got(semantics, llvm::APInt(native->width, encoded[i]));
      ok = got.isNaN() && got.isNegative() == value.isNegative();
    } else {
      ok = encoded[i] == expected;
    }
    encodeVsAPFloat.check(ok, [&] {
      return "x = " + showValue(inputs[i]) + ": code " + hex(encoded[i]) +
             ", APFloat " + hex(expected);
    });
  }
}

INSTANTIATE_TEST_SUITE_P(
    Natives, NativeVsAPFloat,
    ::testing::Values(NativeCase{"bf16", makeFormat(8, 7)},
                      NativeCase{"f16", makeFormat(5, 10)},
                      NativeCase{"f8E5M2", makeFormat(5, 2)},
                      NativeCase{"f8E4M3FN", makeFormat(4, 3, true)},
                      NativeCase{"f8E4M3", makeFormat(4, 3)},
                      NativeCase{"f8E3M4", makeFormat(3, 4)}),
    [](const ::testing::TestParamInfo<NativeCase> &info) {
      return std::string(info.param.container);
    });

} // namespace
