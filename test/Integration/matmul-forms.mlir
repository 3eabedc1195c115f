// Matrix products in the forms hand-written and imported steps use (a
// generic over (m, k, n), A^T B for a weight gradient, A B^T with B first,
// a linalg.matmul with transposing maps, a batch of 50 rows) through the
// CPU pipeline, where --qopt-normalize-matmuls turns them into tiled and
// vectorised matmuls, against a double-precision product written as a
// dynamic-shape generic (which no qopt pass touches). The inputs are
// multiples of 1/8 in [-1, 1], so every product and partial sum is exact
// in f32 whatever the order or the use of FMA: the results must agree
// exactly, and a wrong layout, transpose or tile shows as mismatches.
// RUN: qopt-opt %s --qopt-lower-to-llvm | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-llvm --mlir-disable-threading --mlir-print-ir-after=qopt-normalize-matmuls 2>&1 >/dev/null | FileCheck %s --check-prefix=NORM

// NORM-LABEL: func.func @main
// NORM-COUNT-12: linalg.matmul ins
// NORM-NOT: linalg.matmul

// CHECK: generic_ab 0
// CHECK-NEXT: generic_at_b 0
// CHECK-NEXT: generic_b_first_bt 0
// CHECK-NEXT: mapped_at_b 0
// CHECK-NEXT: plain_uneven 0
// CHECK-NEXT: square_4x4 0
// CHECK-NEXT: square_3x3 0
// CHECK-NEXT: square_6x6 0
// CHECK-NEXT: linear_3d 0
// CHECK-NEXT: weight_grad_3d 0
// CHECK-NEXT: split_columns 0
// CHECK-NEXT: split_reduction 0

#map2 = affine_map<(i, j) -> (i, j)>
#red2 = affine_map<(i, j) -> ()>

