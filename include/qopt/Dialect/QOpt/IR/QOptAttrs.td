//===- QOptAttrs.td - qopt attributes and enums -----------*- tablegen -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_DIALECT_QOPT_IR_QOPTATTRS_TD
#define QOPT_DIALECT_QOPT_IR_QOPTATTRS_TD

include "qopt/Dialect/QOpt/IR/QOptDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def QOpt_RoundingMode : I32EnumAttr<"RoundingMode",
    "how a value between two representable neighbours is rounded", [
      I32EnumAttrCase<"nearest_even", 0>,
      I32EnumAttrCase<"toward_zero", 1>,
      I32EnumAttrCase<"stochastic", 2>
    ]> {
  let cppNamespace = "::mlir::qopt";
  let genSpecializedAttr = 0;
}

def QOpt_RoundingModeAttr : EnumAttr<QOpt_Dialect, QOpt_RoundingMode,
                                     "rounding"> {
  let summary = "rounding mode of a quantization";
  let description = [{
    `nearest_even` rounds to the nearest representable value, ties to the one
    with an even last mantissa bit (IEEE default, relative error at most
    2^-(M+1)). `toward_zero` truncates the discarded mantissa bits (relative
    error below 2^-M). `stochastic` rounds up with probability equal to the
    discarded fraction of a unit in the last place, so the result is unbiased
    in expectation (relative error below 2^-M).

    Example: `#qopt.rounding<stochastic>`
  }];
  let assemblyFormat = "`<` $value `>`";
}

def QOpt_Component : I32EnumAttr<"Component",
    "the quantization point of a training step a tensor belongs to", [
      I32EnumAttrCase<"weight", 0>,
      I32EnumAttrCase<"grad", 1>,
      I32EnumAttrCase<"first_moment", 2>,
      I32EnumAttrCase<"second_moment", 3>
    ]> {
  let cppNamespace = "::mlir::qopt";
  let genSpecializedAttr = 0;
}

def QOpt_ComponentAttr : EnumAttr<QOpt_Dialect, QOpt_Component, "component"> {
  let summary = "quantization point of a training step";
  let description = [{
    Names one of the four quantization points of a training step: `weight`
    (the weights sent to forward/backward, q_W), `grad` (the gradient, q_G),
    `first_moment` (Adam's m or Muon's momentum buffer, q_M) and
    `second_moment` (Adam's v, q_V).

    Example: `#qopt.component<second_moment>`
  }];
  let assemblyFormat = "`<` $value `>`";
}

def QOpt_SubnormalPolicy : I32EnumAttr<"SubnormalPolicy",
    "what a format does with results below its smallest normal number", [
      I32EnumAttrCase<"keep", 0>,
      I32EnumAttrCase<"flush", 1>
    ]> {
  let cppNamespace = "::mlir::qopt";
}

def QOpt_OverflowPolicy : I32EnumAttr<"OverflowPolicy",
    "what a format does with results beyond its largest finite number", [
      I32EnumAttrCase<"inf", 0>,
      I32EnumAttrCase<"saturate", 1>
    ]> {
  let cppNamespace = "::mlir::qopt";
}

def QOpt_SpecialEncoding : I32EnumAttr<"SpecialEncoding",
    "how a format encodes infinities and NaN", [
      I32EnumAttrCase<"ieee", 0>,
      I32EnumAttrCase<"fn", 1>
    ]> {
  let cppNamespace = "::mlir::qopt";
}

//===----------------------------------------------------------------------===//
// FloatFormatAttr
//===----------------------------------------------------------------------===//

def QOpt_FloatFormatAttr : AttrDef<QOpt_Dialect, "FloatFormat"> {
  let mnemonic = "format";
  let summary = "a simulated binary floating-point format";
  let description = [{
    A binary floating-point format with a sign bit, `exp_bits` exponent bits
    (2 to 8, bias 2^(exp_bits-1) - 1) and `man_bits` explicit mantissa bits
    (0 to 23), plus three policies:

    * `subnormals`: `keep` (gradual underflow, the default) or `flush`
      (a result whose magnitude is below the smallest normal number after
      rounding becomes a zero of the same sign);
    * `overflow`: `inf` (the default: a finite input whose rounded magnitude
      exceeds the largest finite number becomes infinity, or NaN in an `fn`
      format, which has no infinity; rounding toward zero never overflows and
      gives the largest finite number, as IEEE 754 specifies) or `saturate`
      (every non-NaN input beyond the largest finite magnitude, infinities
      included, becomes that magnitude with its sign);
    * `encoding`: `ieee` (the top exponent is reserved for infinities and
      NaN, as in f16 and e5m2) or `fn` (the OCP "finite" style of e4m3: the
      top exponent holds finite values, the all-ones pattern is the only NaN,
      there is no infinity; needs `man_bits >= 1` and `exp_bits <= 7`).

    Every value of every such format is exactly representable in f32, which
    is how `qopt.quantize` stores it. The attribute prints as a named form
    when it matches one: `fp32` (e8m23), `tf32` (e8m10), `bf16` (e8m7),
    `fp16` (e5m10), `fp8_e4m3` (e4m3, `fn`, matching `Float8E4M3FN`, largest
    finite 448) and `fp8_e5m2` (e5m2, matching `Float8E5M2`); otherwise as
    `e<exp_bits>m<man_bits>`, followed by the policies that differ from the
    defaults of that form.

    Example:

    ```mlir
    #qopt.format<bf16>
    #qopt.format<e5m2, subnormals = flush>
    #qopt.format<fp8_e4m3, overflow = saturate>
    #qopt.format<e3m4, encoding = fn>
    ```
  }];
  let parameters = (ins
    "unsigned":$expBits,
    "unsigned":$manBits,
    DefaultValuedParameter<"::mlir::qopt::SubnormalPolicy",
        "::mlir::qopt::SubnormalPolicy::keep">:$subnormals,
    DefaultValuedParameter<"::mlir::qopt::OverflowPolicy",
        "::mlir::qopt::OverflowPolicy::inf">:$overflow,
    DefaultValuedParameter<"::mlir::qopt::SpecialEncoding",
        "::mlir::qopt::SpecialEncoding::ieee">:$encoding
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Unbiased exponent of the smallest normal number.
    int getMinExponent() const;
    /// Unbiased exponent of the largest finite number.
    int getMaxExponent() const;
    /// Largest finite magnitude, as an f32 value (always exact).
    float getLargestFinite() const;
    /// Smallest positive normal magnitude, as f32.
    float getSmallestNormal() const;
    /// Smallest positive subnormal magnitude, as f32.
    float getSmallestSubnormal() const;
    /// Bytes a value of this format would occupy in native storage
    /// (bits rounded up to a power-of-two byte count: 1, 2 or 4).
    unsigned getStorageBytes() const;
    /// The named form this format matches exactly, or an empty string.
    ::llvm::StringRef getName() const;
  }];
}

#endif // QOPT_DIALECT_QOPT_IR_QOPTATTRS_TD
