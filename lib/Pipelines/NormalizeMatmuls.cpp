//===- NormalizeMatmuls.cpp - matmul-shaped generics to linalg.matmul -----===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Rewrites f32 matrix products written as linalg.generic, or as
// linalg.matmul with transposing indexing maps, into a plain linalg.matmul
// on explicitly transposed operands, so that the matmul tiling and
// vectorisation pass sees them (see the pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "qopt/Pipelines/Passes.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTNORMALIZEMATMULSPASS
#include "qopt/Pipelines/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

namespace {

/// Whether `body` computes exactly `out + a * b` (either operand order of
/// each commutative op) and yields it: the arithmetic of linalg.matmul, so
/// the rewrite does not change a single rounding.
static bool isMulAddBody(Block &body) {
  if (body.getNumArguments() != 3 || !llvm::hasNItems(body, 3))
    return false;
  auto mul = dyn_cast<arith::MulFOp>(body.front());
  auto add = dyn_cast<arith::AddFOp>(*std::next(body.begin()));
  auto yield = dyn_cast<linalg::YieldOp>(body.back());
  if (!mul || !add || !yield || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != add.getResult())
    return false;
  // Fast-math flags would license a different rounding than matmul's.
  if (mul.getFastmath() != arith::FastMathFlags::none ||
      add.getFastmath() != arith::FastMathFlags::none)
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1),
        out = body.getArgument(2);
  bool mulOfInputs = (mul.getLhs() == a && mul.getRhs() == b) ||
                     (mul.getLhs() == b && mul.getRhs() == a);
  bool addOfOut = (add.getLhs() == out && add.getRhs() == mul.getResult()) ||
                  (add.getRhs() == out && add.getLhs() == mul.getResult());
  return mulOfInputs && addOfOut;
}

/// Whether every operand of `op` is a statically shaped f32 tensor: the
/// only products the matmul tiling handles.
static bool hasStaticF32Operands(Operation *op) {
  return llvm::all_of(op->getOperandTypes(), [](Type type) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    return tensor && tensor.getElementType().isF32() && tensor.hasStaticShape();
  });
}

/// `linalg.transpose` of a static matrix into a fresh tensor.
static Value transposeMatrix(PatternRewriter &rewriter, Location loc,
                             Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  Value init = tensor::EmptyOp::create(rewriter, loc,
                                       {type.getDimSize(1), type.getDimSize(0)},
                                       type.getElementType());
  return linalg::TransposeOp::create(rewriter, loc, value, init,
                                     ArrayRef<int64_t>{1, 0})
      ->getResult(0);
}

/// The loop dimension of each result of a 2-result projected permutation,
/// or nothing.
static std::optional<std::pair<unsigned, unsigned>> dimsOf(AffineMap map) {
  if (map.getNumResults() != 2 || !map.isProjectedPermutation())
    return std::nullopt;
  return std::pair(map.getDimPosition(0), map.getDimPosition(1));
}

