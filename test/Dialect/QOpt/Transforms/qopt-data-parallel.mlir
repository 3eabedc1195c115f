// RUN: qopt-opt %s --qopt-data-parallel="ranks=2" -split-input-file | FileCheck %s
// RUN: qopt-opt %s --qopt-data-parallel="ranks=4" -split-input-file | FileCheck %s --check-prefix=FOUR
// RUN: qopt-opt %s --qopt-data-parallel="ranks=2 mode=master-worker" -split-input-file | FileCheck %s --check-prefix=MW

/// A linear model y = x w on a batch of 4, its loss sum_i (x_i w)^2 / 4
/// (dividing by the global batch) and gradient 2 x^T (x w) / 4, through a
/// call. With 2 ranks the batch shrinks to 2 rows everywhere it flows
/// (arguments, tensor.empty, linalg results, the inlined callee); the
/// quantized gradient is exchanged as its fp8_e5m2 codes and the loss in
/// f32. @evaluate, which calls the same function with its own batch of
/// 4, keeps it.
#id = affine_map<(i, j) -> (i, j)>
#col = affine_map<(i, j) -> (j)>
#row = affine_map<(i, j) -> (i)>
#all = affine_map<(i) -> ()>
#vec = affine_map<(i) -> (i)>

func.func private @predict(%x: tensor<4x3xf32>, %w: tensor<3xf32>) -> tensor<4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %p = linalg.generic {indexing_maps = [#id, #col, #row],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x, %w : tensor<4x3xf32>, tensor<3xf32>) outs(%z : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %p : tensor<4xf32>
}

// CHECK-LABEL: func.func @train_step
// CHECK-SAME:    %{{.*}}: tensor<2x3xf32> {qopt.data = "images"}
// CHECK-NOT:     call @predict
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<3xf32>) outs(%{{.*}} : tensor<2xf32>)
// CHECK:         %[[G:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<2xf32>) outs(%{{.*}} : tensor<3xf32>)
// CHECK:         %[[GQ:.*]] = qopt.quantize %[[G]] to <fp8_e5m2> component <grad>
// CHECK:         %[[GS:.*]] = qopt.all_gather_sum %[[GQ]] as <fp8_e5m2> ranks 2 : tensor<3xf32>
// CHECK:         qopt.adam_update %{{.*}}, %[[GS]],
// CHECK:         %[[LT:.*]] = tensor.from_elements %{{.*}} : tensor<f32>
// CHECK:         %[[LS:.*]] = qopt.all_gather_sum %[[LT]] ranks 2 : tensor<f32>
// CHECK:         %[[L:.*]] = tensor.extract %[[LS]][] : tensor<f32>
// CHECK:         return {{.*}}, %[[L]] :
// FOUR-LABEL: func.func @train_step
// FOUR-SAME:    %{{.*}}: tensor<1x3xf32> {qopt.data = "images"}
// FOUR:         qopt.all_gather_sum %{{.*}} as <fp8_e5m2> ranks 4 : tensor<3xf32>
// MW-LABEL: func.func @train_step
// MW-SAME:    (%[[W:[a-z0-9]+]]: tensor<3xf32>
// MW-SAME:    tensor<2x3xf32> {qopt.data = "images"}
// MW:         %[[W0:.*]] = qopt.broadcast %[[W]] ranks 2 : tensor<3xf32>
// MW:         linalg.generic {{.*}} ins(%{{.*}}, %[[W0]] : tensor<2x3xf32>, tensor<3xf32>) outs(%{{.*}} : tensor<2xf32>)
// MW:         %[[GQ:.*]] = qopt.quantize %{{.*}} to <fp8_e5m2> component <grad>
// MW:         %[[GS:.*]] = qopt.gather_sum %[[GQ]] as <fp8_e5m2> ranks 2 : tensor<3xf32>
// MW:         qopt.adam_update %[[W]], %[[GS]],
// MW:         %[[LS:.*]] = qopt.all_gather_sum %{{.*}} ranks 2 : tensor<f32>
// MW:         %[[L:.*]] = tensor.extract %[[LS]][] : tensor<f32>
// MW:         return {{.*}}, %[[L]] :
func.func @train_step(%w: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>,
                      %x: tensor<4x3xf32> {qopt.data = "images"}, %t: i64)
    -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, f32) {
  %zero = arith.constant 0.0 : f32
  %quarter = arith.constant 2.5e-01 : f32
  %p = func.call @predict(%x, %w) : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4xf32>
  %e0 = tensor.empty() : tensor<f32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %ss = linalg.generic {indexing_maps = [#vec, #all], iterator_types = ["reduction"]}
      ins(%p : tensor<4xf32>) outs(%z0 : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %s = arith.addf %acc, %sq : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %sum = tensor.extract %ss[] : tensor<f32>
  %loss = arith.mulf %sum, %quarter : f32
  // 2 p / 4, elementwise on the batch.
  %half = arith.constant dense<5.0e-01> : tensor<4xf32>
  %d = arith.mulf %p, %half : tensor<4xf32>
  %e3 = tensor.empty() : tensor<3xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<3xf32>) -> tensor<3xf32>
  %g = linalg.generic {indexing_maps = [#id, #row, #col],
                       iterator_types = ["reduction", "parallel"]}
      ins(%x, %d : tensor<4x3xf32>, tensor<4xf32>) outs(%z3 : tensor<3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %mm = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %mm : f32
    linalg.yield %s : f32
  } -> tensor<3xf32>
  %gq = qopt.quantize %g to <fp8_e5m2> component <grad> : tensor<3xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %gq, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<3xf32>
  return %w1, %m1, %v1, %loss : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, f32
}

// CHECK-LABEL: func.func @evaluate
// CHECK-SAME:    tensor<4x3xf32>
// CHECK:         tensor<4xf32>
func.func @evaluate(%w: tensor<3xf32>, %x: tensor<4x3xf32> {qopt.data = "images"}) -> tensor<4xf32> {
  %p = func.call @predict(%x, %w) : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4xf32>
  return %p : tensor<4xf32>
}

// -----

/// A gradient that is not quantized travels as f32; named linalg ops
/// (matmul, transpose) carry the batch through their indexing maps.
// CHECK-LABEL: func.func @train_step
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<4x16xf32> {qopt.data = "images"}
// CHECK:         linalg.matmul ins(%[[X]], %{{.*}} : tensor<4x16xf32>, tensor<16x10xf32>) outs(%{{.*}} : tensor<4x10xf32>)
// CHECK:         linalg.transpose ins(%[[X]] : tensor<4x16xf32>) outs(%{{.*}} : tensor<16x4xf32>)
// CHECK:         %[[G:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<16x4xf32>, tensor<4x10xf32>)
// CHECK:         %[[GS:.*]] = qopt.all_gather_sum %[[G]] ranks 2 : tensor<16x10xf32>
// CHECK:         qopt.adam_update %{{.*}}, %[[GS]],
func.func @train_step(%w: tensor<16x10xf32>, %m: tensor<16x10xf32>, %v: tensor<16x10xf32>,
                      %x: tensor<8x16xf32> {qopt.data = "images"},
                      %y: tensor<8x10xf32> {qopt.data = "labels"}, %t: i64)
    -> (tensor<16x10xf32>, tensor<16x10xf32>, tensor<16x10xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x10xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x10xf32>) -> tensor<8x10xf32>
  %l = linalg.matmul ins(%x, %w : tensor<8x16xf32>, tensor<16x10xf32>) outs(%z : tensor<8x10xf32>) -> tensor<8x10xf32>
  %d = arith.subf %l, %y : tensor<8x10xf32>
  %xt0 = tensor.empty() : tensor<16x8xf32>
  %xt = linalg.transpose ins(%x : tensor<8x16xf32>) outs(%xt0 : tensor<16x8xf32>) permutation = [1, 0]
  %g0 = tensor.empty() : tensor<16x10xf32>
  %g1 = linalg.fill ins(%zero : f32) outs(%g0 : tensor<16x10xf32>) -> tensor<16x10xf32>
  %g = linalg.matmul ins(%xt, %d : tensor<16x8xf32>, tensor<8x10xf32>) outs(%g1 : tensor<16x10xf32>) -> tensor<16x10xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-2 : f32} : tensor<16x10xf32>
  return %w1, %m1, %v1 : tensor<16x10xf32>, tensor<16x10xf32>, tensor<16x10xf32>
}


// -----

/// Master-worker with a quantized weight: Q_W(W) is what the master
/// broadcasts, in the weight's format, and every read of the quantize's
/// result (the forward and the backward) reads the broadcast; the update
/// reads the rank's own master weight. A weight two updates read (here
/// once) is broadcast once. Allreduce leaves the weight alone.
// CHECK-LABEL: func.func @train_step
// CHECK-NOT:     qopt.broadcast
// CHECK:         qopt.all_gather_sum %{{.*}} as <bf16> ranks 2 : tensor<16x10xf32>
// MW-LABEL: func.func @train_step
// MW-SAME:    (%[[W:[a-z0-9]+]]: tensor<16x10xf32>
// MW:         %[[WQ:.*]] = qopt.quantize %[[W]] to <fp8_e4m3> component <weight>
// MW-NEXT:    %[[W0:.*]] = qopt.broadcast %[[WQ]] as <fp8_e4m3> ranks 2 : tensor<16x10xf32>
// MW-NOT:     %[[WQ]]
// MW:         linalg.matmul ins(%{{.*}}, %[[W0]] : tensor<4x16xf32>, tensor<16x10xf32>)
// MW:         linalg.transpose ins(%[[W0]] : tensor<16x10xf32>)
// MW:         %[[GS:.*]] = qopt.gather_sum %{{.*}} as <bf16> ranks 2 : tensor<16x10xf32>
// MW:         qopt.adam_update %[[W]], %[[GS]],
// MW-NOT:     qopt.broadcast
func.func @train_step(%w: tensor<16x10xf32>, %m: tensor<16x10xf32>, %v: tensor<16x10xf32>,
                      %x: tensor<8x16xf32> {qopt.data = "images"},
                      %y: tensor<8x10xf32> {qopt.data = "labels"}, %t: i64)
    -> (tensor<16x10xf32>, tensor<16x10xf32>, tensor<16x10xf32>) {
  %zero = arith.constant 0.0 : f32
  %wq = qopt.quantize %w to <fp8_e4m3> component <weight> : tensor<16x10xf32>
  %e = tensor.empty() : tensor<8x10xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x10xf32>) -> tensor<8x10xf32>
  %l = linalg.matmul ins(%x, %wq : tensor<8x16xf32>, tensor<16x10xf32>) outs(%z : tensor<8x10xf32>) -> tensor<8x10xf32>
  %d = arith.subf %l, %y : tensor<8x10xf32>
  // The error through the weight (backward): d W^T.
  %wt0 = tensor.empty() : tensor<10x16xf32>
  %wt = linalg.transpose ins(%wq : tensor<16x10xf32>) outs(%wt0 : tensor<10x16xf32>) permutation = [1, 0]
  %xt0 = tensor.empty() : tensor<16x8xf32>
  %xt = linalg.transpose ins(%x : tensor<8x16xf32>) outs(%xt0 : tensor<16x8xf32>) permutation = [1, 0]
  %g0 = tensor.empty() : tensor<16x10xf32>
  %g1 = linalg.fill ins(%zero : f32) outs(%g0 : tensor<16x10xf32>) -> tensor<16x10xf32>
  %g = linalg.matmul ins(%xt, %d : tensor<16x8xf32>, tensor<8x10xf32>) outs(%g1 : tensor<16x10xf32>) -> tensor<16x10xf32>
  %gq = qopt.quantize %g to <bf16> component <grad> : tensor<16x10xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %gq, %m, %v, %t {lr = 1.0e-2 : f32} : tensor<16x10xf32>
  // (The error of the input, computed and unused, as a backward would.)
  %dx0 = tensor.empty() : tensor<8x16xf32>
  %dx1 = linalg.fill ins(%zero : f32) outs(%dx0 : tensor<8x16xf32>) -> tensor<8x16xf32>
  %dx = linalg.matmul ins(%d, %wt : tensor<8x10xf32>, tensor<10x16xf32>) outs(%dx1 : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %w1, %m1, %v1 : tensor<16x10xf32>, tensor<16x10xf32>, tensor<16x10xf32>
}
