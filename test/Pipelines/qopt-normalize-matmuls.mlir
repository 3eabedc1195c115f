// RUN: qopt-opt %s --split-input-file --qopt-normalize-matmuls | FileCheck %s

#mkn_a = affine_map<(m, k, n) -> (m, k)>
#mkn_b = affine_map<(m, k, n) -> (k, n)>
#mkn_c = affine_map<(m, k, n) -> (m, n)>

/// C = A B as a generic over (m, k, n): a plain matmul, no transpose.
// CHECK-LABEL: func.func @generic_ab
// CHECK-SAME: (%[[A:.*]]: tensor<50x36xf32>, %[[B:.*]]: tensor<36x24xf32>, %[[C:.*]]: tensor<50x24xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: %[[R:.*]] = linalg.matmul ins(%[[A]], %[[B]] : tensor<50x36xf32>, tensor<36x24xf32>) outs(%[[C]] : tensor<50x24xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]
func.func @generic_ab(%a: tensor<50x36xf32>, %b: tensor<36x24xf32>,
                      %c: tensor<50x24xf32>) -> tensor<50x24xf32> {
  %0 = linalg.generic {indexing_maps = [#mkn_a, #mkn_b, #mkn_c],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : tensor<50x36xf32>, tensor<36x24xf32>)
      outs(%c : tensor<50x24xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<50x24xf32>
  return %0 : tensor<50x24xf32>
}

// -----

/// dW = X^T dY over (k, m, n): A is transposed first.
// CHECK-LABEL: func.func @generic_at_b
// CHECK-SAME: (%[[X:.*]]: tensor<50x784xf32>, %[[DY:.*]]: tensor<50x128xf32>, %[[C:.*]]: tensor<784x128xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<784x50xf32>
// CHECK: %[[XT:.*]] = linalg.transpose ins(%[[X]] : tensor<50x784xf32>) outs(%[[E]] : tensor<784x50xf32>) permutation = [1, 0]
// CHECK: linalg.matmul ins(%[[XT]], %[[DY]] : tensor<784x50xf32>, tensor<50x128xf32>) outs(%[[C]] : tensor<784x128xf32>)
func.func @generic_at_b(%x: tensor<50x784xf32>, %dy: tensor<50x128xf32>,
                        %c: tensor<784x128xf32>) -> tensor<784x128xf32> {
  %0 = linalg.generic {indexing_maps = [
          affine_map<(k, m, n) -> (k, m)>, affine_map<(k, m, n) -> (k, n)>,
          affine_map<(k, m, n) -> (m, n)>],
        iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%x, %dy : tensor<50x784xf32>, tensor<50x128xf32>)
      outs(%c : tensor<784x128xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  } -> tensor<784x128xf32>
  return %0 : tensor<784x128xf32>
}

// -----

/// dX = dY W^T over (m, n, k), with B first in ins: operands are swapped
/// back and B is transposed.
// CHECK-LABEL: func.func @generic_b_first_bt
// CHECK-SAME: (%[[W:.*]]: tensor<784x128xf32>, %[[DY:.*]]: tensor<50x128xf32>, %[[C:.*]]: tensor<50x784xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<128x784xf32>
// CHECK: %[[WT:.*]] = linalg.transpose ins(%[[W]] : tensor<784x128xf32>) outs(%[[E]] : tensor<128x784xf32>) permutation = [1, 0]
// CHECK: linalg.matmul ins(%[[DY]], %[[WT]] : tensor<50x128xf32>, tensor<128x784xf32>) outs(%[[C]] : tensor<50x784xf32>)
func.func @generic_b_first_bt(%w: tensor<784x128xf32>, %dy: tensor<50x128xf32>,
                              %c: tensor<50x784xf32>) -> tensor<50x784xf32> {
  %0 = linalg.generic {indexing_maps = [
          affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, k)>,
          affine_map<(m, n, k) -> (m, n)>],
        iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%w, %dy : tensor<784x128xf32>, tensor<50x128xf32>)
      outs(%c : tensor<50x784xf32>) {
  ^bb0(%b: f32, %a: f32, %acc: f32):
    %p = arith.mulf %b, %a : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<50x784xf32>
  return %0 : tensor<50x784xf32>
}

// -----

/// A linalg.matmul with transposing maps (A^T B) becomes a plain one.
// CHECK-LABEL: func.func @mapped_matmul
// CHECK-SAME: (%[[A:.*]]: tensor<8x4xf32>, %[[B:.*]]: tensor<8x16xf32>, %[[C:.*]]: tensor<4x16xf32>)
// CHECK: %[[AT:.*]] = linalg.transpose ins(%[[A]] : tensor<8x4xf32>)
// CHECK: linalg.matmul ins(%[[AT]], %[[B]] : tensor<4x8xf32>, tensor<8x16xf32>) outs(%[[C]] : tensor<4x16xf32>)
// CHECK-NOT: indexing_maps
func.func @mapped_matmul(%a: tensor<8x4xf32>, %b: tensor<8x16xf32>,
                         %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %0 = linalg.matmul indexing_maps = [
          affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>,
          affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : tensor<8x4xf32>, tensor<8x16xf32>)
      outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

#mkn_a = affine_map<(m, k, n) -> (m, k)>
#mkn_b = affine_map<(m, k, n) -> (k, n)>
#mkn_c = affine_map<(m, k, n) -> (m, n)>

/// negative: out - a * b is not a matrix product.
// CHECK-LABEL: func.func @negative_body
// CHECK: linalg.generic
// CHECK-NOT: linalg.matmul
func.func @negative_body(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>,
                         %c: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = linalg.generic {indexing_maps = [#mkn_a, #mkn_b, #mkn_c],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>)
      outs(%c : tensor<4x4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.subf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

#mkn_a = affine_map<(m, k, n) -> (m, k)>
#mkn_b = affine_map<(m, k, n) -> (k, n)>
#mkn_c = affine_map<(m, k, n) -> (m, n)>

/// negative: fast-math flags allow another rounding than matmul's.
// CHECK-LABEL: func.func @negative_fastmath
// CHECK: linalg.generic
// CHECK-NOT: linalg.matmul
func.func @negative_fastmath(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>,
                             %c: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = linalg.generic {indexing_maps = [#mkn_a, #mkn_b, #mkn_c],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>)
      outs(%c : tensor<4x4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y fastmath<fast> : f32
    %s = arith.addf %acc, %p fastmath<fast> : f32
    linalg.yield %s : f32
  } -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

/// negative: f64 (the micro-kernel is f32), dynamic sizes, a broadcast
/// operand and a product on buffers are left alone.
// CHECK-LABEL: func.func @negative_types_and_shapes
// CHECK-COUNT-4: linalg.generic
// CHECK-NOT: linalg.matmul
func.func @negative_types_and_shapes(
    %a: tensor<4x4xf64>, %c: tensor<4x4xf64>, %d: tensor<?x4xf32>,
    %e: tensor<4x4xf32>, %v: tensor<4xf32>, %f: tensor<4x4xf32>,
    %ma: memref<4x4xf32>, %mc: memref<4x4xf32>)
    -> (tensor<4x4xf64>, tensor<?x4xf32>, tensor<4x4xf32>) {
  %0 = linalg.generic {indexing_maps = [
          affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
          affine_map<(m, n, k) -> (m, n)>],
        iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %a : tensor<4x4xf64>, tensor<4x4xf64>)
      outs(%c : tensor<4x4xf64>) {
  ^bb0(%x: f64, %y: f64, %acc: f64):
    %p = arith.mulf %x, %y : f64
    %s = arith.addf %acc, %p : f64
    linalg.yield %s : f64
  } -> tensor<4x4xf64>
  %1 = linalg.generic {indexing_maps = [
          affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
          affine_map<(m, n, k) -> (m, n)>],
        iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%d, %e : tensor<?x4xf32>, tensor<4x4xf32>)
      outs(%d : tensor<?x4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  %2 = linalg.generic {indexing_maps = [
          affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k)>,
          affine_map<(m, n, k) -> (m, n)>],
        iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%e, %v : tensor<4x4xf32>, tensor<4xf32>)
      outs(%f : tensor<4x4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x4xf32>
  linalg.generic {indexing_maps = [
          affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
          affine_map<(m, n, k) -> (m, n)>],
        iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%ma, %ma : memref<4x4xf32>, memref<4x4xf32>)
      outs(%mc : memref<4x4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return %0, %1, %2 : tensor<4x4xf64>, tensor<?x4xf32>, tensor<4x4xf32>
}
