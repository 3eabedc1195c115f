//===- ReuseDeadInputs.cpp - elementwise results into dead inputs ---------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Ties the `tensor.empty` output of an elementwise linalg.generic to an
// input that is dead after it, so that one-shot bufferization can compute
// the result in the input's buffer (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "qopt/Pipelines/Passes.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTREUSEDEADINPUTSPASS
#include "qopt/Pipelines/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

/// True where writing into `value`'s buffer gains nothing: bufferization
/// would not write there (a read-only view, a constant, an argument marked
/// not writable), or, for an argument of a function that returns tensors,
/// the result would be copied out again. Tying an output to such an input
/// would only take the output out of the buffers bufferization shares
/// between `tensor.empty` results.
static bool isKnownReadOnly(Value value) {
  if (auto toTensor = value.getDefiningOp<bufferization::ToTensorOp>())
    return !toTensor.getWritable();
  if (value.getDefiningOp<arith::ConstantOp>())
    return true;
  auto arg = dyn_cast<BlockArgument>(value);
  if (!arg)
    return false;
  auto func = dyn_cast<FunctionOpInterface>(arg.getOwner()->getParentOp());
  if (!func || arg.getOwner() != &func.getFunctionBody().front())
    return false;
  // The deallocation pipeline clones a returned buffer the function does
  // not own: writing a result into an argument would only move the copy.
  if (llvm::any_of(func.getResultTypes(), llvm::IsaPred<TensorType>))
    return true;
  auto writable = func.getArgAttrOfType<BoolAttr>(
      arg.getArgNumber(),
      bufferization::BufferizationDialect::kWritableAttrName);
  return writable && !writable.getValue();
}

/// Returns an input of `op` that `init` can be replaced with, or null.
static OpOperand *findDeadInput(linalg::GenericOp op, OpOperand &init) {
  for (OpOperand *input : op.getDpsInputOperands()) {
    Value value = input->get();
    // Same buffer shape and element type, or the result cannot live there.
    if (value.getType() != init.get().getType())
      continue;
    // The same element is read and written by one iteration only.
    if (!op.getMatchingIndexingMap(input).isIdentity())
      continue;
    if (isKnownReadOnly(value))
      continue;
    // Another reader (later, or in this op, an output chosen before
    // included) would need the input intact; shape queries read no data.
    if (llvm::any_of(value.getUses(), [&](OpOperand &use) {
          return &use != input && !isa<tensor::DimOp>(use.getOwner());
        }))
      continue;
    return input;
  }
  return nullptr;
}

namespace {

/// For each all-parallel linalg.generic, replaces `tensor.empty` outputs
/// the body does not read by a dead input of the same type and map.
struct QOptReuseDeadInputsPass
    : qopt::impl::QOptReuseDeadInputsPassBase<QOptReuseDeadInputsPass> {

  void runOnOperation() override {
    getOperation().walk([](linalg::GenericOp op) {
      // Reductions read their output.
      if (!op.hasPureTensorSemantics() ||
          op.getNumLoops() != op.getNumParallelLoops())
        return;
      for (OpOperand &init : op.getDpsInitsMutable()) {
        auto empty = init.get().getDefiningOp<tensor::EmptyOp>();
        // Only an output whose initial value does not matter can move.
        if (!empty || op.payloadUsesValueFromOperand(&init) ||
            !op.getMatchingIndexingMap(&init).isIdentity())
          continue;
        OpOperand *input = findDeadInput(op, init);
        if (!input)
          continue;
        init.set(input->get());
        if (empty->use_empty())
          empty->erase();
      }
    });
  }
};

} // namespace
