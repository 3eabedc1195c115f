//===- QOptAttrs.cpp - qopt attributes and enums --------------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qopt/Dialect/QOpt/IR/QOptAttrs.h"
#include "qopt/Dialect/QOpt/IR/QOptDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qopt;

#include "qopt/Dialect/QOpt/IR/QOptEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "qopt/Dialect/QOpt/IR/QOptAttrs.cpp.inc"

void QOptDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "qopt/Dialect/QOpt/IR/QOptAttrs.cpp.inc"
      >();
}

namespace {
/// A format with a name of its own; its policies other than the encoding are
/// the defaults (keep subnormals, overflow to infinity).
struct NamedFormat {
  llvm::StringLiteral name;
  unsigned expBits;
  unsigned manBits;
  SpecialEncoding encoding;
};
} // namespace

static constexpr NamedFormat kNamedFormats[] = {
    {"fp32", 8, 23, SpecialEncoding::ieee},
    {"tf32", 8, 10, SpecialEncoding::ieee},
    {"bf16", 8, 7, SpecialEncoding::ieee},
    {"fp16", 5, 10, SpecialEncoding::ieee},
    {"fp8_e4m3", 4, 3, SpecialEncoding::fn},
    {"fp8_e5m2", 5, 2, SpecialEncoding::ieee},
};

static const NamedFormat *lookupNamedFormat(StringRef name) {
  for (const NamedFormat &f : kNamedFormats)
    if (f.name == name)
      return &f;
  return nullptr;
}

static const NamedFormat *matchNamedFormat(unsigned expBits, unsigned manBits,
                                           SpecialEncoding encoding) {
  for (const NamedFormat &f : kNamedFormats)
    if (f.expBits == expBits && f.manBits == manBits && f.encoding == encoding)
      return &f;
  return nullptr;
}

/// Parses `e<digits>m<digits>`.
static bool parseExpManKeyword(StringRef keyword, unsigned &expBits,
                               unsigned &manBits) {
  if (!keyword.consume_front("e"))
    return false;
  size_t mPos = keyword.find('m');
  if (mPos == StringRef::npos)
    return false;
  StringRef expPart = keyword.take_front(mPos);
  StringRef manPart = keyword.drop_front(mPos + 1);
  if (expPart.empty() || manPart.empty())
    return false;
  // getAsInteger returns true on failure.
  return !expPart.getAsInteger(10, expBits) &&
         !manPart.getAsInteger(10, manBits);
}

