//===- MuonToLinalg.cpp - qopt.muon_update to linalg ----------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Muon is two elementwise loops around an orthogonalisation:
//   1. momentum: reads g and B once, writes B' (into B itself) and U;
//   2. the Frobenius norm of U (row sums of squares, then their sum, kept as
//      a 0-d tensor), then X = U / (||U|| + eps),
//      written transposed when rows > cols so the Newton-Schulz iteration
//      always works on a wide matrix (its Gram matrix A = X X^T is the
//      smaller one);
//   3. ns_steps Newton-Schulz steps in an scf.for, each three linalg.matmul
//      ops: A = X X^T, A A, and (b A + c A A) X accumulated onto a X (the
//      first two marked qopt.symmetric, so the matmul tiling computes one
//      half of each);
//   4. the update: reads W and X once, writes W' (into W itself).
// The quantize ops on w, g, B and on the results are absorbed into loops 1
// and 4, as for Adam.
//
//===----------------------------------------------------------------------===//

#include "BoundaryQuantization.h"

#include "qopt/Conversion/QOptToLinalg/OptimizerToLinalg.h"
#include "qopt/Dialect/QOpt/IR/QOptAttrNames.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::qopt;

namespace {

/// Builds the linalg ops of the lowering with short names.
struct LinalgBuilder {
  ImplicitLocOpBuilder &b;

