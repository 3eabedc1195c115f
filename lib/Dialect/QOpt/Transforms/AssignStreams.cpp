//===- AssignStreams.cpp - the qopt-assign-streams pass -------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Keys the stochastic quantizes of a module that have no stream, so that
// quantizes sharing a seed and step draw independent random bits.
//
//===----------------------------------------------------------------------===//

#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_ASSIGNSTREAMSPASS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;
using namespace mlir::qopt;

namespace {
struct AssignStreamsPass
    : public qopt::impl::AssignStreamsPassBase<AssignStreamsPass> {
  void runOnOperation() override {
    if (assignQuantizeStreams(getOperation()) == 0)
      markAllAnalysesPreserved();
  }
};
} // namespace
