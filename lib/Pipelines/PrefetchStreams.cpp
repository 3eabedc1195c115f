//===- PrefetchStreams.cpp - software prefetch for long 1-D loops ---------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Strip-mines long innermost scf.for loops that stream through 1-D memrefs
// and prefetches, before each block, the cache lines a later block reads
// (see the pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "qopt/Pipelines/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/ADT/SetVector.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTPREFETCHSTREAMSPASS
#include "qopt/Pipelines/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

namespace {

constexpr int64_t kCacheLineBytes = 64;

/// The memrefs `loop` streams through: rank-1, unit-stride, defined outside
/// the loop and read (memref.load) at exactly the induction variable.
SmallVector<Value> streamedMemrefs(scf::ForOp loop) {
  llvm::SetVector<Value> streams;
  Value iv = loop.getInductionVar();
  loop.getBody()->walk([&](memref::LoadOp load) {
    auto type = load.getMemRefType();
    if (type.getRank() != 1 || load.getIndices().front() != iv ||
        !type.isLastDimUnitStride() || !type.getElementType().isIntOrFloat() ||
        !loop.isDefinedOutsideOfLoop(load.getMemRef()))
      return;
    streams.insert(load.getMemRef());
  });
  return streams.takeVector();
}

/// Whether `loop` is worth prefetching for: innermost, step 1, no results,
/// and a dynamic trip count or a static one of at least `minIterations`.
bool isLongStreamingLoop(scf::ForOp loop, int64_t minIterations) {
  if (loop.getNumResults() != 0 || !loop.getInductionVar().getType().isIndex())
    return false;
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  if (!step || *step != 1)
    return false;
  bool nested = false;
  loop.getBody()->walk([&](LoopLikeOpInterface) { nested = true; });
  if (nested)
    return false;
  std::optional<int64_t> lower = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> upper = getConstantIntValue(loop.getUpperBound());
  return !lower || !upper || *upper - *lower >= minIterations;
}

/// Rewrites `loop` (lb to ub step 1) into blocks of `block` iterations; each
/// block first prefetches, for every stream, the lines of elements
/// [b + distance, min(b + block + distance, ub)), then runs the original
/// loop over [b, min(b + block, ub)).
void prefetchBlocks(scf::ForOp loop, ArrayRef<Value> streams, int64_t block,
                    int64_t distance) {
  ImplicitLocOpBuilder b(loop.getLoc(), loop);
  Value lower = loop.getLowerBound(), upper = loop.getUpperBound();
  Value blockSize = arith::ConstantIndexOp::create(b, block);
  Value ahead = arith::ConstantIndexOp::create(b, distance);
  auto outer = scf::ForOp::create(b, lower, upper, blockSize);
  b.setInsertionPointToStart(outer.getBody());
  Value begin = outer.getInductionVar();
  Value end = arith::MinSIOp::create(
      b, arith::AddIOp::create(b, begin, blockSize), upper);
  Value prefetchBegin = arith::AddIOp::create(b, begin, ahead);
  Value prefetchEnd =
      arith::MinSIOp::create(b, arith::AddIOp::create(b, end, ahead), upper);
  for (Value stream : streams) {
    auto type = cast<MemRefType>(stream.getType());
    int64_t elementBytes =
        std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
    Value line = arith::ConstantIndexOp::create(
        b, std::max<int64_t>(1, kCacheLineBytes / elementBytes));
    auto lines = scf::ForOp::create(b, prefetchBegin, prefetchEnd, line);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(lines.getBody());
    memref::PrefetchOp::create(b, stream, ValueRange{lines.getInductionVar()},
                               /*isWrite=*/false, /*localityHint=*/3,
                               /*isDataCache=*/true);
  }
  loop->moveBefore(outer.getBody()->getTerminator());
  loop.getLowerBoundMutable().assign(begin);
  loop.getUpperBoundMutable().assign(end);
}

struct QOptPrefetchStreamsPass
    : public qopt::impl::QOptPrefetchStreamsPassBase<QOptPrefetchStreamsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (distance <= 0 || block <= 0)
      return;
    SmallVector<std::pair<scf::ForOp, SmallVector<Value>>> work;
    getOperation()->walk([&](scf::ForOp loop) {
      if (!isLongStreamingLoop(loop, minIterations))
        return;
      SmallVector<Value> streams = streamedMemrefs(loop);
      if (!streams.empty())
        work.emplace_back(loop, std::move(streams));
    });
    for (auto &[loop, streams] : work)
      prefetchBlocks(loop, streams, block, distance);
  }
};

} // namespace
