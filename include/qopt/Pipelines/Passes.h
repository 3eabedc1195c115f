//===- Passes.h - passes of the qopt pipelines ------------------*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_PIPELINES_PASSES_H
#define QOPT_PIPELINES_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace qopt {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "qopt/Pipelines/Passes.h.inc"

/// Unit attribute that --qopt-tile-and-vectorize-matmuls{parallel-rows} puts
/// on the scf.for over a matmul's M cache tiles: its iterations may run in
/// parallel (--qopt-parallelize-loops makes it an scf.parallel).
inline constexpr llvm::StringLiteral kParallelRowsAttr = "qopt.parallel_rows";
/// Unit attribute on a memref.alloca that each iteration of a
/// kParallelRowsAttr loop overwrites before reading (A's packed block):
/// --qopt-parallelize-loops gives each iteration (thread) its own.
inline constexpr llvm::StringLiteral kThreadPrivateAttr = "qopt.thread_private";

} // namespace qopt
} // namespace mlir

#endif // QOPT_PIPELINES_PASSES_H
