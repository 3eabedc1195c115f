//===- CheckSupported.cpp - what the GPU pipelines cannot map -------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A check at the head of the GPU pipelines, so that unsupported IR gets a
// qopt diagnostic that says what is unsupported instead of a legalization
// failure from an upstream pass in the middle of the pipeline.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTGPUCHECKSUPPORTEDPASS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

/// True for a float type that NVVM kernels cannot hold in a register.
static bool isUnsupportedFloat(Type type) {
  type = getElementTypeOrSelf(type);
  auto floatType = dyn_cast<FloatType>(type);
  if (!floatType)
    return false;
  // Native LLVM float types, and the 8-bit formats qopt stores as codes.
  return !isa<Float16Type, BFloat16Type, Float32Type, Float64Type,
              Float8E5M2Type, Float8E4M3FNType, Float8E4M3Type, Float8E3M4Type>(
      floatType);
}

/// True for a value of an 8-bit float type (codes of narrow storage).
static bool isF8(Type type) {
  auto floatType = dyn_cast<FloatType>(getElementTypeOrSelf(type));
  return floatType && floatType.getWidth() == 8;
}

/// Ops that move 8-bit codes without computing on them.
static bool movesCodesOnly(Operation *op) {
  return isa<arith::BitcastOp, arith::ConstantOp, arith::SelectOp,
             memref::LoadOp, memref::StoreOp, memref::CopyOp, tensor::ExtractOp,
             tensor::InsertOp, tensor::EmptyOp>(op) ||
         !op->getDialect() || op->getDialect()->getNamespace() != "arith";
}

namespace {
struct QOptGPUCheckSupportedPass
    : qopt::impl::QOptGPUCheckSupportedPassBase<QOptGPUCheckSupportedPass> {
  void runOnOperation() override {
    bool failedAny = false;
    // Pre-order, so the outermost op with a bad type reports (a function
    // with its arguments, rather than the implicit body of a linalg op,
    // which has no location of its own), and its regions are skipped.
    getOperation()->walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
        if (loop.getNumReductions() > 0) {
          loop.emitError()
              << "qopt GPU pipelines: a parallel loop with reductions is not "
                 "mapped to GPU threads (no cross-thread reduction); write "
                 "the reduction as a linalg reduction instead";
          failedAny = true;
        }
      }
      auto check = [&](Type type, StringRef what) {
        if (!isUnsupportedFloat(type))
          return true;
        op->emitError() << "qopt GPU pipelines: " << what << " of type " << type
                        << " has an element type that NVVM kernels "
                        << "cannot hold; keep the data in f32 (a "
                           "qopt.quantize to the format) or in a narrow "
                           "container (qopt.encode: bf16, f16, f8E5M2, "
                           "f8E4M3FN, f8E4M3, f8E3M4)";
        failedAny = true;
        return false;
      };
      for (Value operand : op->getOperands())
        if (!check(operand.getType(), "an operand"))
          return WalkResult::skip();
      for (Value result : op->getResults())
        if (!check(result.getType(), "a result"))
          return WalkResult::skip();
      for (Region &region : op->getRegions())
        for (Block &block : region)
          for (BlockArgument arg : block.getArguments())
            if (!check(arg.getType(), "a block argument"))
              return WalkResult::skip();
      if (!movesCodesOnly(op) && (llvm::any_of(op->getOperandTypes(), isF8) ||
                                  llvm::any_of(op->getResultTypes(), isF8))) {
        op->emitError() << "qopt GPU pipelines: arithmetic on 8-bit float "
                           "values is not supported in GPU kernels; decode "
                           "them to f32 first (qopt.decode)";
        failedAny = true;
      }
      return WalkResult::advance();
    });
    if (failedAny)
      signalPassFailure();
  }
};
} // namespace
