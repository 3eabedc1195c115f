// RUN: qopt-opt %s --qopt-split-empty-tensors -split-input-file | FileCheck %s

/// A tensor.empty shared by three ops (as CSE leaves it) gets one clone per
/// use after the first, each right before its user.

// CHECK-LABEL: func.func @shared
// CHECK: %[[E0:.*]] = tensor.empty() : tensor<4xf32>
// CHECK-NEXT: linalg.copy ins(%{{.*}} : tensor<4xf32>) outs(%[[E0]] : tensor<4xf32>)
// CHECK-NEXT: %[[E1:.*]] = tensor.empty() : tensor<4xf32>
// CHECK-NEXT: linalg.copy ins(%{{.*}} : tensor<4xf32>) outs(%[[E1]] : tensor<4xf32>)
// CHECK-NEXT: %[[E2:.*]] = tensor.empty() : tensor<4xf32>
// CHECK-NEXT: linalg.copy ins(%{{.*}} : tensor<4xf32>) outs(%[[E2]] : tensor<4xf32>)
// CHECK-NOT: tensor.empty
// CHECK: return
func.func @shared(%a: tensor<4xf32>, %b: tensor<4xf32>, %c: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %e = tensor.empty() : tensor<4xf32>
  %0 = linalg.copy ins(%a : tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %1 = linalg.copy ins(%b : tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %2 = linalg.copy ins(%c : tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

/// Dynamic sizes are reused (they dominate every use); a use inside a loop
/// gets its clone inside the loop; a single use is left alone.

// CHECK-LABEL: func.func @dynamic_in_loop
// CHECK-SAME: (%[[A:.*]]: tensor<?xf32>, %[[N:.*]]: index
// CHECK: %[[E0:.*]] = tensor.empty(%[[N]]) : tensor<?xf32>
// CHECK-NEXT: linalg.copy ins(%[[A]] : tensor<?xf32>) outs(%[[E0]] : tensor<?xf32>)
// CHECK: scf.for
// CHECK-NEXT: %[[E1:.*]] = tensor.empty(%[[N]]) : tensor<?xf32>
// CHECK-NEXT: linalg.copy ins(%{{.*}} : tensor<?xf32>) outs(%[[E1]] : tensor<?xf32>)
// CHECK: %[[SINGLE:.*]] = tensor.empty() : tensor<2xf32>
// CHECK-NOT: tensor.empty
// CHECK: return
func.func @dynamic_in_loop(%a: tensor<?xf32>, %n: index, %b: tensor<2xf32>)
    -> (tensor<?xf32>, tensor<?xf32>, tensor<2xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %e = tensor.empty(%n) : tensor<?xf32>
  %0 = linalg.copy ins(%a : tensor<?xf32>) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %1 = scf.for %i = %c0 to %c4 step %c1 iter_args(%t = %0) -> tensor<?xf32> {
    %2 = linalg.copy ins(%t : tensor<?xf32>) outs(%e : tensor<?xf32>) -> tensor<?xf32>
    scf.yield %2 : tensor<?xf32>
  }
  %s = tensor.empty() : tensor<2xf32>
  %3 = linalg.copy ins(%b : tensor<2xf32>) outs(%s : tensor<2xf32>) -> tensor<2xf32>
  return %0, %1, %3 : tensor<?xf32>, tensor<?xf32>, tensor<2xf32>
}
