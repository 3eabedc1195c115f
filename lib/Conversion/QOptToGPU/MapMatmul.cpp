//===- MapMatmul.cpp - register-blocked matmul kernels --------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTGPUMAPMATMULPASS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

namespace {

/// linalg.matmul (C += A B on f32 buffers) -> gpu.launch with `tile` x
/// `tile` blocks and `threadTile` x `threadTile` outputs per thread.
struct MapMatmulPattern : OpRewritePattern<linalg::MatmulOp> {
  MapMatmulPattern(MLIRContext *context, int64_t tile, int64_t threadTile)
      : OpRewritePattern(context), tile(tile), threadTile(threadTile) {}

  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "needs buffer semantics");
    if (op.hasUserDefinedMaps())
      return rewriter.notifyMatchFailure(op, "transposed/broadcast maps");
    Value lhs = op.getDpsInputs()[0], rhs = op.getDpsInputs()[1];
    Value out = op.getDpsInits()[0];
    for (Value operand : {lhs, rhs, out}) {
      auto type = dyn_cast<MemRefType>(operand.getType());
      if (!type || !type.getElementType().isF32() ||
          !type.getLayout().isIdentity())
        return rewriter.notifyMatchFailure(op, "needs identity f32 memrefs");
    }

    ImplicitLocOpBuilder b0(op.getLoc(), rewriter);
    auto cst = [&](int64_t v) { return arith::ConstantIndexOp::create(b0, v); };
    Value one = cst(1);
    Value m = memref::DimOp::create(b0, lhs, 0);
    Value k = memref::DimOp::create(b0, lhs, 1);
    Value n = memref::DimOp::create(b0, rhs, 1);
    Value tileV = cst(tile);
    auto ceilDiv = [&](Value x) {
      return arith::CeilDivUIOp::create(b0, x, tileV);
    };
    Value threads = cst(tile / threadTile);
    // Grid x walks the columns of C, so consecutive blocks (and, below,
    // consecutive threads) touch consecutive addresses.
    auto launch = gpu::LaunchOp::create(b0, ceilDiv(n), ceilDiv(m), one,
                                        threads, threads, one);

    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(&launch.getBody().front());
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto c2 = [&](int64_t v) { return arith::ConstantIndexOp::create(b, v); };
    Value mLast = arith::SubIOp::create(b, m, c2(1));
    Value nLast = arith::SubIOp::create(b, n, c2(1));
    gpu::KernelDim3 blockIds = launch.getBlockIds();
    gpu::KernelDim3 threadIds = launch.getThreadIds();
    // A thread's rows and columns are `tile / threadTile` apart (not
    // adjacent): thread x computes columns x, x + 16, x + 32, x + 48 of its
    // block's tile, so a warp's 16 threads along x load 16 consecutive
    // floats of B and store 16 consecutive floats of C at once (coalesced),
    // and threads along y share their row of A (a broadcast).
    int64_t stride = tile / threadTile;
    Value row0 = arith::AddIOp::create(
        b, arith::MulIOp::create(b, blockIds.y, c2(tile)), threadIds.y);
    Value col0 = arith::AddIOp::create(
        b, arith::MulIOp::create(b, blockIds.x, c2(tile)), threadIds.x);
    SmallVector<Value> rows, cols, rowInside, colInside;
    for (int64_t i = 0; i < threadTile; ++i) {
      Value r = arith::AddIOp::create(b, row0, c2(i * stride));
      Value cIdx = arith::AddIOp::create(b, col0, c2(i * stride));
      rowInside.push_back(
          arith::CmpIOp::create(b, arith::CmpIPredicate::ult, r, m));
      colInside.push_back(
          arith::CmpIOp::create(b, arith::CmpIPredicate::ult, cIdx, n));
      // Clamped indices: loads are always in bounds, stores are guarded.
      rows.push_back(arith::MinUIOp::create(b, r, mLast));
      cols.push_back(arith::MinUIOp::create(b, cIdx, nLast));
    }

    // Accumulators start from C (matmul accumulates into its output).
    SmallVector<Value> init;
    for (int64_t i = 0; i < threadTile; ++i)
      for (int64_t j = 0; j < threadTile; ++j)
        init.push_back(
            memref::LoadOp::create(b, out, ValueRange{rows[i], cols[j]}));
    auto loop = scf::ForOp::create(
        b, c2(0), k, c2(1), init,
        [&](OpBuilder &nested, Location loc, Value kIv, ValueRange acc) {
          ImplicitLocOpBuilder nb(loc, nested);
          SmallVector<Value> aValues, bValues;
          for (int64_t i = 0; i < threadTile; ++i)
            aValues.push_back(
                memref::LoadOp::create(nb, lhs, ValueRange{rows[i], kIv}));
          for (int64_t j = 0; j < threadTile; ++j)
            bValues.push_back(
                memref::LoadOp::create(nb, rhs, ValueRange{kIv, cols[j]}));
          SmallVector<Value> next;
          for (int64_t i = 0; i < threadTile; ++i)
            for (int64_t j = 0; j < threadTile; ++j)
              next.push_back(arith::AddFOp::create(
                  nb, acc[i * threadTile + j],
                  arith::MulFOp::create(nb, aValues[i], bValues[j])));
          scf::YieldOp::create(nb, next);
        });
    for (int64_t i = 0; i < threadTile; ++i)
      for (int64_t j = 0; j < threadTile; ++j) {
        Value inside = arith::AndIOp::create(b, rowInside[i], colInside[j]);
        auto ifOp = scf::IfOp::create(b, inside, /*withElseRegion=*/false);
        OpBuilder::InsertionGuard storeGuard(rewriter);
        rewriter.setInsertionPointToStart(&ifOp.getThenRegion().front());
        memref::StoreOp::create(rewriter, op.getLoc(),
                                loop.getResult(i * threadTile + j), out,
                                ValueRange{rows[i], cols[j]});
      }
    gpu::TerminatorOp::create(b);
    rewriter.eraseOp(op);
    return success();
  }

  int64_t tile;
  int64_t threadTile;
};

struct QOptGPUMapMatmulPass
    : qopt::impl::QOptGPUMapMatmulPassBase<QOptGPUMapMatmulPass> {
  using Base::Base;

  void runOnOperation() override {
    if (tile <= 0 || threadTile <= 0 || tile % threadTile != 0 ||
        (tile / threadTile) * (tile / threadTile) > 1024) {
      getOperation().emitError()
          << "qopt-gpu-map-matmul: tile (" << static_cast<int64_t>(tile)
          << ") must be a positive multiple of thread-tile ("
          << static_cast<int64_t>(threadTile)
          << ") with at most 1024 threads a block";
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<MapMatmulPattern>(&getContext(), tile, threadTile);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