/// Rewrites a static f32 product C(m, n) += A(m|k, k|m) * B(k|n, n|k) in
/// linalg.generic or linalg.matmul-with-maps form into
/// `linalg.matmul ins(A', B')` where A' and B' are A and B or their
/// `linalg.transpose`.
struct NormalizeMatmul : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    auto matmul = dyn_cast<linalg::MatmulOp>(op.getOperation());
    bool generic = isa<linalg::GenericOp>(op.getOperation());
    if ((!generic && !matmul) || (matmul && !matmul.hasUserDefinedMaps()))
      return rewriter.notifyMatchFailure(op, "not a generic or mapped matmul");
    if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
        op.getNumDpsInits() != 1 || op.getNumLoops() != 3 ||
        op.getNumReductionLoops() != 1)
      return rewriter.notifyMatchFailure(op, "not a 2-D contraction");
    if (!hasStaticF32Operands(op))
      return rewriter.notifyMatchFailure(op, "operand not a static f32");
    if (generic && !isMulAddBody(*op.getBlock()))
      return rewriter.notifyMatchFailure(op, "body is not out + a * b");

    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    auto lhs = dimsOf(maps[0]), rhs = dimsOf(maps[1]), out = dimsOf(maps[2]);
    if (!lhs || !rhs || !out)
      return rewriter.notifyMatchFailure(op, "maps are not 2-D projections");
    auto [m, n] = *out;
    unsigned k = 3 - m - n;
    if (m == n ||
        op.getIteratorTypesArray()[k] != utils::IteratorType::reduction)
      return rewriter.notifyMatchFailure(op, "reduction is not the third dim");
    Value a = op.getDpsInputOperand(0)->get();
    Value b = op.getDpsInputOperand(1)->get();
    // A is the operand indexed by m and k, B the one indexed by n and k
    // (multiplication commutes bit for bit, so they may come in either
    // order).
    auto uses = [](std::pair<unsigned, unsigned> dims, unsigned x, unsigned y) {
      return (dims.first == x && dims.second == y) ||
             (dims.first == y && dims.second == x);
    };
    if (uses(*lhs, n, k) && uses(*rhs, m, k)) {
      std::swap(a, b);
      std::swap(lhs, rhs);
    }
    if (!uses(*lhs, m, k) || !uses(*rhs, n, k))
      return rewriter.notifyMatchFailure(op, "not a matrix product");

    Location loc = op.getLoc();
    if (lhs->first != m)
      a = transposeMatrix(rewriter, loc, a);
    if (rhs->first != k)
      b = transposeMatrix(rewriter, loc, b);
    Value init = op.getDpsInitOperand(0)->get();
    rewriter.replaceOpWithNewOp<linalg::MatmulOp>(
        op, TypeRange{init.getType()}, ValueRange{a, b}, ValueRange{init});
    return success();
  }
};

/// The operand roles a loop dimension of a contraction can have: it indexes
/// the output and one input (a row or column of the product) or both inputs
/// (the reduction).
enum DimRole : unsigned { kInLhs = 1, kInRhs = 2, kInOut = 4 };

/// The two role groups of `map`'s results: the results must be all the
/// dims of one role, then all the dims of another, each group in increasing
/// loop order (so collapsing the operand linearises each group in the
/// order the loops visit it, and the reduction order is kept). Returns the
/// first group's role and its length.
static std::optional<std::pair<unsigned, unsigned>>
twoGroups(AffineMap map, ArrayRef<unsigned> roles) {
  unsigned rank = map.getNumResults();
  if (rank < 2)
    return std::nullopt;
  unsigned first = roles[map.getDimPosition(0)];
  unsigned split = 1;
  while (split < rank && roles[map.getDimPosition(split)] == first)
    ++split;
  if (split == rank)
    return std::nullopt;
  unsigned second = roles[map.getDimPosition(split)];
  for (unsigned i = 1; i < rank; ++i) {
    unsigned dim = map.getDimPosition(i), prev = map.getDimPosition(i - 1);
    bool sameGroup = (i < split) == (i - 1 < split);
    if ((i >= split && roles[dim] != second) || (sameGroup && dim < prev))
      return std::nullopt;
  }
  return std::pair(first, split);
}

