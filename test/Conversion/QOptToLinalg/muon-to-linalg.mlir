// RUN: qopt-opt %s --convert-qopt-to-linalg --split-input-file | FileCheck %s

/// A wide weight: the momentum loop reads g and B and writes B' (into B) and
/// U; row sums of squares, then their sum (a 0-d tensor) give ||U||_F^2;
/// X = U / (sqrt(sum) + eps) reads the 0-d sum; ns_steps iterations
/// of three linalg.matmul ops (A = X X^T through an explicit transpose,
/// A A, and (b A + c A A) X accumulated onto a X); then the update loop
/// reads W (outs) and X.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[ID1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[SCALAR1:.*]] = affine_map<(d0) -> ()>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @muon_wide
// CHECK-SAME: %[[W:[^:]*]]: tensor<16x40xf32>, %[[G:[^:]*]]: tensor<16x40xf32>, %[[B:[^:]*]]: tensor<16x40xf32>
// CHECK: %[[MOM:.*]]:2 = linalg.generic
// CHECK-SAME: ins(%[[G]] : tensor<16x40xf32>) outs(%[[B]], %{{.*}} : tensor<16x40xf32>, tensor<16x40xf32>)
// CHECK: %[[ROWS:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME: ins(%[[MOM]]#1 : tensor<16x40xf32>) outs(%{{.*}} : tensor<16xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID1]], #[[SCALAR1]]], iterator_types = ["reduction"]}
// CHECK-SAME: ins(%[[ROWS]] : tensor<16xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK-NOT: tensor.extract
// CHECK: %[[X0:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[SCALAR]], #[[ID]]]
// CHECK-SAME: ins(%[[MOM]]#1, %[[SUM]] : tensor<16x40xf32>, tensor<f32>) outs(%{{.*}} : tensor<16x40xf32>)
// CHECK: math.sqrt
// CHECK: arith.divf
// CHECK: %[[NS:.*]] = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[X:.*]] = %[[X0]]) -> (tensor<16x40xf32>)
// CHECK: %[[XT:.*]] = linalg.transpose ins(%[[X]] : tensor<16x40xf32>) outs(%{{.*}} : tensor<40x16xf32>) permutation = [1, 0]
// CHECK: %[[A:.*]] = linalg.matmul {qopt.symmetric} ins(%[[X]], %[[XT]] : tensor<16x40xf32>, tensor<40x16xf32>) outs(%{{.*}} : tensor<16x16xf32>)
// CHECK: %[[AA:.*]] = linalg.matmul {qopt.symmetric} ins(%[[A]], %[[A]] : tensor<16x16xf32>, tensor<16x16xf32>)
// CHECK: %[[POLY:.*]] = linalg.generic
// CHECK-SAME: ins(%[[A]], %[[AA]] :
// CHECK: %[[AX:.*]] = linalg.generic
// CHECK-SAME: ins(%[[X]] :
// CHECK: %[[NEXT:.*]] = linalg.matmul ins(%[[POLY]], %[[X]] : tensor<16x16xf32>, tensor<16x40xf32>) outs(%[[AX]] : tensor<16x40xf32>)
// CHECK: %[[COPY:.*]] = linalg.copy ins(%[[NEXT]] : tensor<16x40xf32>) outs(%[[X]] : tensor<16x40xf32>)
// CHECK: scf.yield %[[COPY]]
// CHECK: %[[WN:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]]]
// CHECK-SAME: ins(%[[NS]] : tensor<16x40xf32>) outs(%[[W]] : tensor<16x40xf32>)
// CHECK: return %[[WN]], %[[MOM]]#0
func.func @muon_wide(%w: tensor<16x40xf32>, %g: tensor<16x40xf32>,
                     %b: tensor<16x40xf32>)
    -> (tensor<16x40xf32>, tensor<16x40xf32>) {
  %w1, %b1 = qopt.muon_update %w, %g, %b {lr = 2.0e-2 : f32}
      : tensor<16x40xf32>
  return %w1, %b1 : tensor<16x40xf32>, tensor<16x40xf32>
}

// -----

