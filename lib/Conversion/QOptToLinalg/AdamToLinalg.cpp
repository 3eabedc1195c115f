//===- AdamToLinalg.cpp - qopt.adam_update to one fused linalg.generic ----===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Adam is elementwise, so one loop does the whole step: it reads w, g, m, v
// once and writes w', m', v' once. The bias corrections depend only on the
// step and are computed before the loop. The loop writes into the state
// tensors themselves (they are its `outs`), so bufferization updates the
// state in place when the caller no longer needs the old values.
//
//===----------------------------------------------------------------------===//

#include "BoundaryQuantization.h"

#include "qopt/Conversion/QOptToLinalg/OptimizerToLinalg.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::qopt;

namespace {

/// Rewrites `qopt.adam_update` into one elementwise linalg.generic with
/// ins(g) outs(w, m, v), absorbing the qopt.quantize ops on its four tensor
/// operands and on its three results into the loop body.
struct AdamUpdateOpLowering : OpConversionPattern<AdamUpdateOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AdamUpdateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto type = cast<RankedTensorType>(op.getWeight().getType());
    Type f32 = b.getF32Type();
    auto cst = [&](float value) -> Value {
      return arith::ConstantOp::create(b, b.getF32FloatAttr(value));
    };

    BoundaryQuantization boundary(b, op.getGrad());
    FusedQuantize qw, qg, qm, qv, qwOut, qmOut, qvOut;
    Value w = boundary.absorbOperand(op.getWeight(), qw);
    Value g = boundary.absorbOperand(op.getGrad(), qg);
    Value m = boundary.absorbOperand(op.getMoment1(), qm);
    Value v = boundary.absorbOperand(op.getMoment2(), qv);
    Operation *wOut = boundary.absorbResult(op.getNewWeight(), qwOut);
    Operation *mOut = boundary.absorbResult(op.getNewMoment1(), qmOut);
    Operation *vOut = boundary.absorbResult(op.getNewMoment2(), qvOut);

    // Hyper-parameters: attributes folded in f32 exactly as the reference
    // formulas evaluate them; operands (dynamic hyper-parameters) combined
    // once per step, outside the loop, in the same order.
    Value dynBeta1 = adaptor.getDynamicBeta1();
    Value dynBeta2 = adaptor.getDynamicBeta2();
    Value dynLr = adaptor.getDynamicLr();
    Value dynEps = adaptor.getDynamicEpsilon();
    Value dynWd = adaptor.getDynamicWeightDecay();
    float beta1 = op.getBeta1().convertToFloat();
    float beta2 = op.getBeta2().convertToFloat();
    float lr = op.getLr() ? op.getLr()->convertToFloat() : 0.0f;
    float weightDecay = op.getWeightDecay().convertToFloat();
    bool hasDecay = dynWd || weightDecay != 0.0f;
    bool decoupled = op.getDecoupledWeightDecay();
    bool epsInside = op.getEpsilonInsideSqrt();
    Value cBeta1 = dynBeta1 ? dynBeta1 : cst(beta1);
    Value cBeta2 = dynBeta2 ? dynBeta2 : cst(beta2);
    auto oneMinus = [&](Value dynBeta, float beta) -> Value {
      if (dynBeta)
        return arith::SubFOp::create(b, cst(1.0f), dynBeta);
      return cst(1.0f - beta);
    };
    Value cOneMinusBeta1 = oneMinus(dynBeta1, beta1);
    Value cOneMinusBeta2 = oneMinus(dynBeta2, beta2);
    Value cLr = dynLr ? dynLr : cst(lr);
    Value cEps = dynEps ? dynEps : cst(op.getEpsilon().convertToFloat());
    // Decoupled decay subtracts lr * wd * w; L2 decay adds wd * w to g.
    Value cLrWd, cL2;
    if (hasDecay && decoupled)
      cLrWd =
          dynLr || dynWd
              ? arith::MulFOp::create(b, cLr, dynWd ? dynWd : cst(weightDecay))
                    .getResult()
              : cst(lr * weightDecay);
    if (hasDecay && !decoupled)
      cL2 = dynWd ? dynWd : cst(weightDecay);

    // Bias corrections 1 - beta^step, once per step.
    Value bc1, bc2;
    if (op.getBiasCorrection()) {
      Value one = cst(1.0f);
      Value stepF = arith::SIToFPOp::create(b, f32, adaptor.getStep());
      bc1 =
          arith::SubFOp::create(b, one, math::PowFOp::create(b, cBeta1, stepF));
      bc2 =
          arith::SubFOp::create(b, one, math::PowFOp::create(b, cBeta2, stepF));
    }

    // States in narrow storage are read and written in their containers.
    FusedLoopOperands plan = boundary.planLoop(
        ValueRange{g}, {{w, boundary.getResultType(type, qwOut)},
                        {m, boundary.getResultType(type, qmOut)},
                        {v, boundary.getResultType(type, qvOut)}});
    AffineMap id = b.getMultiDimIdentityMap(type.getRank());
    SmallVector<AffineMap> maps(plan.ins.size() + plan.outs.size(), id);
    SmallVector<utils::IteratorType> iterators(type.getRank(),
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        b, plan.resultTypes, plan.ins, plan.outs, maps, iterators,
        [&](OpBuilder &nested, Location loc, ValueRange args) {
          ImplicitLocOpBuilder bb(loc, nested);
          boundary.beginBody();
          Value gq = boundary.apply(bb, qg, args[0]);
          Value wq = boundary.apply(bb, qw, args[plan.stateArg[0]]);
          Value mq = boundary.apply(bb, qm, args[plan.stateArg[1]]);
          Value vq = boundary.apply(bb, qv, args[plan.stateArg[2]]);
          auto mul = [&](Value x, Value y) -> Value {
            return arith::MulFOp::create(bb, x, y);
          };
          auto add = [&](Value x, Value y) -> Value {
            return arith::AddFOp::create(bb, x, y);
          };
          auto sub = [&](Value x, Value y) -> Value {
            return arith::SubFOp::create(bb, x, y);
          };
          auto div = [&](Value x, Value y) -> Value {
            return arith::DivFOp::create(bb, x, y);
          };
          // L2 regularisation: the decay joins the gradient.
          Value ge = cL2 ? add(gq, mul(cL2, wq)) : gq;
          Value m1 = add(mul(cBeta1, mq), mul(cOneMinusBeta1, ge));
          Value v1 = add(mul(cBeta2, vq), mul(cOneMinusBeta2, mul(ge, ge)));
          Value mHat = bc1 ? div(m1, bc1) : m1;
          Value vHat = bc2 ? div(v1, bc2) : v1;
          Value denom =
              epsInside ? math::SqrtOp::create(bb, add(vHat, cEps)).getResult()
                        : add(math::SqrtOp::create(bb, vHat), cEps);
          Value w1 = sub(wq, mul(cLr, div(mHat, denom)));
          // Decoupled decay on the old weight; absent for plain Adam.
          if (cLrWd)
            w1 = sub(w1, mul(cLrWd, wq));
          linalg::YieldOp::create(bb,
                                  ValueRange{boundary.apply(bb, qwOut, w1),
                                             boundary.apply(bb, qmOut, m1),
                                             boundary.apply(bb, qvOut, v1)});
        });

    replaceFusedUpdate(rewriter, op, generic.getResults(), {wOut, mOut, vOut});
    return success();
  }
};

} // namespace

void mlir::qopt::populateAdamToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<AdamUpdateOpLowering>(patterns.getContext());
}
