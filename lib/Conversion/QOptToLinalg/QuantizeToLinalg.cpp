//===- QuantizeToLinalg.cpp - qopt.quantize to linalg.generic -------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/QOptToLinalg/QOptToLinalg.h"
#include "qopt/Conversion/QOptToLinalg/QuantizeEmitter.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::qopt;

namespace {

/// Rewrites `qopt.quantize` into one elementwise linalg.generic whose body
/// rounds each f32 element with integer arithmetic (QuantizeEmitter). Its
/// output is a `tensor.empty`: the CPU pipeline later ties it to the
/// destination the result is materialized in, or to the input when that is
/// dead (qopt-reuse-dead-inputs), so no temporary is allocated.
struct QuantizeOpLowering : OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank();
    Value input = adaptor.getInput();

    SmallVector<Value> dynamicSizes;
    SmallVector<Value> sizes;
    for (int64_t dim = 0; dim < rank; ++dim) {
      if (type.isDynamicDim(dim)) {
        Value size = tensor::DimOp::create(b, input, dim);
        dynamicSizes.push_back(size);
        sizes.push_back(size);
      } else {
        sizes.push_back(
            arith::ConstantIndexOp::create(b, type.getDimSize(dim)));
      }
    }
    Value init = tensor::EmptyOp::create(b, type.getShape(),
                                         type.getElementType(), dynamicSizes);

    bool stochastic = op.getRounding() == RoundingMode::stochastic;
    // Loop-invariant part of the hash, computed once outside the loop.
    StochasticKey key;
    if (stochastic)
      key = emitStochasticKey(b, adaptor.getSeed(), adaptor.getStep(),
                              op.getStreamOrZero());
    Value wideIndex;
    if (stochastic)
      wideIndex = emitWideIndexCondition(b, type, sizes);

    AffineMap identity = b.getMultiDimIdentityMap(rank);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    FloatFormatAttr format = op.getFormat();
    RoundingMode rounding = op.getRounding();
    auto generic = linalg::GenericOp::create(
        b, TypeRange{type}, ValueRange{input}, ValueRange{init},
        ArrayRef<AffineMap>{identity, identity}, iterators,
        [&](OpBuilder &nested, Location loc, ValueRange args) {
          ImplicitLocOpBuilder bb(loc, nested);
          Value randomBits;
          if (stochastic)
            randomBits = emitStochasticBits(
                bb, key, emitRowMajorIndex(bb, sizes), wideIndex);
          // f32-exponent formats (bf16, tf32, e8mM) round the bit pattern
          // directly: a constant bias and mask, no subnormal range.
          Value result = hasF32ExponentRange(format)
                             ? emitF32RangeQuantizeScalar(bb, args[0], format,
                                                          rounding, randomBits)
                             : emitQuantizeScalar(bb, args[0], format, rounding,
                                                  randomBits);
          linalg::YieldOp::create(bb, result);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

} // namespace

void mlir::qopt::populateQuantizeToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<QuantizeOpLowering>(patterns.getContext());
}