// A rows x cols tensor of f(i, j) = ((7 i + 13 j + 5 salt) mod 17 - 8) / 8
// at (i, j); with %transposed, of f(j, i): the transpose of the cols x rows
// matrix f.
func.func @gen(%rows: index, %cols: index, %salt: index, %transposed: i1)
    -> tensor<?x?xf32> {
  %e = tensor.empty(%rows, %cols) : tensor<?x?xf32>
  %r = linalg.generic {indexing_maps = [#map2], iterator_types = ["parallel", "parallel"]}
      outs(%e : tensor<?x?xf32>) {
  ^bb0(%out: f32):
    %p = linalg.index 0 : index
    %q = linalg.index 1 : index
    %i = arith.select %transposed, %q, %p : index
    %j = arith.select %transposed, %p, %q : index
    %c7 = arith.constant 7 : index
    %c13 = arith.constant 13 : index
    %c5 = arith.constant 5 : index
    %c17 = arith.constant 17 : index
    %a = arith.muli %i, %c7 : index
    %b = arith.muli %j, %c13 : index
    %s = arith.muli %salt, %c5 : index
    %ab = arith.addi %a, %b : index
    %t = arith.addi %ab, %s : index
    %m = arith.remui %t, %c17 : index
    %mi = arith.index_cast %m : index to i32
    %c8 = arith.constant 8 : i32
    %d = arith.subi %mi, %c8 : i32
    %f = arith.sitofp %d : i32 to f32
    %eighth = arith.constant 0.125 : f32
    %v = arith.mulf %f, %eighth : f32
    linalg.yield %v : f32
  } -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// C = A B in double, A (m x k) and B (k x n) logical.
func.func @reference(%m: index, %n: index, %k: index, %sa: index,
                     %sb: index) -> tensor<?x?xf64> {
  %false = arith.constant false
  %a = call @gen(%m, %k, %sa, %false) : (index, index, index, i1) -> tensor<?x?xf32>
  %b = call @gen(%k, %n, %sb, %false) : (index, index, index, i1) -> tensor<?x?xf32>
  %zero = arith.constant 0.0 : f64
  %e = tensor.empty(%m, %n) : tensor<?x?xf64>
  %c = linalg.fill ins(%zero : f64) outs(%e : tensor<?x?xf64>) -> tensor<?x?xf64>
  %r = linalg.generic {indexing_maps = [
          affine_map<(i, j, l) -> (i, l)>, affine_map<(i, j, l) -> (l, j)>,
          affine_map<(i, j, l) -> (i, j)>],
        iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<?x?xf32>, tensor<?x?xf32>)
      outs(%c : tensor<?x?xf64>) {
  ^bb0(%x: f32, %y: f32, %acc: f64):
    %xd = arith.extf %x : f32 to f64
    %yd = arith.extf %y : f32 to f64
    %p = arith.mulf %xd, %yd : f64
    %s = arith.addf %acc, %p : f64
    linalg.yield %s : f64
  } -> tensor<?x?xf64>
  return %r : tensor<?x?xf64>
}

// Number of elements of `x` that differ from `ref`.
func.func @mismatches(%x: tensor<?x?xf32>, %ref: tensor<?x?xf64>) -> i64 {
  %zero = arith.constant 0 : i64
  %e = tensor.empty() : tensor<i64>
  %init = linalg.fill ins(%zero : i64) outs(%e : tensor<i64>) -> tensor<i64>
  %n = linalg.generic {indexing_maps = [#map2, #map2, #red2],
                       iterator_types = ["reduction", "reduction"]}
      ins(%x, %ref : tensor<?x?xf32>, tensor<?x?xf64>)
      outs(%init : tensor<i64>) {
  ^bb0(%v: f32, %r: f64, %acc: i64):
    %vd = arith.extf %v : f32 to f64
    %ne = arith.cmpf une, %vd, %r : f64
    %one = arith.extui %ne : i1 to i64
    %s = arith.addi %acc, %one : i64
    linalg.yield %s : i64
  } -> tensor<i64>
  %r = tensor.extract %n[] : tensor<i64>
  return %r : i64
}

func.func @report(%x: tensor<?x?xf32>, %m: index, %n: index, %k: index,
                  %sa: index, %sb: index) -> i64 {
  %ref = call @reference(%m, %n, %k, %sa, %sb)
      : (index, index, index, index, index) -> tensor<?x?xf64>
  %r = call @mismatches(%x, %ref) : (tensor<?x?xf32>, tensor<?x?xf64>) -> i64
  return %r : i64
}

func.func @main() {
  %false = arith.constant false
  %true = arith.constant true
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c24 = arith.constant 24 : index
  %c36 = arith.constant 36 : index
  %c50 = arith.constant 50 : index
  %c128 = arith.constant 128 : index
  %c784 = arith.constant 784 : index
  %zero = arith.constant 0.0 : f32

  // Contractions over more loops (an imported model's linear layers on
// [batch, time, features] tensors) use the same matrices, reshaped: rows
// 50 = 5 x 10, reduction 36 = 6 x 6, columns 24 = 4 x 6.

// generic over (m, k, n): C (50 x 24) = A (50 x 36) B (36 x 24).
  %a1d = call @gen(%c50, %c36, %c1, %false) : (index, index, index, i1) -> tensor<?x?xf32>
  %b1d = call @gen(%c36, %c24, %c2, %false) : (index, index, index, i1) -> tensor<?x?xf32>
  %a1 = tensor.cast %a1d : tensor<?x?xf32> to tensor<50x36xf32>
  %b1 = tensor.cast %b1d : tensor<?x?xf32> to tensor<36x24xf32>
  %e1 = tensor.empty() : tensor<50x24xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<50x24xf32>) -> tensor<50x24xf32>
  %r1 = linalg.generic {indexing_maps = [
          affine_map<(m, k, n) -> (m, k)>, affine_map<(m, k, n) -> (k, n)>,
          affine_map<(m, k, n) -> (m, n)>],
        iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a1, %b1 : tensor<50x36xf32>, tensor<36x24xf32>)
      outs(%z1 : tensor<50x24xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<50x24xf32>
  %d1 = tensor.cast %r1 : tensor<50x24xf32> to tensor<?x?xf32>
  %n1 = call @report(%d1, %c50, %c24, %c36, %c1, %c2)
      : (tensor<?x?xf32>, index, index, index, index, index) -> i64
  vector.print str "generic_ab "
  vector.print %n1 : i64

  // A^T B over (k, m, n): X (50 x 784) holds A^T for A = 784 x 50;
  // C (784 x 128) = A dY.
  %x2d = call @gen(%c50, %c784, %c1, %true) : (index, index, index, i1) -> tensor<?x?xf32>
  %y2d = call @gen(%c50, %c128, %c2, %false) : (index, index, index, i1) -> tensor<?x?xf32>
  %x2 = tensor.cast %x2d : tensor<?x?xf32> to tensor<50x784xf32>
  %y2 = tensor.cast %y2d : tensor<?x?xf32> to tensor<50x128xf32>
  %e2 = tensor.empty() : tensor<784x128xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<784x128xf32>) -> tensor<784x128xf32>
  %r2 = linalg.generic {indexing_maps = [
          affine_map<(k, m, n) -> (k, m)>, affine_map<(k, m, n) -> (k, n)>,
          affine_map<(k, m, n) -> (m, n)>],
        iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%x2, %y2 : tensor<50x784xf32>, tensor<50x128xf32>)
      outs(%z2 : tensor<784x128xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  } -> tensor<784x128xf32>
  %d2 = tensor.cast %r2 : tensor<784x128xf32> to tensor<?x?xf32>
  %n2 = call @report(%d2, %c784, %c128, %c50, %c1, %c2)
      : (tensor<?x?xf32>, index, index, index, index, index) -> i64
  vector.print str "generic_at_b "
  vector.print %n2 : i64

  // A B^T with B first in ins, over (m, n, k): W (784 x 128) holds B^T for
  // B = 128 x 784; C (50 x 784) = A (50 x 128) B.
  %w3d = call @gen(%c784, %c128, %c2, %true) : (index, index, index, i1) -> tensor<?x?xf32>
  %a3d = call @gen(%c50, %c128, %c1, %false) : (index, index, index, i1) -> tensor<?x?xf32>
  %w3 = tensor.cast %w3d : tensor<?x?xf32> to tensor<784x128xf32>
  %a3 = tensor.cast %a3d : tensor<?x?xf32> to tensor<50x128xf32>
  %e3 = tensor.empty() : tensor<50x784xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<50x784xf32>) -> tensor<50x784xf32>
  %r3 = linalg.generic {indexing_maps = [
          affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, k)>,
          affine_map<(m, n, k) -> (m, n)>],
        iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%w3, %a3 : tensor<784x128xf32>, tensor<50x128xf32>)
      outs(%z3 : tensor<50x784xf32>) {
  ^bb0(%y: f32, %x: f32, %acc: f32):
    %p = arith.mulf %y, %x : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<50x784xf32>
  %d3 = tensor.cast %r3 : tensor<50x784xf32> to tensor<?x?xf32>
  %n3 = call @report(%d3, %c50, %c784, %c128, %c1, %c2)
      : (tensor<?x?xf32>, index, index, index, index, index) -> i64
  vector.print str "generic_b_first_bt "
  vector.print %n3 : i64

  // linalg.matmul with maps A^T B: X (36 x 24) holds A^T for A = 24 x 36;
  // C (24 x 50) = A B with B = 36 x 50.
  %x4d = call @gen(%c36, %c24, %c1, %true) : (index, index, index, i1) -> tensor<?x?xf32>
  %b4d = call @gen(%c36, %c50, %c2, %false) : (index, index, index, i1) -> tensor<?x?xf32>
  %x4 = tensor.cast %x4d : tensor<?x?xf32> to tensor<36x24xf32>
  %b4 = tensor.cast %b4d : tensor<?x?xf32> to tensor<36x50xf32>
  %e4 = tensor.empty() : tensor<24x50xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<24x50xf32>) -> tensor<24x50xf32>
  %r4 = linalg.matmul indexing_maps = [
          affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>,
          affine_map<(m, n, k) -> (m, n)>]
      ins(%x4, %b4 : tensor<36x24xf32>, tensor<36x50xf32>)
      outs(%z4 : tensor<24x50xf32>) -> tensor<24x50xf32>
  %d4 = tensor.cast %r4 : tensor<24x50xf32> to tensor<?x?xf32>
  %n4 = call @report(%d4, %c24, %c50, %c36, %c1, %c2)
      : (tensor<?x?xf32>, index, index, index, index, index) -> i64
  vector.print str "mapped_at_b "
  vector.print %n4 : i64

  // Plain matmul with uneven tiles: C (50 x 24) = A (50 x 784) B (784 x 24).
  %a5d = call @gen(%c50, %c784, %c1, %false) : (index, index, index, i1) -> tensor<?x?xf32>
  %b5d = call @gen(%c784, %c24, %c2, %false) : (index, index, index, i1) -> tensor<?x?xf32>
  %a5 = tensor.cast %a5d : tensor<?x?xf32> to tensor<50x784xf32>
  %b5 = tensor.cast %b5d : tensor<?x?xf32> to tensor<784x24xf32>
  %z5 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<50x24xf32>) -> tensor<50x24xf32>
  %r5 = linalg.matmul ins(%a5, %b5 : tensor<50x784xf32>, tensor<784x24xf32>)
                      outs(%z5 : tensor<50x24xf32>) -> tensor<50x24xf32>
  %d5 = tensor.cast %r5 : tensor<50x24xf32> to tensor<?x?xf32>
  %n5 = call @report(%d5, %c50, %c24, %c784, %c1, %c2)
      : (tensor<?x?xf32>, index, index, index, index, index) -> i64
  vector.print str "plain_uneven "
  vector.print %n5 : i64

  // Square register tiles (C of 4x4, 3x3, 6x6): A's and B's packs have the
  // same shape there and once shared one stack buffer (wrong products).
  %m_square_4x4 = arith.constant 4 : index
  %n_square_4x4 = arith.constant 4 : index
  %k_square_4x4 = arith.constant 100 : index
  %ad_square_4x4 = call @gen(%m_square_4x4, %k_square_4x4, %c1, %false) : (index, index, index, i1) -> tensor<?x?xf32>
  %bd_square_4x4 = call @gen(%k_square_4x4, %n_square_4x4, %c2, %false) : (index, index, index, i1) -> tensor<?x?xf32>
  %a_square_4x4 = tensor.cast %ad_square_4x4 : tensor<?x?xf32> to tensor<4x100xf32>
  %b_square_4x4 = tensor.cast %bd_square_4x4 : tensor<?x?xf32> to tensor<100x4xf32>
  %e_square_4x4 = tensor.empty() : tensor<4x4xf32>
  %z_square_4x4 = linalg.fill ins(%zero : f32) outs(%e_square_4x4 : tensor<4x4xf32>) -> tensor<4x4xf32>
  %r_square_4x4 = linalg.matmul ins(%a_square_4x4, %b_square_4x4 : tensor<4x100xf32>, tensor<100x4xf32>) outs(%z_square_4x4 : tensor<4x4xf32>) -> tensor<4x4xf32>
  %d_square_4x4 = tensor.cast %r_square_4x4 : tensor<4x4xf32> to tensor<?x?xf32>
  %x_square_4x4 = call @report(%d_square_4x4, %m_square_4x4, %n_square_4x4, %k_square_4x4, %c1, %c2) : (tensor<?x?xf32>, index, index, index, index, index) -> i64
  vector.print str "square_4x4 "
  vector.print %x_square_4x4 : i64
  %m_square_3x3 = arith.constant 3 : index
  %n_square_3x3 = arith.constant 3 : index
  %k_square_3x3 = arith.constant 8 : index
  %ad_square_3x3 = call @gen(%m_square_3x3, %k_square_3x3, %c1, %false) : (index, index, index, i1) -> tensor<?x?xf32>
  %bd_square_3x3 = call @gen(%k_square_3x3, %n_square_3x3, %c2, %false) : (index, index, index, i1) -> tensor<?x?xf32>
  %a_square_3x3 = tensor.cast %ad_square_3x3 : tensor<?x?xf32> to tensor<3x8xf32>
  %b_square_3x3 = tensor.cast %bd_square_3x3 : tensor<?x?xf32> to tensor<8x3xf32>
  %e_square_3x3 = tensor.empty() : tensor<3x3xf32>
  %z_square_3x3 = linalg.fill ins(%zero : f32) outs(%e_square_3x3 : tensor<3x3xf32>) -> tensor<3x3xf32>
  %r_square_3x3 = linalg.matmul ins(%a_square_3x3, %b_square_3x3 : tensor<3x8xf32>, tensor<8x3xf32>) outs(%z_square_3x3 : tensor<3x3xf32>) -> tensor<3x3xf32>
  %d_square_3x3 = tensor.cast %r_square_3x3 : tensor<3x3xf32> to tensor<?x?xf32>
  %x_square_3x3 = call @report(%d_square_3x3, %m_square_3x3, %n_square_3x3, %k_square_3x3, %c1, %c2) : (tensor<?x?xf32>, index, index, index, index, index) -> i64
  vector.print str "square_3x3 "
  vector.print %x_square_3x3 : i64
  %m_square_6x6 = arith.constant 6 : index
  %n_square_6x6 = arith.constant 6 : index
  %k_square_6x6 = arith.constant 10 : index
  %ad_square_6x6 = call @gen(%m_square_6x6, %k_square_6x6, %c1, %false) : (index, index, index, i1) -> tensor<?x?xf32>
  %bd_square_6x6 = call @gen(%k_square_6x6, %n_square_6x6, %c2, %false) : (index, index, index, i1) -> tensor<?x?xf32>
  %a_square_6x6 = tensor.cast %ad_square_6x6 : tensor<?x?xf32> to tensor<6x10xf32>
  %b_square_6x6 = tensor.cast %bd_square_6x6 : tensor<?x?xf32> to tensor<10x6xf32>
  %e_square_6x6 = tensor.empty() : tensor<6x6xf32>
  %z_square_6x6 = linalg.fill ins(%zero : f32) outs(%e_square_6x6 : tensor<6x6xf32>) -> tensor<6x6xf32>
  %r_square_6x6 = linalg.matmul ins(%a_square_6x6, %b_square_6x6 : tensor<6x10xf32>, tensor<10x6xf32>) outs(%z_square_6x6 : tensor<6x6xf32>) -> tensor<6x6xf32>
  %d_square_6x6 = tensor.cast %r_square_6x6 : tensor<6x6xf32> to tensor<?x?xf32>
  %x_square_6x6 = call @report(%d_square_6x6, %m_square_6x6, %n_square_6x6, %k_square_6x6, %c1, %c2) : (tensor<?x?xf32>, index, index, index, index, index) -> i64
  vector.print str "square_6x6 "
  vector.print %x_square_6x6 : i64

  // y[b, t, n] = x[b, t, c] w[n, c]: A (50 x 36) as 5 x 10 x 36, B (36 x
  // 24) stored transposed (24 x 36).
  %x7 = tensor.expand_shape %a1 [[0, 1], [2]] output_shape [5, 10, 36]
      : tensor<50x36xf32> into tensor<5x10x36xf32>
  %w7d = call @gen(%c24, %c36, %c2, %true) : (index, index, index, i1) -> tensor<?x?xf32>
  %w7 = tensor.cast %w7d : tensor<?x?xf32> to tensor<24x36xf32>
  %e7 = tensor.empty() : tensor<5x10x24xf32>
  %z7 = linalg.fill ins(%zero : f32) outs(%e7 : tensor<5x10x24xf32>) -> tensor<5x10x24xf32>
  %r7 = linalg.generic {indexing_maps = [
          affine_map<(b, t, c, n) -> (b, t, c)>,
          affine_map<(b, t, c, n) -> (n, c)>,
          affine_map<(b, t, c, n) -> (b, t, n)>],
        iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
      ins(%x7, %w7 : tensor<5x10x36xf32>, tensor<24x36xf32>)
      outs(%z7 : tensor<5x10x24xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<5x10x24xf32>
  %f7 = tensor.collapse_shape %r7 [[0, 1], [2]] : tensor<5x10x24xf32> into tensor<50x24xf32>
  %d7 = tensor.cast %f7 : tensor<50x24xf32> to tensor<?x?xf32>
  %n7 = call @report(%d7, %c50, %c24, %c36, %c1, %c2)
      : (tensor<?x?xf32>, index, index, index, index, index) -> i64
  vector.print str "linear_3d "
  vector.print %n7 : i64

  // dw[n, c] = sum over (b, t) of dy[b, t, n] x[b, t, c]: A (24 x 50) is
  // dy^T, dy (50 x 24) as 5 x 10 x 24; B (50 x 36) as 5 x 10 x 36.
  %dy8d = call @gen(%c50, %c24, %c1, %true) : (index, index, index, i1) -> tensor<?x?xf32>
  %dy8s = tensor.cast %dy8d : tensor<?x?xf32> to tensor<50x24xf32>
  %dy8 = tensor.expand_shape %dy8s [[0, 1], [2]] output_shape [5, 10, 24]
      : tensor<50x24xf32> into tensor<5x10x24xf32>
  %b8d = call @gen(%c50, %c36, %c2, %false) : (index, index, index, i1) -> tensor<?x?xf32>
  %b8s = tensor.cast %b8d : tensor<?x?xf32> to tensor<50x36xf32>
  %b8 = tensor.expand_shape %b8s [[0, 1], [2]] output_shape [5, 10, 36]
      : tensor<50x36xf32> into tensor<5x10x36xf32>
  %e8 = tensor.empty() : tensor<24x36xf32>
  %z8 = linalg.fill ins(%zero : f32) outs(%e8 : tensor<24x36xf32>) -> tensor<24x36xf32>
  %r8 = linalg.generic {indexing_maps = [
          affine_map<(n, b, t, c) -> (b, t, n)>,
          affine_map<(n, b, t, c) -> (b, t, c)>,
          affine_map<(n, b, t, c) -> (n, c)>],
        iterator_types = ["parallel", "reduction", "reduction", "parallel"]}
      ins(%dy8, %b8 : tensor<5x10x24xf32>, tensor<5x10x36xf32>)
      outs(%z8 : tensor<24x36xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<24x36xf32>
  %d8 = tensor.cast %r8 : tensor<24x36xf32> to tensor<?x?xf32>
  %n8 = call @report(%d8, %c24, %c36, %c50, %c1, %c2)
      : (tensor<?x?xf32>, index, index, index, index, index) -> i64
  vector.print str "weight_grad_3d "
  vector.print %n8 : i64

  // Columns split as 4 x 6 (heads x head size), B first in ins: w[h, e, c]
  // holds B^T (24 x 36) as 4 x 6 x 36.
  %w9 = tensor.expand_shape %w7 [[0, 1], [2]] output_shape [4, 6, 36]
      : tensor<24x36xf32> into tensor<4x6x36xf32>
  %e9 = tensor.empty() : tensor<5x10x4x6xf32>
  %z9 = linalg.fill ins(%zero : f32) outs(%e9 : tensor<5x10x4x6xf32>) -> tensor<5x10x4x6xf32>
  %r9 = linalg.generic {indexing_maps = [
          affine_map<(b, t, c, h, e) -> (h, e, c)>,
          affine_map<(b, t, c, h, e) -> (b, t, c)>,
          affine_map<(b, t, c, h, e) -> (b, t, h, e)>],
        iterator_types = ["parallel", "parallel", "reduction", "parallel",
                          "parallel"]}
      ins(%w9, %x7 : tensor<4x6x36xf32>, tensor<5x10x36xf32>)
      outs(%z9 : tensor<5x10x4x6xf32>) {
  ^bb0(%y: f32, %x: f32, %acc: f32):
    %p = arith.mulf %y, %x : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<5x10x4x6xf32>
  %f9 = tensor.collapse_shape %r9 [[0, 1], [2, 3]] : tensor<5x10x4x6xf32> into tensor<50x24xf32>
  %d9 = tensor.cast %f9 : tensor<50x24xf32> to tensor<?x?xf32>
  %n9 = call @report(%d9, %c50, %c24, %c36, %c1, %c2)
      : (tensor<?x?xf32>, index, index, index, index, index) -> i64
  vector.print str "split_columns "
  vector.print %n9 : i64

  // Reduction split as 6 x 6: x[b, t, i, j] (A as 5 x 10 x 6 x 6) times
  // w[i, j, n] (B, 36 x 24, as 6 x 6 x 24).
  %x10 = tensor.expand_shape %a1 [[0, 1], [2, 3]] output_shape [5, 10, 6, 6]
      : tensor<50x36xf32> into tensor<5x10x6x6xf32>
  %w10 = tensor.expand_shape %b1 [[0, 1], [2]] output_shape [6, 6, 24]
      : tensor<36x24xf32> into tensor<6x6x24xf32>
  %r10 = linalg.generic {indexing_maps = [
          affine_map<(b, t, i, j, n) -> (b, t, i, j)>,
          affine_map<(b, t, i, j, n) -> (i, j, n)>,
          affine_map<(b, t, i, j, n) -> (b, t, n)>],
        iterator_types = ["parallel", "parallel", "reduction", "reduction",
                          "parallel"]}
      ins(%x10, %w10 : tensor<5x10x6x6xf32>, tensor<6x6x24xf32>)
      outs(%z7 : tensor<5x10x24xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<5x10x24xf32>
  %f10 = tensor.collapse_shape %r10 [[0, 1], [2]] : tensor<5x10x24xf32> into tensor<50x24xf32>
  %d10 = tensor.cast %f10 : tensor<50x24xf32> to tensor<?x?xf32>
  %n10 = call @report(%d10, %c50, %c24, %c36, %c1, %c2)
      : (tensor<?x?xf32>, index, index, index, index, index) -> i64
  vector.print str "split_reduction "
  vector.print %n10 : i64
  return
}