Attribute FloatFormatAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseLess() || parser.parseKeyword(&keyword))
    return {};
  unsigned expBits = 0, manBits = 0;
  auto subnormals = SubnormalPolicy::keep;
  auto overflow = OverflowPolicy::inf;
  auto encoding = SpecialEncoding::ieee;
  if (const NamedFormat *named = lookupNamedFormat(keyword)) {
    expBits = named->expBits;
    manBits = named->manBits;
    encoding = named->encoding;
  } else if (!parseExpManKeyword(keyword, expBits, manBits)) {
    parser.emitError(loc, "expected a format name (fp32, tf32, bf16, fp16, "
                          "fp8_e4m3, fp8_e5m2) or 'e<exp_bits>m<man_bits>', "
                          "got '")
        << keyword << "'";
    return {};
  }

  while (succeeded(parser.parseOptionalComma())) {
    SMLoc keyLoc = parser.getCurrentLocation();
    StringRef key, value;
    if (parser.parseKeyword(&key) || parser.parseEqual())
      return {};
    SMLoc valueLoc = parser.getCurrentLocation();
    if (parser.parseKeyword(&value))
      return {};
    auto badValue = [&]() {
      parser.emitError(valueLoc, "invalid value '")
          << value << "' for format policy '" << key << "'";
      return Attribute();
    };
    if (key == "subnormals") {
      auto parsed = symbolizeSubnormalPolicy(value);
      if (!parsed)
        return badValue();
      subnormals = *parsed;
    } else if (key == "overflow") {
      auto parsed = symbolizeOverflowPolicy(value);
      if (!parsed)
        return badValue();
      overflow = *parsed;
    } else if (key == "encoding") {
      auto parsed = symbolizeSpecialEncoding(value);
      if (!parsed)
        return badValue();
      encoding = *parsed;
    } else {
      parser.emitError(keyLoc, "unknown format policy '")
          << key << "' (expected subnormals, overflow or encoding)";
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<FloatFormatAttr>(loc, parser.getContext(), expBits,
                                            manBits, subnormals, overflow,
                                            encoding);
}

void FloatFormatAttr::print(AsmPrinter &printer) const {
  printer << '<';
  const NamedFormat *named =
      matchNamedFormat(getExpBits(), getManBits(), getEncoding());
  if (named)
    printer << named->name;
  else
    printer << 'e' << getExpBits() << 'm' << getManBits();
  if (getSubnormals() != SubnormalPolicy::keep)
    printer << ", subnormals = " << stringifySubnormalPolicy(getSubnormals());
  if (getOverflow() != OverflowPolicy::inf)
    printer << ", overflow = " << stringifyOverflowPolicy(getOverflow());
  if (!named && getEncoding() != SpecialEncoding::ieee)
    printer << ", encoding = " << stringifySpecialEncoding(getEncoding());
  printer << '>';
}

LogicalResult
FloatFormatAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        unsigned expBits, unsigned manBits,
                        SubnormalPolicy subnormals, OverflowPolicy overflow,
                        SpecialEncoding encoding) {
  if (expBits < 2 || expBits > 8)
    return emitError() << "exponent bits must be in [2, 8], got " << expBits;
  if (manBits > 23)
    return emitError() << "mantissa bits must be in [0, 23], got " << manBits;
  if (encoding == SpecialEncoding::fn) {
    // The all-ones pattern is the only NaN: with no mantissa bits the top
    // binade would hold nothing but NaN.
    if (manBits < 1)
      return emitError() << "an 'fn' encoding needs at least 1 mantissa bit";
    // An fn format with 8 exponent bits has finite values beyond f32's range,
    // which qopt.quantize could not store.
    if (expBits > 7)
      return emitError() << "an 'fn' encoding needs at most 7 exponent bits "
                            "(its largest finite value must fit in f32)";
  }
  return success();
}

int FloatFormatAttr::getMinExponent() const {
  int bias = (1 << (getExpBits() - 1)) - 1;
  return 1 - bias;
}

int FloatFormatAttr::getMaxExponent() const {
  int bias = (1 << (getExpBits() - 1)) - 1;
  int topField = (1 << getExpBits()) - 1;
  return getEncoding() == SpecialEncoding::ieee ? topField - 1 - bias
                                                : topField - bias;
}

float FloatFormatAttr::getLargestFinite() const {
  int man = getManBits();
  // In an fn format the all-ones mantissa of the top binade is NaN.
  double significand = getEncoding() == SpecialEncoding::ieee
                           ? 2.0 - std::ldexp(1.0, -man)
                           : 2.0 - std::ldexp(1.0, 1 - man);
  return static_cast<float>(std::ldexp(significand, getMaxExponent()));
}

float FloatFormatAttr::getSmallestNormal() const {
  return std::ldexp(1.0f, getMinExponent());
}

float FloatFormatAttr::getSmallestSubnormal() const {
  return std::ldexp(1.0f, getMinExponent() - static_cast<int>(getManBits()));
}

unsigned FloatFormatAttr::getStorageBytes() const {
  unsigned bits = 1 + getExpBits() + getManBits();
  return bits <= 8 ? 1 : bits <= 16 ? 2 : 4;
}

StringRef FloatFormatAttr::getName() const {
  if (getSubnormals() != SubnormalPolicy::keep ||
      getOverflow() != OverflowPolicy::inf)
    return {};
  if (const NamedFormat *named =
          matchNamedFormat(getExpBits(), getManBits(), getEncoding()))
    return named->name;
  return {};
}
