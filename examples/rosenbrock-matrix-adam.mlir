//===- rosenbrock-matrix-adam.mlir - Adam on a 64-dim Rosenbrock ---------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The synthetic experiment at the scale the runner sweeps: the chained
// Rosenbrock function along each row of an 8x8 weight matrix W,
//   f(W) = sum_r sum_{c<7} (1 - W[r,c])^2 + 100 (W[r,c+1] - W[r,c]^2)^2,
// minimum 0 at W = 1, optimised by Adam. It follows qopt-run's contract
// (tools/qopt-run/TrainStep.h): state arguments, a step argument, the new
// state and the loss as results.
//
//   qopt-run examples/rosenbrock-matrix-adam.mlir --iterations=2000 \
//       --man-bits=7 --csv=run.csv
//
//===----------------------------------------------------------------------===//

#id = affine_map<(d0, d1) -> (d0, d1)>
#all = affine_map<(d0, d1) -> ()>

/// Loss and gradient of the row-chained Rosenbrock function. It only reads W.
func.func private @rosenbrock(%w: tensor<8x8xf32>)
    -> (f32, tensor<8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %hundred = arith.constant 100.0 : f32
  %two = arith.constant 2.0 : f32
  %c200 = arith.constant 200.0 : f32
  %cm400 = arith.constant -400.0 : f32
  // x = W[:, 0:7], y = W[:, 1:8].
  %x = tensor.extract_slice %w[0, 0] [8, 7] [1, 1]
      : tensor<8x8xf32> to tensor<8x7xf32>
  %y = tensor.extract_slice %w[0, 1] [8, 7] [1, 1]
      : tensor<8x8xf32> to tensor<8x7xf32>
  %e = tensor.empty() : tensor<8x7xf32>
  // Per pair: loss term, d/dx and d/dy.
  %terms:3 = linalg.generic {indexing_maps = [#id, #id, #id, #id, #id],
                             iterator_types = ["parallel", "parallel"]}
      ins(%x, %y : tensor<8x7xf32>, tensor<8x7xf32>)
      outs(%e, %e, %e : tensor<8x7xf32>, tensor<8x7xf32>, tensor<8x7xf32>) {
  ^bb0(%xi: f32, %yi: f32, %o0: f32, %o1: f32, %o2: f32):
    %a = arith.subf %one, %xi : f32
    %xx = arith.mulf %xi, %xi : f32
    %b = arith.subf %yi, %xx : f32
    %aa = arith.mulf %a, %a : f32
    %bb = arith.mulf %b, %b : f32
    %hbb = arith.mulf %hundred, %bb : f32
    %f = arith.addf %aa, %hbb : f32
    %ta = arith.mulf %two, %a : f32
    %nta = arith.negf %ta : f32
    %xb = arith.mulf %xi, %b : f32
    %txb = arith.mulf %cm400, %xb : f32
    %gx = arith.addf %nta, %txb : f32
    %gy = arith.mulf %c200, %b : f32
    linalg.yield %f, %gx, %gy : f32, f32, f32
  } -> (tensor<8x7xf32>, tensor<8x7xf32>, tensor<8x7xf32>)
  // loss = sum of the terms.
  %s0 = tensor.empty() : tensor<f32>
  %s1 = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %sum = linalg.generic {indexing_maps = [#id, #all],
                         iterator_types = ["reduction", "reduction"]}
      ins(%terms#0 : tensor<8x7xf32>) outs(%s1 : tensor<f32>) {
  ^bb0(%t: f32, %acc: f32):
    %r = arith.addf %acc, %t : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  %loss = tensor.extract %sum[] : tensor<f32>
  // grad = [gx, 0] + [0, gy].
  %g0 = tensor.empty() : tensor<8x8xf32>
  %g1 = linalg.fill ins(%zero : f32) outs(%g0 : tensor<8x8xf32>)
      -> tensor<8x8xf32>
  %g2 = tensor.insert_slice %terms#1 into %g1[0, 0] [8, 7] [1, 1]
      : tensor<8x7xf32> into tensor<8x8xf32>
  %tail = tensor.extract_slice %g2[0, 1] [8, 7] [1, 1]
      : tensor<8x8xf32> to tensor<8x7xf32>
  %tail1 = linalg.generic {indexing_maps = [#id, #id, #id],
                           iterator_types = ["parallel", "parallel"]}
      ins(%tail, %terms#2 : tensor<8x7xf32>, tensor<8x7xf32>)
      outs(%e : tensor<8x7xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %r = arith.addf %p, %q : f32
    linalg.yield %r : f32
  } -> tensor<8x7xf32>
  %grad = tensor.insert_slice %tail1 into %g2[0, 1] [8, 7] [1, 1]
      : tensor<8x7xf32> into tensor<8x8xf32>
  return %loss, %grad : f32, tensor<8x8xf32>
}

/// One Adam step. W starts at a seeded random point (qopt-run's "glorot":
/// uniform in +-sqrt(6/16)), not at W = 0: from W = 0 the eight rows follow
/// the same trajectory in exact arithmetic and oscillate in phase, so the
/// f32 gradient norm averages lower than that of any run whose rounding
/// noise decorrelates the rows (1.3x at 12 bits, 2x at T = 10^4): a
/// degenerate baseline (docs/Experiments.md).
func.func @train_step(
    %w: tensor<8x8xf32> {qopt.init = "glorot"},
    %m: tensor<8x8xf32>, %v: tensor<8x8xf32>, %t: i64 {qopt.step})
    -> (tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, f32) {
  %loss, %g = func.call @rosenbrock(%w) : (tensor<8x8xf32>) -> (f32, tensor<8x8xf32>)
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-2 : f32}
      : tensor<8x8xf32>
  return %w1, %m1, %v1, %loss : tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, f32
}