/// A tall weight is orthogonalised through its transpose: X is written
/// transposed (40x16 becomes 16x40) by the normalisation and read
/// transposed by the update, so the Gram matrices stay 16x16. Without
/// Nesterov the update direction is B' itself.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[T:.*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-LABEL: func.func @muon_tall
// CHECK-SAME: %[[W:[^:]*]]: tensor<40x16xf32>
// CHECK: %[[MOM:.*]]:2 = linalg.generic
// CHECK: ^bb0(%[[GI:[^:]*]]: f32, %[[BI:[^:]*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[MB:.*]] = arith.mulf %{{.*}}, %[[BI]] : f32
// CHECK-NEXT: %[[B1:.*]] = arith.addf %[[MB]], %[[GI]] : f32
// CHECK-NEXT: linalg.yield %[[B1]], %[[B1]] : f32, f32
// CHECK: %[[X0:.*]] = linalg.generic {indexing_maps = [#[[T]], #{{.*}}, #[[ID]]]
// CHECK-SAME: ins(%[[MOM]]#1, %{{.*}} : tensor<40x16xf32>, tensor<f32>) outs(%{{.*}} : tensor<16x40xf32>)
// CHECK: %[[NS:.*]] = scf.for
// CHECK: linalg.matmul {qopt.symmetric} ins(%{{.*}}, %{{.*}} : tensor<16x40xf32>, tensor<40x16xf32>) outs(%{{.*}} : tensor<16x16xf32>)
// CHECK: scf.yield
// CHECK: linalg.generic {indexing_maps = [#[[T]], #[[ID]]]
// CHECK-SAME: ins(%[[NS]] : tensor<16x40xf32>) outs(%[[W]] : tensor<40x16xf32>)
func.func @muon_tall(%w: tensor<40x16xf32>, %g: tensor<40x16xf32>,
                     %b: tensor<40x16xf32>)
    -> (tensor<40x16xf32>, tensor<40x16xf32>) {
  %w1, %b1 = qopt.muon_update %w, %g, %b {lr = 2.0e-2 : f32, nesterov = false}
      : tensor<40x16xf32>
  return %w1, %b1 : tensor<40x16xf32>, tensor<40x16xf32>
}

// -----

/// Quantization of g (input), w (input) and B' (result) is absorbed into the
/// momentum and update loops; no standalone quantize remains.

// CHECK-LABEL: func.func @muon_quantized
// CHECK-SAME: %[[W:[^:]*]]: tensor<8x8xf32>, %[[G:[^:]*]]: tensor<8x8xf32>, %[[B:[^:]*]]: tensor<8x8xf32>
// CHECK-NOT: qopt.quantize
// CHECK: %[[MOM:.*]]:2 = linalg.generic
// CHECK-SAME: ins(%[[G]] : tensor<8x8xf32>) outs(%[[B]], %{{.*}} :
// CHECK: ^bb0(%[[GI:[^:]*]]: f32,
// CHECK-NEXT: arith.bitcast %[[GI]] : f32 to i32
// CHECK: linalg.yield %[[BQ:.*]], %{{.*}} : f32, f32
// CHECK: scf.for
// CHECK: %[[WN:.*]] = linalg.generic {{.*}} outs(%[[W]] : tensor<8x8xf32>)
// CHECK: ^bb0(%{{.*}}: f32, %[[WI:[^:]*]]: f32):
// CHECK-NEXT: arith.bitcast %[[WI]] : f32 to i32
// CHECK-NOT: qopt.quantize
// CHECK: return %[[WN]], %[[MOM]]#0
func.func @muon_quantized(%w: tensor<8x8xf32>, %g: tensor<8x8xf32>,
                          %b: tensor<8x8xf32>)
    -> (tensor<8x8xf32>, tensor<8x8xf32>) {
  %wq = qopt.quantize %w to <bf16> component <weight> : tensor<8x8xf32>
  %gq = qopt.quantize %g to <bf16> component <grad> : tensor<8x8xf32>
  %w1, %b1 = qopt.muon_update %wq, %gq, %b {lr = 2.0e-2 : f32}
      : tensor<8x8xf32>
  %bq = qopt.quantize %b1 to <bf16> component <first_moment> : tensor<8x8xf32>
  return %w1, %bq : tensor<8x8xf32>, tensor<8x8xf32>
}
