// RUN: qopt-opt %s --qopt-lower-to-llvm="num-threads=0" -split-input-file | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-llvm="num-threads=2" -split-input-file | FileCheck %s --check-prefix=TWO
// RUN: qopt-opt %s --qopt-lower-to-llvm -split-input-file | FileCheck %s --check-prefix=ONE

/// With threads, the elementwise loop of a standalone quantize becomes an
/// OpenMP worksharing loop in the LLVM dialect (translated by
/// mlir-translate / the ExecutionEngine into __kmpc calls); without a
/// num_threads clause, the runtime picks the count. Its body is plain LLVM
/// (no memref.alloca_scope, no scf).

// CHECK-LABEL: llvm.func @quantize_dynamic
// CHECK: omp.parallel {
// CHECK-NEXT: omp.wsloop {
// CHECK-NEXT: omp.loop_nest (%{{.*}}) : i64 = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK-NOT: {{(memref|scf|cf)\.}}
// CHECK: llvm.bitcast %{{.*}} : f32 to i32
// CHECK-NOT: {{(memref|scf|cf)\.}}
// CHECK: omp.yield
// CHECK: omp.terminator
// CHECK: llvm.return

// TWO-LABEL: llvm.func @quantize_dynamic
// TWO: %[[N:.*]] = llvm.mlir.constant(2 : i32) : i32
// TWO: omp.parallel num_threads(%[[N]] : i32) {
// TWO-NEXT: omp.wsloop

/// num-threads=1 (the default): sequential code, no OpenMP.
// ONE-LABEL: llvm.func @quantize_dynamic
// ONE-NOT: omp.
// ONE: llvm.return
func.func @quantize_dynamic(%x: tensor<?xf32>, %seed: i64, %step: i64)
    -> tensor<?xf32> {
  %q = qopt.quantize %x to <bf16> rounding <stochastic> seed %seed step %step
      : tensor<?xf32>
  return %q : tensor<?xf32>
}

// -----

/// The fused Adam step on a 512x256 weight: the rows run in parallel, each
/// row is an inner loop (for the vectoriser).

// CHECK-LABEL: llvm.func @adam_2d
// CHECK: omp.parallel {
// CHECK: omp.loop_nest (%{{.*}}) : i64 = (%{{.*}}) to (%{{.*}}) step
// CHECK: llvm.cond_br
// CHECK: omp.yield
// ONE-LABEL: llvm.func @adam_2d
// ONE-NOT: omp.
// ONE: llvm.return
func.func @adam_2d(%w: tensor<512x256xf32>, %g: tensor<512x256xf32>,
                   %m: tensor<512x256xf32>, %v: tensor<512x256xf32>, %t: i64)
    -> (tensor<512x256xf32>, tensor<512x256xf32>, tensor<512x256xf32>) {
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<512x256xf32>
  return %w1, %m1, %v1
      : tensor<512x256xf32>, tensor<512x256xf32>, tensor<512x256xf32>
}

// -----

/// negative: a small op (under 32768 iterations) stays sequential.

// CHECK-LABEL: llvm.func @negative_small
// CHECK-NOT: omp.
// CHECK: llvm.return
func.func @negative_small(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %q = qopt.quantize %x to <bf16> : tensor<4x8xf32>
  return %q : tensor<4x8xf32>
}
