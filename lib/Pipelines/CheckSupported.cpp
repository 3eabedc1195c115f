//===- CheckSupported.cpp - what no qopt pipeline can lower ---------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A check at the head of every qopt pipeline (CPU and GPU), so that
// verifier-valid IR that an upstream pass or LLVM's code generation inside
// the pipeline would crash on, hang on or stop in with "LLVM ERROR" gets a
// qopt diagnostic that names the op and what is unsupported.
//
//===----------------------------------------------------------------------===//

#include "qopt/Pipelines/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/CheckedArithmetic.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTCHECKSUPPORTEDPASS
#include "qopt/Pipelines/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

/// The most elements a vector type may have in IR the qopt pipelines lower.
/// LLVM's code generation of a vector grows faster than its size (NVPTX:
/// 1.5 s for 4096 f32, 30 s for 16384, does not finish for 10^9) and stops
/// with "LLVM ERROR" on element counts it cannot represent; qopt's own
/// vectors are register tiles of 64 elements.
static constexpr int64_t kMaxVectorElements = 4096;

/// Whether `type` has more than kMaxVectorElements elements (a scalable
/// dimension counts its minimum; a product that overflows is too many).
static bool isTooLargeVector(VectorType type) {
  int64_t elements = 1;
  for (int64_t size : type.getShape()) {
    std::optional<int64_t> product = llvm::checkedMul(elements, size);
    if (!product || *product > kMaxVectorElements)
      return true;
    elements = *product;
  }
  return false;
}

/// The first vector type of more than kMaxVectorElements elements in `type`
/// or nested in it (`memref<vector<...>>`, function types), or null.
static VectorType findTooLargeVector(Type type) {
  VectorType found;
  type.walk([&](VectorType vector) {
    if (isTooLargeVector(vector)) {
      found = vector;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found;
}

/// The first vector type of more than kMaxVectorElements elements in the
/// types of `op`'s results, its regions' block arguments and its attributes
/// (the function type of a declaration), or null.
static VectorType findTooLargeVector(Operation *op) {
  for (Type type : op->getResultTypes())
    if (VectorType found = findTooLargeVector(type))
      return found;
  for (Region &region : op->getRegions())
    for (Block &block : region)
      for (BlockArgument arg : block.getArguments())
        if (VectorType found = findTooLargeVector(arg.getType()))
          return found;
  VectorType found;
  op->getAttrDictionary().walk([&](Type type) {
    if (auto vector = dyn_cast<VectorType>(type); vector && !found)
      if (isTooLargeVector(vector))
        found = vector;
  });
  return found;
}

/// Reports a `tensor.dim` or `memref.dim` whose index is a constant that is
/// not a dimension of its source: the result is undefined, and the GPU
/// pipelines' canonicalization crashes (an upstream pattern indexes the
/// shape with it).
template <typename DimOp> static LogicalResult checkDimIndex(DimOp op) {
  std::optional<int64_t> index = op.getConstantIndex();
  if (!index)
    return success();
  auto shaped = cast<ShapedType>(op.getSource().getType());
  if (*index >= 0 && (!shaped.hasRank() || *index < shaped.getRank()))
    return success();
  InFlightDiagnostic diag = op.emitError()
                            << "qopt pipelines: '" << op->getName()
                            << "' at the constant index " << *index
                            << ", which is not a dimension of " << shaped;
  if (shaped.hasRank())
    diag << " (rank " << shaped.getRank() << ")";
  diag << "; its result is undefined and the pipelines cannot lower it";
  return diag;
}

namespace {
struct QOptCheckSupportedPass
    : qopt::impl::QOptCheckSupportedPassBase<QOptCheckSupportedPass> {
  void runOnOperation() override {
    bool failedAny = false;
    // Pre-order, so the outermost op with a bad type reports (a function
    // with its arguments, rather than each op of its body), and its
    // regions are skipped.
    getOperation()->walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (VectorType vector = findTooLargeVector(op)) {
        op->emitError() << "qopt pipelines: '" << op->getName()
                        << "' has the vector type " << vector
                        << " of more than " << kMaxVectorElements
                        << " elements, the most the pipelines lower (LLVM's "
                           "code generation does not finish on much larger "
                           "vectors); keep bulk data in tensors or memrefs";
        failedAny = true;
        return WalkResult::skip();
      }
      LogicalResult dim = success();
      if (auto tensorDim = dyn_cast<tensor::DimOp>(op))
        dim = checkDimIndex(tensorDim);
      else if (auto memrefDim = dyn_cast<memref::DimOp>(op))
        dim = checkDimIndex(memrefDim);
      failedAny |= failed(dim);
      return WalkResult::advance();
    });
    if (failedAny)
      signalPassFailure();
  }
};
} // namespace
