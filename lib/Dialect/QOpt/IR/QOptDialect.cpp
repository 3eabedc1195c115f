//===- QOptDialect.cpp - qopt dialect -------------------------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qopt/Dialect/QOpt/IR/QOptDialect.h"
#include "qopt/Dialect/QOpt/IR/QOptAttrs.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/Dialect/LLVMIR/LLVMTypes.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::qopt;

#include "qopt/Dialect/QOpt/IR/QOptOpsDialect.cpp.inc"

namespace {

/// Printer aliases for the lowered training step. A step with N state
/// tensors returns a literal LLVM struct of N memref descriptors, and every
/// llvm.insertvalue that packs it prints that whole type: the text grows as
/// N^2 (900 MB for 1000 Adam tensors). Aliasing wide literal structs
/// (`!llvm_struct = !llvm.struct<...>` once, at the top) keeps it linear.
/// The LLVM dialect aliases none of its literal structs, so this does not
/// override one of its choices.
struct QOptOpAsmDialectInterface : public OpAsmDialectInterface {
  using OpAsmDialectInterface::OpAsmDialectInterface;

  /// Structs with fewer members (a memref descriptor has 5) stay inline.
  static constexpr size_t kMinAliasedMembers = 8;

  AliasResult getAlias(Type type, raw_ostream &os) const override {
    auto structType = dyn_cast<LLVM::LLVMStructType>(type);
    if (!structType || structType.isIdentified() ||
        structType.getBody().size() < kMinAliasedMembers)
      return AliasResult::NoAlias;
    os << "llvm_struct";
    return AliasResult::OverridableAlias;
  }
};

} // namespace

void QOptDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "qopt/Dialect/QOpt/IR/QOptOps.cpp.inc"
      >();
  registerAttributes();
  addInterfaces<QOptOpAsmDialectInterface>();
}
