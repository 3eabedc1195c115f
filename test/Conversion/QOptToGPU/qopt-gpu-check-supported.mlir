// RUN: qopt-opt %s --qopt-gpu-check-supported -split-input-file -verify-diagnostics
// RUN: not qopt-opt %s --qopt-lower-to-nvvm -split-input-file 2>&1 | FileCheck %s --check-prefix=PIPELINE

/// One case per rule of --qopt-gpu-check-supported, the first pass of the
/// GPU pipelines: unsupported IR gets a qopt diagnostic instead of a
/// legalization failure from inside the pipeline.
// PIPELINE: error: qopt GPU pipelines: a parallel loop with reductions is not mapped to GPU threads
// PIPELINE: error: qopt GPU pipelines: a block argument of type 'tensor<64x64xtf32>' has an element type that NVVM kernels cannot hold
// PIPELINE: error: qopt GPU pipelines: arithmetic on 8-bit float values is not supported in GPU kernels
// PIPELINE-NOT: failed to legalize

func.func @parallel_reduction(%x: memref<256xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{qopt GPU pipelines: a parallel loop with reductions is not mapped to GPU threads (no cross-thread reduction); write the reduction as a linalg reduction instead}}
  %r = scf.parallel (%i) = (%c0) to (%c256) step (%c1) init (%zero) -> f32 {
    %v = memref.load %x[%i] : memref<256xf32>
    scf.reduce(%v : f32) {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }
  }
  memref.store %r, %out[] : memref<f32>
  return
}

// -----

/// tf32 data: LLVM/NVVM has no tf32 type.
// expected-error @+1 {{qopt GPU pipelines: a block argument of type 'tensor<64x64xtf32>' has an element type that NVVM kernels cannot hold; keep the data in f32 (a qopt.quantize to the format) or in a narrow container (qopt.encode: bf16, f16, f8E5M2, f8E4M3FN, f8E4M3, f8E3M4)}}
func.func @tf32_matmul(%a: tensor<64x64xtf32>, %b: tensor<64x64xtf32>,
                       %c: tensor<64x64xtf32>) -> tensor<64x64xtf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<64x64xtf32>, tensor<64x64xtf32>)
                     outs(%c : tensor<64x64xtf32>) -> tensor<64x64xtf32>
  return %0 : tensor<64x64xtf32>
}

// -----

/// 8-bit float codes may be moved, not computed with.
func.func @f8_arithmetic(%a: tensor<64xf8E4M3FN>, %b: tensor<64xf8E4M3FN>) -> tensor<64xf8E4M3FN> {
  // expected-error @+1 {{qopt GPU pipelines: arithmetic on 8-bit float values is not supported in GPU kernels; decode them to f32 first (qopt.decode)}}
  %0 = arith.addf %a, %b : tensor<64xf8E4M3FN>
  return %0 : tensor<64xf8E4M3FN>
}

// -----

/// Narrow state (8- and 16-bit codes, decoded to f32) and f32 arithmetic
/// pass.
func.func @narrow_state_passes(%m: tensor<64xf8E4M3FN>, %x: tensor<64xf32>) -> tensor<64xf8E4M3FN> {
  %md = qopt.decode %m as <fp8_e4m3> : tensor<64xf8E4M3FN> to tensor<64xf32>
  %s = arith.addf %md, %x : tensor<64xf32>
  %me = qopt.encode %s as <fp8_e4m3> : tensor<64xf32> to tensor<64xf8E4M3FN>
  return %me : tensor<64xf8E4M3FN>
}
