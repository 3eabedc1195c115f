//===- StorageToLinalg.cpp - qopt.encode / qopt.decode to linalg ----------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Encode and decode on their own (those the optimizer updates do not
// absorb) become one elementwise linalg.generic each, which linalg's
// elementwise fusion can merge with their producers and consumers.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/QOptToLinalg/OptimizerToLinalg.h"
#include "qopt/Conversion/QOptToLinalg/QOptToLinalg.h"
#include "qopt/Conversion/QOptToLinalg/QuantizeEmitter.h"
#include "qopt/Conversion/QOptToLinalg/StorageEmitter.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/Storage.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::qopt;

/// One elementwise linalg.generic from `input` to a tensor of `input`'s
/// shape with element type `resultElement`; `body` maps one element.
static Value
emitElementwise(ImplicitLocOpBuilder &b, Value input, Type resultElement,
                function_ref<Value(ImplicitLocOpBuilder &, Value)> body) {
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t rank = inputType.getRank();
  SmallVector<Value> dynamicSizes;
  for (int64_t dim = 0; dim < rank; ++dim)
    if (inputType.isDynamicDim(dim))
      dynamicSizes.push_back(tensor::DimOp::create(b, input, dim));
  auto resultType = inputType.clone(resultElement);
  Value init = tensor::EmptyOp::create(b, resultType.getShape(), resultElement,
                                       dynamicSizes);
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, TypeRange{resultType}, ValueRange{input}, ValueRange{init},
             ArrayRef<AffineMap>{identity, identity}, iterators,
             [&](OpBuilder &nested, Location loc, ValueRange args) {
               ImplicitLocOpBuilder bb(loc, nested);
               linalg::YieldOp::create(bb, body(bb, args[0]));
             })
      .getResult(0);
}

namespace {

/// Rewrites `qopt.encode` into a linalg.generic that rounds each element to
/// the format (nearest-even; skipped when a quantize to the same format
/// produced the input) and writes its code.
struct EncodeOpLowering : OpConversionPattern<EncodeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(EncodeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    FloatFormatAttr format = op.getFormat();
    Type container = op.getResult().getType().getElementType();
    std::optional<StorageLayout> layout = getStorageLayout(format, container);
    if (!layout)
      return op.emitOpError("container cannot hold the format");
    auto producer = op.getInput().getDefiningOp<QuantizeOp>();
    bool alreadyInFormat = producer && producer.getFormat() == format;
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value result = emitElementwise(
        b, adaptor.getInput(), container,
        [&](ImplicitLocOpBuilder &bb, Value x) {
          if (!alreadyInFormat)
            x = hasF32ExponentRange(format)
                    ? emitF32RangeQuantizeScalar(bb, x, format,
                                                 RoundingMode::nearest_even)
                    : emitQuantizeScalar(bb, x, format,
                                         RoundingMode::nearest_even);
          return emitEncodeScalar(bb, x, *layout, container);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Rewrites `qopt.decode` into a linalg.generic that decodes each code.
struct DecodeOpLowering : OpConversionPattern<DecodeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DecodeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type container = op.getInput().getType().getElementType();
    std::optional<StorageLayout> layout =
        getStorageLayout(op.getFormat(), container);
    if (!layout)
      return op.emitOpError("container cannot hold the format");
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value result = emitElementwise(b, adaptor.getInput(), b.getF32Type(),
                                   [&](ImplicitLocOpBuilder &bb, Value code) {
                                     return emitDecodeScalar(bb, code, *layout);
                                   });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::qopt::populateStorageToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<EncodeOpLowering, DecodeOpLowering>(patterns.getContext());
}
