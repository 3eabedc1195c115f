// RUN: qopt-opt %s --qopt-bufferize -split-input-file | FileCheck %s
// The same output as upstream's pass with the options it stands for:
// RUN: qopt-opt %s -split-input-file --one-shot-bufferize="bufferize-function-boundaries allow-return-allocs-from-loops function-boundary-type-conversion=identity-layout-map" | FileCheck %s

/// No calls: qopt's analysis of each body, without the function-boundary
/// queries. Identity layouts at the boundary; the update goes in place into
/// the argument's buffer, which is returned.

// CHECK-LABEL: func.func @step
// CHECK-SAME: (%[[W:.*]]: memref<4xf32>, %[[G:.*]]: memref<4xf32>) -> memref<4xf32>
// CHECK-NOT: memref.alloc
// CHECK: linalg.sub ins(%[[W]], %[[G]] : memref<4xf32>, memref<4xf32>) outs(%[[W]] : memref<4xf32>)
// CHECK-NEXT: return %[[W]] : memref<4xf32>
func.func @step(%w: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0 = linalg.sub ins(%w, %g : tensor<4xf32>, tensor<4xf32>)
                  outs(%w : tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

/// The body is still analyzed: %w is read after the op that would overwrite
/// it, so that op writes into a copy.

// CHECK-LABEL: func.func @read_after_write
// CHECK-SAME: (%[[W:.*]]: memref<4xf32>, %[[G:.*]]: memref<4xf32>) -> (memref<4xf32>, f32)
// CHECK: %[[NEW:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
// CHECK: linalg.sub ins(%[[W]], %[[G]] : memref<4xf32>, memref<4xf32>) outs(%[[NEW]] : memref<4xf32>)
// CHECK: %[[OLD:.*]] = memref.load %[[W]]
// CHECK: return %[[NEW]], %[[OLD]] : memref<4xf32>, f32
func.func @read_after_write(%w: tensor<4xf32>, %g: tensor<4xf32>)
    -> (tensor<4xf32>, f32) {
  %c0 = arith.constant 0 : index
  %0 = linalg.sub ins(%w, %g : tensor<4xf32>, tensor<4xf32>)
                  outs(%w : tensor<4xf32>) -> tensor<4xf32>
  %1 = tensor.extract %w[%c0] : tensor<4xf32>
  return %0, %1 : tensor<4xf32>, f32
}

// -----

/// With a call, upstream's driver and its boundary analysis: @fill writes
/// its argument, so the caller, which reads %t after the call, passes a new
/// buffer (not a copy: @fill does not read it); @first only reads it, so it
/// gets %t itself.

// CHECK-LABEL: func.func @fill
// CHECK-SAME: (%[[T:.*]]: memref<4xf32>) -> memref<4xf32>
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[T]] : memref<4xf32>)
// CHECK: return %[[T]]
func.func @fill(%t: tensor<4xf32>) -> tensor<4xf32> {
  %c = arith.constant 1.0 : f32
  %0 = linalg.fill ins(%c : f32) outs(%t : tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// CHECK-LABEL: func.func @first
func.func @first(%t: tensor<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %0 = tensor.extract %t[%c0] : tensor<4xf32>
  return %0 : f32
}

// CHECK-LABEL: func.func @caller
// CHECK-SAME: (%[[T:.*]]: memref<4xf32>)
// CHECK: %[[NEW:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
// CHECK-NOT: memref.copy
// CHECK: %[[FILLED:.*]] = call @fill(%[[NEW]])
// CHECK: %[[FIRST:.*]] = call @first(%[[T]])
// CHECK: return %[[FILLED]], %[[FIRST]]
func.func @caller(%t: tensor<4xf32>) -> (tensor<4xf32>, f32) {
  %0 = call @fill(%t) : (tensor<4xf32>) -> tensor<4xf32>
  %1 = call @first(%t) : (tensor<4xf32>) -> f32
  return %0, %1 : tensor<4xf32>, f32
}
