//===- GPUPipelines.h - qopt pipelines for NVIDIA GPUs ----------*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_PIPELINES_GPUPIPELINES_H
#define QOPT_PIPELINES_GPUPIPELINES_H

#include "mlir/Pass/PassOptions.h"

#include <string>

namespace mlir {
class OpPassManager;

namespace qopt {

/// Options of `--qopt-lower-to-gpu` and `--qopt-lower-to-nvvm`.
struct LowerToGPUOptions : public PassPipelineOptions<LowerToGPUOptions> {
  PassOptions::Option<int64_t> blockSize{
      *this, "block-size",
      llvm::cl::desc("Threads per block of the elementwise kernels (the "
                     "innermost loop dimension is tiled by it)"),
      llvm::cl::init(256)};
  PassOptions::Option<std::string> chip{
      *this, "chip", llvm::cl::desc("NVIDIA chip to compile for"),
      llvm::cl::init("sm_90")};
  PassOptions::Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features (sm_90 needs at least +ptx80)"),
      llvm::cl::init("+ptx80")};
  PassOptions::Option<int> optLevel{
      *this, "opt-level", llvm::cl::desc("Optimisation level of NVPTX"),
      llvm::cl::init(3)};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("What gpu-module-to-binary embeds: isa (PTX text), bin "
                     "(cubin, needs ptxas) or fatbin (needs fatbinary)"),
      llvm::cl::init("isa")};
};

/// Adds the passes that take qopt IR (functions on memrefs, bodies on tensors
/// through bufferization.to_tensor / materialize_in_destination) to host code
/// with `gpu.launch_func` and outlined `gpu.module`s carrying an NVVM target.
/// qopt IR to gpu.launch ops in host functions (not yet outlined).
void buildLowerToGPULaunchesPipeline(OpPassManager &pm,
                                     const LowerToGPUOptions &options);

/// The launches of buildLowerToGPULaunchesPipeline run as host loops, then
/// lowered for the CPU: GPU kernels checked without a GPU.
void buildLowerToGPUEmulationPipeline(OpPassManager &pm,
                                      const LowerToGPUOptions &options);

void buildLowerToGPUPipeline(OpPassManager &pm,
                             const LowerToGPUOptions &options);

/// buildLowerToGPUPipeline, then the GPU modules to NVVM and a binary (PTX by
/// default) and the host code to the LLVM dialect.
void buildLowerToNVVMPipeline(OpPassManager &pm,
                              const LowerToGPUOptions &options);

/// Registers `--qopt-lower-to-gpu` and `--qopt-lower-to-nvvm`.
void registerQOptGPUPipelines();

} // namespace qopt
} // namespace mlir

#endif // QOPT_PIPELINES_GPUPIPELINES_H
