// RUN: qopt-opt %s --qopt-lower-to-llvm | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-llvm="deallocate=false" | FileCheck %s --check-prefix=NODEALLOC

/// The CPU pipeline takes qopt IR on tensors all the way to the LLVM dialect:
/// nothing of qopt, linalg, tensor, memref, scf or cf is left anywhere in a
/// function body (a CHECK-NOT between every two checks, up to the end of
/// the function).

// CHECK-LABEL: llvm.func @quantize_then_print
// CHECK-NOT: {{(qopt|linalg|tensor|memref|scf|cf|bufferization)\.}}
// CHECK: llvm.call @malloc
// CHECK-NOT: {{(qopt|linalg|tensor|memref|scf|cf|bufferization)\.}}
// CHECK: llvm.bitcast %{{.*}} : f32 to i32
// CHECK-NOT: {{(qopt|linalg|tensor|memref|scf|cf|bufferization)\.}}
// CHECK: llvm.call @printMemrefF32
// CHECK-NOT: {{(qopt|linalg|tensor|memref|scf|cf|bufferization)\.}}
/// The temporary buffer is freed once printed (buffer-deallocation-pipeline).
// CHECK: llvm.call @free
// CHECK-NOT: {{(qopt|linalg|tensor|memref|scf|cf|bufferization)\.}}
// CHECK: llvm.return
// CHECK-NEXT: }

// NODEALLOC-LABEL: llvm.func @quantize_then_print
// NODEALLOC: llvm.call @printMemrefF32
// NODEALLOC-NOT: llvm.call @free
// NODEALLOC: llvm.return
func.func private @printMemrefF32(tensor<*xf32>)
func.func @quantize_then_print(%x: tensor<?xf32>, %seed: i64, %step: i64) {
  %q = qopt.quantize %x to <e4m3, subnormals = flush> rounding <stochastic> seed %seed step %step : tensor<?xf32>
  %u = tensor.cast %q : tensor<?xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

/// A matmul of mixed element types is not tiled for the f32 micro-kernel
/// (it used to build an invalid vector.contract): it becomes plain loops.
// CHECK-LABEL: llvm.func @mixed_matmul
// CHECK-NOT: {{(qopt|linalg|tensor|memref|scf|cf|bufferization|vector)\.}}
// CHECK: llvm.sitofp %{{.*}} : i64 to f32
// CHECK-NOT: {{(qopt|linalg|tensor|memref|scf|cf|bufferization|vector)\.}}
// CHECK: llvm.return
// CHECK-NEXT: }
func.func @mixed_matmul(%a: tensor<64x64xi64>, %b: tensor<64x64xf32>,
                        %c: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<64x64xi64>, tensor<64x64xf32>)
                     outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}
