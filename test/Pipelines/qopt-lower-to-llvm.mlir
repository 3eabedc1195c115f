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
/// %x is not writable, so the result needs a buffer of its own.
func.func @quantize_then_print(%x: tensor<?xf32> {bufferization.writable = false},
                               %seed: i64, %step: i64) {
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

/// A quantize whose input is dead rounds in place: no temporary is
/// allocated, copied or freed (qopt-reuse-dead-inputs).
// CHECK-LABEL: llvm.func @quantize_dead_input_in_place
// CHECK-NOT: llvm.call @malloc
// CHECK-NOT: llvm.intr.memcpy
// CHECK: llvm.call @printMemrefF32
// CHECK-NOT: llvm.call @free
// CHECK: llvm.return
func.func @quantize_dead_input_in_place(%x: tensor<?xf32>) {
  %q = qopt.quantize %x to <bf16> : tensor<?xf32>
  %u = tensor.cast %q : tensor<?xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

/// A quantize materialized in a destination buffer writes it directly
/// (eliminate-empty-tensors): no temporary, no copy.
// CHECK-LABEL: llvm.func @quantize_into_destination
// CHECK-NOT: llvm.call @malloc
// CHECK-NOT: llvm.intr.memcpy
// CHECK: llvm.return
func.func @quantize_into_destination(%x: memref<?xf32>, %y: memref<?xf32>) {
  %t = bufferization.to_tensor %x restrict : memref<?xf32> to tensor<?xf32>
  %q = qopt.quantize %t to <fp8_e4m3> rounding <toward_zero> : tensor<?xf32>
  bufferization.materialize_in_destination %q in restrict writable %y
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}

/// The input is printed after the quantize: it must stay intact, so the
/// result gets a buffer of its own, freed after use.
// CHECK-LABEL: llvm.func @negative_quantize_input_still_used
// CHECK: llvm.call @malloc
// CHECK: llvm.call @printMemrefF32
// CHECK: llvm.call @printMemrefF32
// CHECK: llvm.call @free
// CHECK: llvm.return
func.func @negative_quantize_input_still_used(%x: tensor<?xf32>) {
  %q = qopt.quantize %x to <bf16> : tensor<?xf32>
  %u = tensor.cast %q : tensor<?xf32> to tensor<*xf32>
  %v = tensor.cast %x : tensor<?xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  call @printMemrefF32(%v) : (tensor<*xf32>) -> ()
  return
}
