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

// -----

/// A linear layer on [batch, time, features]: y[b, t, n] = x[b, t, c]
/// w[n, c]. x and y collapse to matrices of 50 rows, w is transposed.
// CHECK-LABEL: func.func @linear_3d
// CHECK-SAME: (%[[X:.*]]: tensor<5x10x36xf32>, %[[W:.*]]: tensor<24x36xf32>, %[[Y:.*]]: tensor<5x10x24xf32>)
// CHECK-DAG: %[[X2:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<5x10x36xf32> into tensor<50x36xf32>
// CHECK-DAG: %[[WT:.*]] = linalg.transpose ins(%[[W]] : tensor<24x36xf32>) outs(%{{.*}} : tensor<36x24xf32>) permutation = [1, 0]
// CHECK-DAG: %[[Y2:.*]] = tensor.collapse_shape %[[Y]] {{\[}}[0, 1], [2]] : tensor<5x10x24xf32> into tensor<50x24xf32>
// CHECK: %[[P:.*]] = linalg.matmul ins(%[[X2]], %[[WT]] : tensor<50x36xf32>, tensor<36x24xf32>) outs(%[[Y2]] : tensor<50x24xf32>)
// CHECK: %[[R:.*]] = tensor.expand_shape %[[P]] {{\[}}[0, 1], [2]] output_shape [5, 10, 24] : tensor<50x24xf32> into tensor<5x10x24xf32>
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]
func.func @linear_3d(%x: tensor<5x10x36xf32>, %w: tensor<24x36xf32>,
                     %y: tensor<5x10x24xf32>) -> tensor<5x10x24xf32> {
  %0 = linalg.generic {indexing_maps = [
          affine_map<(b, t, c, n) -> (b, t, c)>,
          affine_map<(b, t, c, n) -> (n, c)>,
          affine_map<(b, t, c, n) -> (b, t, n)>],
        iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<5x10x36xf32>, tensor<24x36xf32>)
      outs(%y : tensor<5x10x24xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<5x10x24xf32>
  return %0 : tensor<5x10x24xf32>
}

// -----

/// The weight gradient of that layer: dw[n, c] = sum over (b, t) of
/// dy[b, t, n] x[b, t, c]. The reduction group (b, t) collapses to 50;
/// dy's matrix is transposed to put the rows first.
// CHECK-LABEL: func.func @weight_grad_3d
// CHECK-SAME: (%[[DY:.*]]: tensor<5x10x24xf32>, %[[X:.*]]: tensor<5x10x36xf32>, %[[DW:.*]]: tensor<24x36xf32>)
// CHECK-DAG: %[[DY2:.*]] = tensor.collapse_shape %[[DY]] {{\[}}[0, 1], [2]] : tensor<5x10x24xf32> into tensor<50x24xf32>
// CHECK-DAG: %[[X2:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<5x10x36xf32> into tensor<50x36xf32>
// CHECK-DAG: %[[DYT:.*]] = linalg.transpose ins(%[[DY2]] : tensor<50x24xf32>) outs(%{{.*}} : tensor<24x50xf32>) permutation = [1, 0]
// CHECK: %[[P:.*]] = linalg.matmul ins(%[[DYT]], %[[X2]] : tensor<24x50xf32>, tensor<50x36xf32>) outs(%[[DW]] : tensor<24x36xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return %[[P]]
func.func @weight_grad_3d(%dy: tensor<5x10x24xf32>, %x: tensor<5x10x36xf32>,
                          %dw: tensor<24x36xf32>) -> tensor<24x36xf32> {
  %0 = linalg.generic {indexing_maps = [
          affine_map<(n, b, t, c) -> (b, t, n)>,
          affine_map<(n, b, t, c) -> (b, t, c)>,
          affine_map<(n, b, t, c) -> (n, c)>],
        iterator_types = ["parallel", "reduction", "reduction", "parallel"]}
      ins(%dy, %x : tensor<5x10x24xf32>, tensor<5x10x36xf32>)
      outs(%dw : tensor<24x36xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<24x36xf32>
  return %0 : tensor<24x36xf32>
}

// -----

/// Output columns split in two (heads x head size), the second input
/// first in ins: the output's first group (b, t) picks x as the rows.
// CHECK-LABEL: func.func @split_columns_rhs_first
// CHECK-SAME: (%[[W:.*]]: tensor<4x6x36xf32>, %[[X:.*]]: tensor<5x10x36xf32>, %[[Y:.*]]: tensor<5x10x4x6xf32>)
// CHECK-DAG: tensor.collapse_shape %[[W]] {{\[}}[0, 1], [2]] : tensor<4x6x36xf32> into tensor<24x36xf32>
// CHECK-DAG: %[[X2:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<5x10x36xf32> into tensor<50x36xf32>
// CHECK-DAG: tensor.collapse_shape %[[Y]] {{\[}}[0, 1], [2, 3]] : tensor<5x10x4x6xf32> into tensor<50x24xf32>
// CHECK: %[[P:.*]] = linalg.matmul ins(%[[X2]], %{{.*}} : tensor<50x36xf32>, tensor<36x24xf32>)
// CHECK: tensor.expand_shape %[[P]] {{\[}}[0, 1], [2, 3]] output_shape [5, 10, 4, 6]
func.func @split_columns_rhs_first(%w: tensor<4x6x36xf32>,
    %x: tensor<5x10x36xf32>, %y: tensor<5x10x4x6xf32>)
    -> tensor<5x10x4x6xf32> {
  %0 = linalg.generic {indexing_maps = [
          affine_map<(b, t, c, h, e) -> (h, e, c)>,
          affine_map<(b, t, c, h, e) -> (b, t, c)>,
          affine_map<(b, t, c, h, e) -> (b, t, h, e)>],
        iterator_types = ["parallel", "parallel", "reduction", "parallel",
                          "parallel"]}
      ins(%w, %x : tensor<4x6x36xf32>, tensor<5x10x36xf32>)
      outs(%y : tensor<5x10x4x6xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<5x10x4x6xf32>
  return %0 : tensor<5x10x4x6xf32>
}

// -----

/// Left alone: a batch dimension (h indexes all three operands, as in
/// attention's per-head products), and a reduction group whose dims come
/// in decreasing loop order in one operand (collapsing would change the
/// order of the sum).
// CHECK-LABEL: func.func @negative_batch_and_order
// CHECK-NOT: linalg.matmul
// CHECK-COUNT-2: linalg.generic
// CHECK-NOT: linalg.matmul
func.func @negative_batch_and_order(%q: tensor<4x8x6xf32>,
    %k: tensor<4x8x6xf32>, %s: tensor<4x8x8xf32>, %x: tensor<5x10x36xf32>,
    %xt: tensor<10x5x24xf32>, %dw: tensor<36x24xf32>)
    -> (tensor<4x8x8xf32>, tensor<36x24xf32>) {
  %0 = linalg.generic {indexing_maps = [
          affine_map<(h, i, j, e) -> (h, i, e)>,
          affine_map<(h, i, j, e) -> (h, j, e)>,
          affine_map<(h, i, j, e) -> (h, i, j)>],
        iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<4x8x6xf32>, tensor<4x8x6xf32>)
      outs(%s : tensor<4x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  } -> tensor<4x8x8xf32>
  %1 = linalg.generic {indexing_maps = [
          affine_map<(c, b, t, n) -> (b, t, c)>,
          affine_map<(c, b, t, n) -> (t, b, n)>,
          affine_map<(c, b, t, n) -> (c, n)>],
        iterator_types = ["parallel", "reduction", "reduction", "parallel"]}
      ins(%x, %xt : tensor<5x10x36xf32>, tensor<10x5x24xf32>)
      outs(%dw : tensor<36x24xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  } -> tensor<36x24xf32>
  return %0, %1 : tensor<4x8x8xf32>, tensor<36x24xf32>
}

// -----

/// No generic or matmul with two inputs, one init and three or more loops:
/// the pass returns without running its rewrite driver, so it does not
/// even fold (the canonicalization after the tiling does).

// CHECK-LABEL: func.func @no_candidate
// CHECK: %[[SUM:.*]] = arith.addf %{{.*}}, %{{.*}} : f32
// CHECK: linalg.mul
// CHECK: return %{{.*}}, %[[SUM]]
func.func @no_candidate(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>)
    -> (tensor<4x4xf32>, f32) {
  %one = arith.constant 1.0 : f32
  %sum = arith.addf %one, %one : f32
  %e = tensor.empty() : tensor<4x4xf32>
  %0 = linalg.mul ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>)
                  outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0, %sum : tensor<4x4xf32>, f32
}