/// Rewrites a static f32 contraction with more than three loops whose
/// dimensions split into row, column and reduction groups (no batch
/// dimension), such as `y[b, t, n] += x[b, t, c] * w[n, c]` or
/// `dw[n, c] += dy[b, t, n] * x[b, t, c]`, into `linalg.matmul` on the
/// operands collapsed to matrices (`tensor.collapse_shape`), transposed
/// where their groups come in the other order, with the product expanded
/// back (`tensor.expand_shape`). The collapses are views: no data moves.
struct CollapseContraction : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
        op.getNumDpsInits() != 1 || op.getNumLoops() <= 3)
      return rewriter.notifyMatchFailure(op, "not a contraction of > 3 loops");
    if (!hasStaticF32Operands(op))
      return rewriter.notifyMatchFailure(op, "operand not a static f32");
    if (!isMulAddBody(*op.getBlock()))
      return rewriter.notifyMatchFailure(op, "body is not out + a * b");
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    SmallVector<unsigned> roles(op.getNumLoops(), 0);
    for (auto [index, map] : llvm::enumerate(maps)) {
      if (!map.isProjectedPermutation(/*allowZeroInResults=*/false))
        return rewriter.notifyMatchFailure(op, "map is not a projection");
      for (unsigned i = 0, e = map.getNumResults(); i < e; ++i)
        roles[map.getDimPosition(i)] |= 1u << index;
    }
    auto iterators = op.getIteratorTypesArray();
    for (auto [dim, role] : llvm::enumerate(roles)) {
      bool reduction = iterators[dim] == utils::IteratorType::reduction;
      bool ok = role == (kInLhs | kInRhs) ? reduction
                                          : (role == (kInLhs | kInOut) ||
                                             role == (kInRhs | kInOut)) &&
                                                !reduction;
      if (!ok)
        return rewriter.notifyMatchFailure(op, "batch or unused dimension");
    }
    auto lhsGroups = twoGroups(maps[0], roles);
    auto rhsGroups = twoGroups(maps[1], roles);
    auto outGroups = twoGroups(maps[2], roles);
    if (!lhsGroups || !rhsGroups || !outGroups)
      return rewriter.notifyMatchFailure(op, "dims not in two ordered groups");

    // The product's rows are the output's first group; `a` is the input
    // that carries them.
    Value a = op.getDpsInputOperand(0)->get();
    Value b = op.getDpsInputOperand(1)->get();
    if (outGroups->first == (kInRhs | kInOut)) {
      std::swap(a, b);
      std::swap(lhsGroups, rhsGroups);
    }
    bool aRowsFirst = lhsGroups->first != (kInLhs | kInRhs);
    bool bReductionFirst = rhsGroups->first == (kInLhs | kInRhs);

    Location loc = op.getLoc();
    auto collapse = [&](Value value, unsigned split) -> Value {
      auto type = cast<RankedTensorType>(value.getType());
      if (type.getRank() == 2)
        return value;
      SmallVector<ReassociationIndices> groups(2);
      for (int64_t i = 0, e = type.getRank(); i < e; ++i)
        groups[i < split ? 0 : 1].push_back(i);
      return tensor::CollapseShapeOp::create(rewriter, loc, value, groups);
    };
    Value a2 = collapse(a, lhsGroups->second);
    Value b2 = collapse(b, rhsGroups->second);
    if (!aRowsFirst)
      a2 = transposeMatrix(rewriter, loc, a2);
    if (!bReductionFirst)
      b2 = transposeMatrix(rewriter, loc, b2);
    Value init = op.getDpsInitOperand(0)->get();
    Value init2 = collapse(init, outGroups->second);
    Value product =
        linalg::MatmulOp::create(rewriter, loc, TypeRange{init2.getType()},
                                 ValueRange{a2, b2}, ValueRange{init2})
            ->getResult(0);
    auto initType = cast<RankedTensorType>(init.getType());
    if (initType.getRank() == 2) {
      rewriter.replaceOp(op, product);
      return success();
    }
    SmallVector<ReassociationIndices> outReassociation(2);
    for (int64_t i = 0, e = initType.getRank(); i < e; ++i)
      outReassociation[i < outGroups->second ? 0 : 1].push_back(i);
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, initType, product,
                                                       outReassociation);
    return success();
  }
};

struct QOptNormalizeMatmulsPass
    : qopt::impl::QOptNormalizeMatmulsPassBase<QOptNormalizeMatmulsPass> {
  void runOnOperation() override {
    // Both patterns start from a generic or matmul with two inputs, one
    // init and at least three loops. Without one, the greedy driver would
    // only walk (and fold) the whole function: 0.2 s of a 1000-tensor
    // training step's compile, and the canonicalization after the tiling
    // folds the same.
    bool hasCandidate =
        getOperation()
            .walk([](linalg::LinalgOp op) {
              if (isa<linalg::GenericOp, linalg::MatmulOp>(op.getOperation()) &&
                  op.getNumDpsInputs() == 2 && op.getNumDpsInits() == 1 &&
                  op.getNumLoops() >= 3)
                return WalkResult::interrupt();
              return WalkResult::advance();
            })
            .wasInterrupted();
    if (!hasCandidate)
      return;
    RewritePatternSet patterns(&getContext());
    patterns.add<NormalizeMatmul, CollapseContraction>(&getContext());
    // One pass over the ops is enough: a rewritten op is a plain matmul
    // (with views and transposes around it), which no pattern matches
    // again.
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingOps);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
  }
};

} // namespace