  Value cst(float value) {
    return arith::ConstantOp::create(b, b.getF32FloatAttr(value));
  }
  Value empty(ArrayRef<int64_t> shape) {
    return tensor::EmptyOp::create(b, shape, b.getF32Type());
  }
  Value zeros(ArrayRef<int64_t> shape) {
    return linalg::FillOp::create(b, ValueRange{cst(0.0f)},
                                  ValueRange{empty(shape)})
        .getResult(0);
  }
  /// C + A B for 2-D tensors (C is the accumulator, the matmul's `outs`).
  Value matmul(Value lhs, Value rhs, Value acc) {
    return linalg::MatmulOp::create(b, TypeRange{acc.getType()},
                                    ValueRange{lhs, rhs}, ValueRange{acc})
        .getResult(0);
  }
  /// An elementwise 2-D generic over `inputs` with a scalar body.
  Value map(ArrayRef<Value> inputs, ArrayRef<int64_t> shape,
            function_ref<Value(ImplicitLocOpBuilder &, ValueRange)> body) {
    AffineMap id = b.getMultiDimIdentityMap(2);
    SmallVector<AffineMap> maps(inputs.size() + 1, id);
    SmallVector<utils::IteratorType> iterators(2,
                                               utils::IteratorType::parallel);
    RankedTensorType type = RankedTensorType::get(shape, b.getF32Type());
    return linalg::GenericOp::create(
               b, TypeRange{type}, inputs, ValueRange{empty(shape)}, maps,
               iterators,
               [&](OpBuilder &nested, Location loc, ValueRange args) {
                 ImplicitLocOpBuilder bb(loc, nested);
                 linalg::YieldOp::create(bb, body(bb, args));
               })
        .getResult(0);
  }
};

/// Rewrites `qopt.muon_update` on a static 2-D shape into linalg on tensors
/// (see the file comment), absorbing the qopt.quantize ops on its operands
/// and results into its two elementwise loops.
struct MuonUpdateOpLowering : OpConversionPattern<MuonUpdateOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MuonUpdateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getWeight().getType());
    // Whether to work on the transpose is decided at compile time.
    if (type.getRank() != 2 || !type.hasStaticShape())
      return op.emitOpError("lowering to linalg needs a static 2-D shape, got ")
             << type;

    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    LinalgBuilder lb{b};
    const int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
    const bool transposed = rows > cols;
    // The Newton-Schulz iterate is short x long.
    const int64_t shortDim = std::min(rows, cols),
                  longDim = std::max(rows, cols);

    BoundaryQuantization boundary(b, op.getGrad());
    FusedQuantize qw, qg, qb, qwOut, qbOut;
    Value w = boundary.absorbOperand(op.getWeight(), qw);
    Value g = boundary.absorbOperand(op.getGrad(), qg);
    Value buf = boundary.absorbOperand(op.getMomentumBuffer(), qb);
    Operation *wOut = boundary.absorbResult(op.getNewWeight(), qwOut);
    Operation *bOut = boundary.absorbResult(op.getNewMomentumBuffer(), qbOut);

    float mu = op.getMomentum().convertToFloat();
    bool nesterov = op.getNesterov();
    Value cMu = lb.cst(mu);
    AffineMap id = b.getMultiDimIdentityMap(2);
    SmallVector<utils::IteratorType> parallel(2, utils::IteratorType::parallel);

    // 1. Momentum: B' = mu B + G, U = nesterov ? G + mu B' : B'.
    // A buffer in narrow storage is read and written in its container.
    FusedLoopOperands momentumPlan = boundary.planLoop(
        ValueRange{g},
        {{buf, boundary.getResultType(type, qbOut)}, {Value(), type}});
    auto momentum = linalg::GenericOp::create(
        b, momentumPlan.resultTypes, momentumPlan.ins, momentumPlan.outs,
        SmallVector<AffineMap>(
            momentumPlan.ins.size() + momentumPlan.outs.size(), id),
        parallel, [&](OpBuilder &nested, Location loc, ValueRange args) {
          ImplicitLocOpBuilder bb(loc, nested);
          boundary.beginBody();
          Value gq = boundary.apply(bb, qg, args[0]);
          Value bq = boundary.apply(bb, qb, args[momentumPlan.stateArg[0]]);
          Value b1 =
              arith::AddFOp::create(bb, arith::MulFOp::create(bb, cMu, bq), gq);
          Value u = nesterov ? arith::AddFOp::create(
                                   bb, gq, arith::MulFOp::create(bb, cMu, b1))
                                   .getResult()
                             : b1;
          linalg::YieldOp::create(bb,
                                  ValueRange{boundary.apply(bb, qbOut, b1), u});
        });
    Value u = momentum.getResult(1);

    // 2. Frobenius norm, then X = U / (||U||_F + eps), transposed if tall.
    // The sum of squares is reduced per row first (a parallel loop over
    // rows), then over the row sums, and stays a 0-d tensor that the
    // normalisation reads: no scalar leaves the loops, so on a GPU every
    // stage is a kernel on device memory (and the two-level sum is more
    // accurate than one running sum).
    auto f32 = b.getF32Type();
    MLIRContext *context = b.getContext();
    AffineMap rowOf2d = AffineMap::get(2, 0, {b.getAffineDimExpr(0)}, context);
    auto rowSums = linalg::GenericOp::create(
        b, TypeRange{RankedTensorType::get({rows}, f32)}, ValueRange{u},
        ValueRange{lb.zeros({rows})}, ArrayRef<AffineMap>{id, rowOf2d},
        ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                      utils::IteratorType::reduction},
        [&](OpBuilder &nested, Location loc, ValueRange args) {
          ImplicitLocOpBuilder bb(loc, nested);
          Value sq = arith::MulFOp::create(bb, args[0], args[0]);
          linalg::YieldOp::create(
              bb, ValueRange{arith::AddFOp::create(bb, args[1], sq)});
        });
    auto sumOfSquares = linalg::GenericOp::create(
        b, TypeRange{RankedTensorType::get({}, f32)},
        ValueRange{rowSums.getResult(0)}, ValueRange{lb.zeros({})},
        ArrayRef<AffineMap>{b.getMultiDimIdentityMap(1),
                            AffineMap::get(1, 0, {}, context)},
        ArrayRef<utils::IteratorType>{utils::IteratorType::reduction},
        [&](OpBuilder &nested, Location loc, ValueRange args) {
          ImplicitLocOpBuilder bb(loc, nested);
          linalg::YieldOp::create(
              bb, ValueRange{arith::AddFOp::create(bb, args[1], args[0])});
        });
    Value eps = lb.cst(op.getEpsilon().convertToFloat());
    SmallVector<int64_t> xShape = {shortDim, longDim};
    AffineMap swap =
        AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0}, context);
    auto normalize = linalg::GenericOp::create(
        b, TypeRange{RankedTensorType::get(xShape, f32)},
        ValueRange{u, sumOfSquares.getResult(0)}, ValueRange{lb.empty(xShape)},
        ArrayRef<AffineMap>{transposed ? swap : id,
                            AffineMap::get(2, 0, {}, context), id},
        parallel, [&](OpBuilder &nested, Location loc, ValueRange args) {
          ImplicitLocOpBuilder bb(loc, nested);
          Value denom =
              arith::AddFOp::create(bb, math::SqrtOp::create(bb, args[1]), eps);
          linalg::YieldOp::create(
              bb, ValueRange{arith::DivFOp::create(bb, args[0], denom)});
        });

    // 3. Newton-Schulz: X = a X + (b A + c A A) X, A = X X^T.
    ArrayRef<float> coeffs = op.getNsCoeffs();
    Value ca = lb.cst(coeffs[0]), cb = lb.cst(coeffs[1]),
          cc = lb.cst(coeffs[2]);
    Value lower = arith::ConstantIndexOp::create(b, 0);
    Value upper = arith::ConstantIndexOp::create(b, op.getNsSteps());
    Value stepOne = arith::ConstantIndexOp::create(b, 1);
    auto loop = scf::ForOp::create(
        b, lower, upper, stepOne, ValueRange{normalize.getResult(0)},
        [&](OpBuilder &nested, Location loc, Value, ValueRange iterArgs) {
          ImplicitLocOpBuilder nb(loc, nested);
          LinalgBuilder l{nb};
          Value x = iterArgs[0];
          SmallVector<int64_t> gram = {shortDim, shortDim};
          Value xt =
              linalg::TransposeOp::create(nb, x, l.empty({longDim, shortDim}),
                                          ArrayRef<int64_t>{1, 0})
                  .getResult()[0];
          Value a = l.matmul(x, xt, l.zeros(gram));
          Value aa = l.matmul(a, a, l.zeros(gram));
          // Both Gram-side products are symmetric: the matmul tiling
          // computes one half of each (about 1.5x fewer flops per step).
          for (Value product : {a, aa})
            product.getDefiningOp()->setAttr(kSymmetricAttr, nb.getUnitAttr());
          Value poly =
              l.map({a, aa}, gram,
                    [&](ImplicitLocOpBuilder &bb, ValueRange args) -> Value {
                      return arith::AddFOp::create(
                          bb, arith::MulFOp::create(bb, cb, args[0]),
                          arith::MulFOp::create(bb, cc, args[1]));
                    });
          Value ax =
              l.map({x}, xShape,
                    [&](ImplicitLocOpBuilder &bb, ValueRange args) -> Value {
                      return arith::MulFOp::create(bb, ca, args[0]);
                    });
          Value next = l.matmul(poly, x, ax);
          // Write the new iterate over the old one: one-shot bufferization
          // wants the loop to yield the buffer it carries.
          scf::YieldOp::create(
              nb, linalg::CopyOp::create(nb, next, x).getResult(0));
        });
    Value ortho = loop.getResult(0);

    // 4. W' = W - lr s X - lr wd W, with the shape factor s.
    // Attributes fold in f32; operands (dynamic hyper-parameters) are
    // combined once per step, outside the loop.
    Value dynLr = adaptor.getDynamicLr();
    Value dynWd = adaptor.getDynamicWeightDecay();
    float lr = op.getLr() ? op.getLr()->convertToFloat() : 0.0f;
    float wd = op.getWeightDecay().convertToFloat();
    float scale = std::sqrt(
        std::max(1.0f, static_cast<float>(rows) / static_cast<float>(cols)));
    Value cLrScale =
        dynLr ? arith::MulFOp::create(b, dynLr, lb.cst(scale)).getResult()
              : lb.cst(lr * scale);
    Value cLrWd;
    if (dynLr || dynWd)
      cLrWd = arith::MulFOp::create(b, dynLr ? dynLr : lb.cst(lr),
                                    dynWd ? dynWd : lb.cst(wd));
    else if (wd != 0.0f)
      cLrWd = lb.cst(lr * wd);
    FusedLoopOperands updatePlan = boundary.planLoop(
        ValueRange{ortho}, {{w, boundary.getResultType(type, qwOut)}});
    SmallVector<AffineMap> updateMaps(
        updatePlan.ins.size() + updatePlan.outs.size(), id);
    updateMaps[0] = transposed ? swap : id;
    auto update = linalg::GenericOp::create(
        b, updatePlan.resultTypes, updatePlan.ins, updatePlan.outs, updateMaps,
        parallel, [&](OpBuilder &nested, Location loc, ValueRange args) {
          ImplicitLocOpBuilder bb(loc, nested);
          boundary.beginBody();
          Value wq = boundary.apply(bb, qw, args[updatePlan.stateArg[0]]);
          Value w1 = arith::SubFOp::create(
              bb, wq, arith::MulFOp::create(bb, cLrScale, args[0]));
          // Decoupled decay on the old weight; absent when wd = 0.
          if (cLrWd)
            w1 = arith::SubFOp::create(bb, w1,
                                       arith::MulFOp::create(bb, cLrWd, wq));
          linalg::YieldOp::create(bb,
                                  ValueRange{boundary.apply(bb, qwOut, w1)});
        });

    replaceFusedUpdate(rewriter, op,
                       {update.getResult(0), momentum.getResult(0)},
                       {wOut, bOut});
    return success();
  }
};

} // namespace

void mlir::qopt::populateMuonToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<MuonUpdateOpLowering>(patterns.getContext());
}
