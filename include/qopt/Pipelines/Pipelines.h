//===- Pipelines.h - qopt pass pipelines ------------------------*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_PIPELINES_PIPELINES_H
#define QOPT_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

#include <memory>

namespace mlir {
class OpPassManager;
class Pass;

namespace qopt {

/// Options of the CPU pipeline (`--qopt-lower-to-llvm`).
struct LowerToLLVMOptions : public PassPipelineOptions<LowerToLLVMOptions> {
  PassOptions::Option<bool> deallocate{
      *this, "deallocate",
      llvm::cl::desc("Free the buffers that bufferization allocates "
                     "(buffer-deallocation-pipeline)"),
      llvm::cl::init(true)};
  PassOptions::Option<unsigned> numThreads{
      *this, "num-threads",
      llvm::cl::desc(
          "Threads for the elementwise loops and the matmuls' row tiles: 1 "
          "(default) generates sequential code; 0 runs them on OpenMP "
          "threads, as many as OMP_NUM_THREADS says or, unset, one per "
          "core; N > 1 on N OpenMP threads. Other than 1, the code calls "
          "the OpenMP runtime (libomp): load it into the JIT or link -lomp"),
      llvm::cl::init(1)};
  PassOptions::Option<int64_t> prefetchDistance{
      *this, "prefetch-distance",
      llvm::cl::desc(
          "Iterations ahead that --qopt-prefetch-streams prefetches the 1-D "
          "arrays long sequential loops read; 0 turns the prefetches off"),
      llvm::cl::init(2048)};
};

/// The front half every qopt pipeline shares (CPU and GPU): qopt ops to
/// linalg on tensors, cleaned up (loop invariants such as the stochastic
/// key hoisted, constants folded) and with elementwise producers fused.
void buildQOptToLinalgPipeline(OpPassManager &pm);

/// Adds to `pm` (anchored on builtin.module) the passes that take qopt IR on
/// tensors through linalg, bufferization and loops to the LLVM dialect, ready
/// for mlir-runner or the ExecutionEngine.
/// The back half of the CPU pipeline: loops, vectors and memrefs (no linalg,
/// no tensors) to the LLVM dialect.
/// `numThreads` as in LowerToLLVMOptions: other than 1, scf.parallel loops
/// become OpenMP worksharing loops.
void buildLoopsToLLVMPipeline(OpPassManager &pm, unsigned numThreads = 1);

void buildLowerToLLVMPipeline(OpPassManager &pm,
                              const LowerToLLVMOptions &options);

/// Registers the qopt pipelines (`--qopt-lower-to-llvm`) with the global
/// pass-pipeline registry, for qopt-opt, mlir-opt plugins and tools.
void registerQOptPipelines();

} // namespace qopt
} // namespace mlir

#endif // QOPT_PIPELINES_PIPELINES_H
