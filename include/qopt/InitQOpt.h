//===- InitQOpt.h - register everything qopt provides -----------*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The public entry points for a compiler that embeds qopt: register the
// dialect in a DialectRegistry, the passes and pipelines with the global
// registries (for textual pipelines), and add the CPU pipeline to a pass
// manager of its own.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_INITQOPT_H
#define QOPT_INITQOPT_H

#include "qopt/Conversion/Passes.h"
#include "qopt/Dialect/QOpt/IR/QOptDialect.h"
#include "qopt/Dialect/QOpt/Transforms/Passes.h"
#include "qopt/Pipelines/GPUPipelines.h"
#include "qopt/Pipelines/Passes.h"
#include "qopt/Pipelines/Pipelines.h"

namespace mlir {
class DialectRegistry;

namespace qopt {

/// Adds everything qopt's passes and pipelines need to a registry: the
/// upstream dialects they create, their interface implementations (linalg's
/// TilingInterface, bufferization and ConvertToLLVM models, ...) and the
/// LLVM IR translations (CPU, NVVM, GPU binaries) that the ExecutionEngine
/// and `gpu-module-to-binary` use. registerQOptDialects calls it.
void registerQOptDependencies(DialectRegistry &registry);

/// Adds the qopt dialect and everything its pipelines need
/// (registerQOptDependencies): one call makes a registry ready for every
/// qopt pass and pipeline.
void registerQOptDialects(DialectRegistry &registry);

/// Registers every qopt pass (`--convert-qopt-to-linalg`,
/// `--qopt-raise-optimizers`, `--qopt-insert-quantization`,
/// `--qopt-assign-precision` and its alias `--assign-precision`, the GPU
/// conversions and the matmul passes of the CPU pipeline, ...).
void registerQOptPasses();

/// registerQOptPasses(), the CPU pipeline (registerQOptPipelines) and the
/// GPU pipelines (registerQOptGPUPipelines).
void registerAllQOptPassesAndPipelines();

} // namespace qopt
} // namespace mlir

#endif // QOPT_INITQOPT_H
