//===- fashion-mlp-wide-adam.mlir - a 10M-parameter MLP, Adam ------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// examples/fashion-mlp-adam.mlir with wide hidden layers: a 4-layer
// perceptron 784-2560-2048-1536-10 (10,417,162 parameters) on Fashion-MNIST
// in batches of 50, forward and backward written by hand in linalg on
// tensors, every weight and bias updated with qopt.adam_update (lr 0.001).
// It is large enough for the memory of the optimizer state to show: the
// state is 3 x 41.7 MB in f32 (weights, first and second moments).
//
//   qopt-run examples/fashion-mlp-wide-adam.mlir --iterations=5 --eval-examples=50 \
//       --assign-precision --storage=narrow      # or --storage=f32
//
// (Generated from the small MLP by changing the hidden widths 128, 64, 32
// to 2560, 2048, 1536 in every tensor type; the code is the same.)
//
//===----------------------------------------------------------------------===//

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#all = affine_map<(d0, d1) -> ()>
#vec = affine_map<(d0) -> (d0)>
#vec_all = affine_map<(d0) -> ()>
// Matrix products as linalg.generic, loops ordered for contiguous
// inner loops: C = A B over (m, k, n), C = A^T B over (k, m, n),
// C = A B^T over (m, n, k).
#mkn_a = affine_map<(m, k, n) -> (m, k)>
#mkn_b = affine_map<(m, k, n) -> (k, n)>
#mkn_c = affine_map<(m, k, n) -> (m, n)>
#kmn_at = affine_map<(k, m, n) -> (k, m)>
#kmn_b = affine_map<(k, m, n) -> (k, n)>
#kmn_c = affine_map<(k, m, n) -> (m, n)>
#mnk_a = affine_map<(m, n, k) -> (m, k)>
#mnk_bt = affine_map<(m, n, k) -> (n, k)>
#mnk_c = affine_map<(m, n, k) -> (m, n)>

/// Forward pass on a batch of 50: h_l = relu(h_(l-1) W_l + b_l), h_0 = x,
/// logits = h_3 W_4 + b_4. Returns the hidden activations (the
/// backward pass reads the ReLU masks from them) and the logits. It only
/// reads the parameters.
func.func private @forward(%x: tensor<50x784xf32>, %w1: tensor<784x2560xf32>,
    %b1: tensor<2560xf32>, %w2: tensor<2560x2048xf32>, %b2: tensor<2048xf32>,
    %w3: tensor<2048x1536xf32>, %b3: tensor<1536xf32>, %w4: tensor<1536x10xf32>,
    %b4: tensor<10xf32>)
    -> (tensor<50x2560xf32>, tensor<50x2048xf32>, tensor<50x1536xf32>,
        tensor<50x10xf32>) {
  %zero = arith.constant 0.0 : f32
  %e50x10 = tensor.empty() : tensor<50x10xf32>
  %e50x1536 = tensor.empty() : tensor<50x1536xf32>
  %e50x2048 = tensor.empty() : tensor<50x2048xf32>
  %e50x2560 = tensor.empty() : tensor<50x2560xf32>
  %xw1_init = linalg.fill ins(%zero : f32)
      outs(%e50x2560 : tensor<50x2560xf32>) -> tensor<50x2560xf32>
  %xw1 = linalg.generic {indexing_maps = [#mkn_a, #mkn_b, #mkn_c],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w1 : tensor<50x784xf32>, tensor<784x2560xf32>)
      outs(%xw1_init : tensor<50x2560xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %pq = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %pq : f32
    linalg.yield %s : f32
  } -> tensor<50x2560xf32>
  %h1 = linalg.generic {indexing_maps = [#id, #col, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%xw1, %b1 : tensor<50x2560xf32>, tensor<2560xf32>)
      outs(%e50x2560 : tensor<50x2560xf32>) {
  ^bb0(%z: f32, %bias: f32, %out: f32):
    %zb = arith.addf %z, %bias : f32
    %r = arith.maximumf %zb, %zero : f32
    linalg.yield %r : f32
  } -> tensor<50x2560xf32>
  %xw2_init = linalg.fill ins(%zero : f32)
      outs(%e50x2048 : tensor<50x2048xf32>) -> tensor<50x2048xf32>
  %xw2 = linalg.generic {indexing_maps = [#mkn_a, #mkn_b, #mkn_c],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%h1, %w2 : tensor<50x2560xf32>, tensor<2560x2048xf32>)
      outs(%xw2_init : tensor<50x2048xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %pq = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %pq : f32
    linalg.yield %s : f32
  } -> tensor<50x2048xf32>
  %h2 = linalg.generic {indexing_maps = [#id, #col, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%xw2, %b2 : tensor<50x2048xf32>, tensor<2048xf32>)
      outs(%e50x2048 : tensor<50x2048xf32>) {
  ^bb0(%z: f32, %bias: f32, %out: f32):
    %zb = arith.addf %z, %bias : f32
    %r = arith.maximumf %zb, %zero : f32
    linalg.yield %r : f32
  } -> tensor<50x2048xf32>
  %xw3_init = linalg.fill ins(%zero : f32)
      outs(%e50x1536 : tensor<50x1536xf32>) -> tensor<50x1536xf32>
  %xw3 = linalg.generic {indexing_maps = [#mkn_a, #mkn_b, #mkn_c],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%h2, %w3 : tensor<50x2048xf32>, tensor<2048x1536xf32>)
      outs(%xw3_init : tensor<50x1536xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %pq = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %pq : f32
    linalg.yield %s : f32
  } -> tensor<50x1536xf32>
  %h3 = linalg.generic {indexing_maps = [#id, #col, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%xw3, %b3 : tensor<50x1536xf32>, tensor<1536xf32>)
      outs(%e50x1536 : tensor<50x1536xf32>) {
  ^bb0(%z: f32, %bias: f32, %out: f32):
    %zb = arith.addf %z, %bias : f32
    %r = arith.maximumf %zb, %zero : f32
    linalg.yield %r : f32
  } -> tensor<50x1536xf32>
  %xw4_init = linalg.fill ins(%zero : f32)
      outs(%e50x10 : tensor<50x10xf32>) -> tensor<50x10xf32>
  %xw4 = linalg.generic {indexing_maps = [#mkn_a, #mkn_b, #mkn_c],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%h3, %w4 : tensor<50x1536xf32>, tensor<1536x10xf32>)
      outs(%xw4_init : tensor<50x10xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %pq = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %pq : f32
    linalg.yield %s : f32
  } -> tensor<50x10xf32>
  %logits = linalg.generic {indexing_maps = [#id, #col, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%xw4, %b4 : tensor<50x10xf32>, tensor<10xf32>)
      outs(%e50x10 : tensor<50x10xf32>) {
  ^bb0(%z: f32, %bias: f32, %out: f32):
    %zb = arith.addf %z, %bias : f32
    linalg.yield %zb : f32
  } -> tensor<50x10xf32>
  return %h1, %h2, %h3, %logits
      : tensor<50x2560xf32>, tensor<50x2048xf32>, tensor<50x1536xf32>,
          tensor<50x10xf32>
}

/// Loss and gradients of the parameters (hand-written backward).
func.func private @loss_and_grads(%x: tensor<50x784xf32>,
    %y: tensor<50x10xf32>, %w1: tensor<784x2560xf32>, %b1: tensor<2560xf32>,
    %w2: tensor<2560x2048xf32>, %b2: tensor<2048xf32>, %w3: tensor<2048x1536xf32>,
    %b3: tensor<1536xf32>, %w4: tensor<1536x10xf32>, %b4: tensor<10xf32>)
    -> (f32, tensor<784x2560xf32>, tensor<2560xf32>, tensor<2560x2048xf32>,
        tensor<2048xf32>, tensor<2048x1536xf32>, tensor<1536xf32>, tensor<1536x10xf32>,
        tensor<10xf32>) {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %inv_batch = arith.constant 2.00000000e-02 : f32
  %h1, %h2, %h3, %logits = func.call @forward(%x, %w1, %b1, %w2, %b2, %w3, %b3,
      %w4, %b4)
      : (tensor<50x784xf32>, tensor<784x2560xf32>, tensor<2560xf32>,
          tensor<2560x2048xf32>, tensor<2048xf32>, tensor<2048x1536xf32>,
          tensor<1536xf32>, tensor<1536x10xf32>, tensor<10xf32>)
      -> (tensor<50x2560xf32>, tensor<50x2048xf32>, tensor<50x1536xf32>,
          tensor<50x10xf32>)
  %e10 = tensor.empty() : tensor<10xf32>
  %e1536 = tensor.empty() : tensor<1536xf32>
  %e1536x10 = tensor.empty() : tensor<1536x10xf32>
  %e50 = tensor.empty() : tensor<50xf32>
  %e50x10 = tensor.empty() : tensor<50x10xf32>
  %e50x1536 = tensor.empty() : tensor<50x1536xf32>
  %e50x2048 = tensor.empty() : tensor<50x2048xf32>
  %e50x2560 = tensor.empty() : tensor<50x2560xf32>
  %e2048 = tensor.empty() : tensor<2048xf32>
  %e2048x1536 = tensor.empty() : tensor<2048x1536xf32>
  %e2560 = tensor.empty() : tensor<2560xf32>
  %e2560x2048 = tensor.empty() : tensor<2560x2048xf32>
  %e784x2560 = tensor.empty() : tensor<784x2560xf32>
  // Softmax cross-entropy, stabilised by the row maximum:
  // loss_i = log(sum_j exp(l_ij - max_i)) + max_i - sum_j y_ij l_ij.
  %ninfB = linalg.fill ins(%ninf : f32)
      outs(%e50 : tensor<50xf32>) -> tensor<50xf32>
  %rowmax = linalg.generic {indexing_maps = [#id, #row],
                       iterator_types = ["parallel", "reduction"]}
      ins(%logits : tensor<50x10xf32>) outs(%ninfB : tensor<50xf32>) {
  ^bb0(%l: f32, %acc: f32):
    %r = arith.maximumf %l, %acc : f32
    linalg.yield %r : f32
  } -> tensor<50xf32>
  %exps = linalg.generic {indexing_maps = [#id, #row, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%logits, %rowmax : tensor<50x10xf32>, tensor<50xf32>)
      outs(%e50x10 : tensor<50x10xf32>) {
  ^bb0(%l: f32, %mx: f32, %out: f32):
    %d = arith.subf %l, %mx : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<50x10xf32>
  %zeroB = linalg.fill ins(%zero : f32)
      outs(%e50 : tensor<50xf32>) -> tensor<50xf32>
  %rowsum = linalg.generic {indexing_maps = [#id, #row],
                       iterator_types = ["parallel", "reduction"]}
      ins(%exps : tensor<50x10xf32>) outs(%zeroB : tensor<50xf32>) {
  ^bb0(%x_: f32, %acc: f32):
    %r = arith.addf %x_, %acc : f32
    linalg.yield %r : f32
  } -> tensor<50xf32>
  %e0 = tensor.empty() : tensor<f32>
  %zero0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %nll = linalg.generic {indexing_maps = [#id, #id, #row, #row, #all],
                       iterator_types = ["reduction", "reduction"]}
      ins(%y, %logits, %rowmax, %rowsum : tensor<50x10xf32>, tensor<50x10xf32>,
          tensor<50xf32>, tensor<50xf32>)
      outs(%zero0 : tensor<f32>) {
  ^bb0(%t: f32, %l: f32, %mx: f32, %s: f32, %acc: f32):
    // y is one-hot: sum_j y_ij (log s_i + mx_i - l_ij) is the loss of row i.
    %ls = math.log %s : f32
    %lse = arith.addf %ls, %mx : f32
    %d = arith.subf %lse, %l : f32
    %td = arith.mulf %t, %d : f32
    %r = arith.addf %acc, %td : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  %sum = tensor.extract %nll[] : tensor<f32>
  %loss = arith.mulf %sum, %inv_batch : f32

  // Backward: d4 = (softmax - y) / B.
  %d4 = linalg.generic {indexing_maps = [#id, #row, #id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%exps, %rowsum, %y : tensor<50x10xf32>, tensor<50xf32>,
          tensor<50x10xf32>)
      outs(%e50x10 : tensor<50x10xf32>) {
  ^bb0(%x_: f32, %s: f32, %t: f32, %out: f32):
    %p = arith.divf %x_, %s : f32
    %d = arith.subf %p, %t : f32
    %r = arith.mulf %d, %inv_batch : f32
    linalg.yield %r : f32
  } -> tensor<50x10xf32>
  // Layer 4: dW4 = h3^T d4, db4 = column sums of d4,
  // d3 = (d4 W4^T) * (h3 > 0).
  %dw4_init = linalg.fill ins(%zero : f32)
      outs(%e1536x10 : tensor<1536x10xf32>) -> tensor<1536x10xf32>
  %dw4 = linalg.generic {indexing_maps = [#kmn_at, #kmn_b, #kmn_c],
                       iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%h3, %d4 : tensor<50x1536xf32>, tensor<50x10xf32>)
      outs(%dw4_init : tensor<1536x10xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %pq = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %pq : f32
    linalg.yield %s : f32
  } -> tensor<1536x10xf32>
  %db4_init = linalg.fill ins(%zero : f32)
      outs(%e10 : tensor<10xf32>) -> tensor<10xf32>
  %db4 = linalg.generic {indexing_maps = [#id, #col],
                       iterator_types = ["reduction", "parallel"]}
      ins(%d4 : tensor<50x10xf32>) outs(%db4_init : tensor<10xf32>) {
  ^bb0(%d: f32, %acc: f32):
    %s = arith.addf %acc, %d : f32
    linalg.yield %s : f32
  } -> tensor<10xf32>
  %dh3_init = linalg.fill ins(%zero : f32)
      outs(%e50x1536 : tensor<50x1536xf32>) -> tensor<50x1536xf32>
  %dh3 = linalg.generic {indexing_maps = [#mnk_a, #mnk_bt, #mnk_c],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%d4, %w4 : tensor<50x10xf32>, tensor<1536x10xf32>)
      outs(%dh3_init : tensor<50x1536xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %pq = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %pq : f32
    linalg.yield %s : f32
  } -> tensor<50x1536xf32>
  %d3 = linalg.generic {indexing_maps = [#id, #id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%dh3, %h3 : tensor<50x1536xf32>, tensor<50x1536xf32>)
      outs(%e50x1536 : tensor<50x1536xf32>) {
  ^bb0(%g: f32, %h: f32, %out: f32):
    %pos = arith.cmpf ogt, %h, %zero : f32
    %r = arith.select %pos, %g, %zero : f32
    linalg.yield %r : f32
  } -> tensor<50x1536xf32>
  // Layer 3: dW3 = h2^T d3, db3 = column sums of d3,
  // d2 = (d3 W3^T) * (h2 > 0).
  %dw3_init = linalg.fill ins(%zero : f32)
      outs(%e2048x1536 : tensor<2048x1536xf32>) -> tensor<2048x1536xf32>
  %dw3 = linalg.generic {indexing_maps = [#kmn_at, #kmn_b, #kmn_c],
                       iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%h2, %d3 : tensor<50x2048xf32>, tensor<50x1536xf32>)
      outs(%dw3_init : tensor<2048x1536xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %pq = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %pq : f32
    linalg.yield %s : f32
  } -> tensor<2048x1536xf32>
  %db3_init = linalg.fill ins(%zero : f32)
      outs(%e1536 : tensor<1536xf32>) -> tensor<1536xf32>
  %db3 = linalg.generic {indexing_maps = [#id, #col],
                       iterator_types = ["reduction", "parallel"]}
      ins(%d3 : tensor<50x1536xf32>) outs(%db3_init : tensor<1536xf32>) {
  ^bb0(%d: f32, %acc: f32):
    %s = arith.addf %acc, %d : f32
    linalg.yield %s : f32
  } -> tensor<1536xf32>
  %dh2_init = linalg.fill ins(%zero : f32)
      outs(%e50x2048 : tensor<50x2048xf32>) -> tensor<50x2048xf32>
  %dh2 = linalg.generic {indexing_maps = [#mnk_a, #mnk_bt, #mnk_c],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%d3, %w3 : tensor<50x1536xf32>, tensor<2048x1536xf32>)
      outs(%dh2_init : tensor<50x2048xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %pq = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %pq : f32
    linalg.yield %s : f32
  } -> tensor<50x2048xf32>
  %d2 = linalg.generic {indexing_maps = [#id, #id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%dh2, %h2 : tensor<50x2048xf32>, tensor<50x2048xf32>)
      outs(%e50x2048 : tensor<50x2048xf32>) {
  ^bb0(%g: f32, %h: f32, %out: f32):
    %pos = arith.cmpf ogt, %h, %zero : f32
    %r = arith.select %pos, %g, %zero : f32
    linalg.yield %r : f32
  } -> tensor<50x2048xf32>
  // Layer 2: dW2 = h1^T d2, db2 = column sums of d2,
  // d1 = (d2 W2^T) * (h1 > 0).
  %dw2_init = linalg.fill ins(%zero : f32)
      outs(%e2560x2048 : tensor<2560x2048xf32>) -> tensor<2560x2048xf32>
  %dw2 = linalg.generic {indexing_maps = [#kmn_at, #kmn_b, #kmn_c],
                       iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%h1, %d2 : tensor<50x2560xf32>, tensor<50x2048xf32>)
      outs(%dw2_init : tensor<2560x2048xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %pq = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %pq : f32
    linalg.yield %s : f32
  } -> tensor<2560x2048xf32>
  %db2_init = linalg.fill ins(%zero : f32)
      outs(%e2048 : tensor<2048xf32>) -> tensor<2048xf32>
  %db2 = linalg.generic {indexing_maps = [#id, #col],
                       iterator_types = ["reduction", "parallel"]}
      ins(%d2 : tensor<50x2048xf32>) outs(%db2_init : tensor<2048xf32>) {
  ^bb0(%d: f32, %acc: f32):
    %s = arith.addf %acc, %d : f32
    linalg.yield %s : f32
  } -> tensor<2048xf32>
  %dh1_init = linalg.fill ins(%zero : f32)
      outs(%e50x2560 : tensor<50x2560xf32>) -> tensor<50x2560xf32>
  %dh1 = linalg.generic {indexing_maps = [#mnk_a, #mnk_bt, #mnk_c],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%d2, %w2 : tensor<50x2048xf32>, tensor<2560x2048xf32>)
      outs(%dh1_init : tensor<50x2560xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %pq = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %pq : f32
    linalg.yield %s : f32
  } -> tensor<50x2560xf32>
  %d1 = linalg.generic {indexing_maps = [#id, #id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%dh1, %h1 : tensor<50x2560xf32>, tensor<50x2560xf32>)
      outs(%e50x2560 : tensor<50x2560xf32>) {
  ^bb0(%g: f32, %h: f32, %out: f32):
    %pos = arith.cmpf ogt, %h, %zero : f32
    %r = arith.select %pos, %g, %zero : f32
    linalg.yield %r : f32
  } -> tensor<50x2560xf32>
  // Layer 1: dW1 = x^T d1, db1 = column sums of d1.
  %dw1_init = linalg.fill ins(%zero : f32)
      outs(%e784x2560 : tensor<784x2560xf32>) -> tensor<784x2560xf32>
  %dw1 = linalg.generic {indexing_maps = [#kmn_at, #kmn_b, #kmn_c],
                       iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%x, %d1 : tensor<50x784xf32>, tensor<50x2560xf32>)
      outs(%dw1_init : tensor<784x2560xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %pq = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %pq : f32
    linalg.yield %s : f32
  } -> tensor<784x2560xf32>
  %db1_init = linalg.fill ins(%zero : f32)
      outs(%e2560 : tensor<2560xf32>) -> tensor<2560xf32>
  %db1 = linalg.generic {indexing_maps = [#id, #col],
                       iterator_types = ["reduction", "parallel"]}
      ins(%d1 : tensor<50x2560xf32>) outs(%db1_init : tensor<2560xf32>) {
  ^bb0(%d: f32, %acc: f32):
    %s = arith.addf %acc, %d : f32
    linalg.yield %s : f32
  } -> tensor<2560xf32>
  return %loss, %dw1, %db1, %dw2, %db2, %dw3, %db3, %dw4, %db4
      : f32, tensor<784x2560xf32>, tensor<2560xf32>, tensor<2560x2048xf32>,
          tensor<2048xf32>, tensor<2048x1536xf32>, tensor<1536xf32>, tensor<1536x10xf32>,
          tensor<10xf32>
}

/// One training step: loss and gradients of the batch, then one update per
/// parameter. State: the parameters, then Adam's moments (m, v) of W1, b1,
/// ..., W4, b4, zero-initialised.
func.func @train_step(%w1: tensor<784x2560xf32> {qopt.init = "glorot"},
    %b1: tensor<2560xf32>,
    %w2: tensor<2560x2048xf32> {qopt.init = "glorot"},
    %b2: tensor<2048xf32>,
    %w3: tensor<2048x1536xf32> {qopt.init = "glorot"},
    %b3: tensor<1536xf32>,
    %w4: tensor<1536x10xf32> {qopt.init = "glorot"},
    %b4: tensor<10xf32>,
    %mw1: tensor<784x2560xf32>,
    %vw1: tensor<784x2560xf32>,
    %mb1: tensor<2560xf32>,
    %vb1: tensor<2560xf32>,
    %mw2: tensor<2560x2048xf32>,
    %vw2: tensor<2560x2048xf32>,
    %mb2: tensor<2048xf32>,
    %vb2: tensor<2048xf32>,
    %mw3: tensor<2048x1536xf32>,
    %vw3: tensor<2048x1536xf32>,
    %mb3: tensor<1536xf32>,
    %vb3: tensor<1536xf32>,
    %mw4: tensor<1536x10xf32>,
    %vw4: tensor<1536x10xf32>,
    %mb4: tensor<10xf32>,
    %vb4: tensor<10xf32>,
    %x: tensor<50x784xf32> {qopt.data = "images"},
    %y: tensor<50x10xf32> {qopt.data = "labels"},
    %step: i64 {qopt.step})
    -> (tensor<784x2560xf32>, tensor<2560xf32>, tensor<2560x2048xf32>,
        tensor<2048xf32>, tensor<2048x1536xf32>, tensor<1536xf32>, tensor<1536x10xf32>,
        tensor<10xf32>, tensor<784x2560xf32>, tensor<784x2560xf32>,
        tensor<2560xf32>, tensor<2560xf32>, tensor<2560x2048xf32>,
        tensor<2560x2048xf32>, tensor<2048xf32>, tensor<2048xf32>, tensor<2048x1536xf32>,
        tensor<2048x1536xf32>, tensor<1536xf32>, tensor<1536xf32>, tensor<1536x10xf32>,
        tensor<1536x10xf32>, tensor<10xf32>, tensor<10xf32>, f32) {
  %loss, %gw1, %gb1, %gw2, %gb2, %gw3, %gb3, %gw4, %gb4 =
      func.call @loss_and_grads(%x, %y, %w1, %b1, %w2, %b2, %w3, %b3, %w4, %b4)
      : (tensor<50x784xf32>, tensor<50x10xf32>, tensor<784x2560xf32>,
          tensor<2560xf32>, tensor<2560x2048xf32>, tensor<2048xf32>,
          tensor<2048x1536xf32>, tensor<1536xf32>, tensor<1536x10xf32>, tensor<10xf32>)
      -> (f32, tensor<784x2560xf32>, tensor<2560xf32>, tensor<2560x2048xf32>,
          tensor<2048xf32>, tensor<2048x1536xf32>, tensor<1536xf32>, tensor<1536x10xf32>,
          tensor<10xf32>)
  %nw1, %nmw1, %nvw1 = qopt.adam_update %w1, %gw1, %mw1, %vw1, %step
      {lr = 1.0e-03 : f32} : tensor<784x2560xf32>
  %nb1, %nmb1, %nvb1 = qopt.adam_update %b1, %gb1, %mb1, %vb1, %step
      {lr = 1.0e-03 : f32} : tensor<2560xf32>
  %nw2, %nmw2, %nvw2 = qopt.adam_update %w2, %gw2, %mw2, %vw2, %step
      {lr = 1.0e-03 : f32} : tensor<2560x2048xf32>
  %nb2, %nmb2, %nvb2 = qopt.adam_update %b2, %gb2, %mb2, %vb2, %step
      {lr = 1.0e-03 : f32} : tensor<2048xf32>
  %nw3, %nmw3, %nvw3 = qopt.adam_update %w3, %gw3, %mw3, %vw3, %step
      {lr = 1.0e-03 : f32} : tensor<2048x1536xf32>
  %nb3, %nmb3, %nvb3 = qopt.adam_update %b3, %gb3, %mb3, %vb3, %step
      {lr = 1.0e-03 : f32} : tensor<1536xf32>
  %nw4, %nmw4, %nvw4 = qopt.adam_update %w4, %gw4, %mw4, %vw4, %step
      {lr = 1.0e-03 : f32} : tensor<1536x10xf32>
  %nb4, %nmb4, %nvb4 = qopt.adam_update %b4, %gb4, %mb4, %vb4, %step
      {lr = 1.0e-03 : f32} : tensor<10xf32>
  return %nw1, %nb1, %nw2, %nb2, %nw3, %nb3, %nw4, %nb4, %nmw1, %nvw1, %nmb1,
      %nvb1, %nmw2, %nvw2, %nmb2, %nvb2, %nmw3, %nvw3, %nmb3, %nvb3, %nmw4,
      %nvw4, %nmb4, %nvb4, %loss
      : tensor<784x2560xf32>, tensor<2560xf32>, tensor<2560x2048xf32>,
          tensor<2048xf32>, tensor<2048x1536xf32>, tensor<1536xf32>, tensor<1536x10xf32>,
          tensor<10xf32>, tensor<784x2560xf32>, tensor<784x2560xf32>,
          tensor<2560xf32>, tensor<2560xf32>, tensor<2560x2048xf32>,
          tensor<2560x2048xf32>, tensor<2048xf32>, tensor<2048xf32>,
          tensor<2048x1536xf32>, tensor<2048x1536xf32>, tensor<1536xf32>, tensor<1536xf32>,
          tensor<1536x10xf32>, tensor<1536x10xf32>, tensor<10xf32>, tensor<10xf32>,
          f32
}

/// The number of correctly classified examples of a batch: the first
/// maximum of each row of the logits against the class of the one-hot label.
func.func @evaluate(%w1: tensor<784x2560xf32>,
    %b1: tensor<2560xf32>,
    %w2: tensor<2560x2048xf32>,
    %b2: tensor<2048xf32>,
    %w3: tensor<2048x1536xf32>,
    %b3: tensor<1536xf32>,
    %w4: tensor<1536x10xf32>,
    %b4: tensor<10xf32>,
    %x: tensor<50x784xf32> {qopt.data = "images"},
    %y: tensor<50x10xf32> {qopt.data = "labels"}) -> f32 {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %c0 = arith.constant 0 : i64
  %h1, %h2, %h3, %logits = func.call @forward(%x, %w1, %b1, %w2, %b2, %w3, %b3,
      %w4, %b4)
      : (tensor<50x784xf32>, tensor<784x2560xf32>, tensor<2560xf32>,
          tensor<2560x2048xf32>, tensor<2048xf32>, tensor<2048x1536xf32>,
          tensor<1536xf32>, tensor<1536x10xf32>, tensor<10xf32>)
      -> (tensor<50x2560xf32>, tensor<50x2048xf32>, tensor<50x1536xf32>,
          tensor<50x10xf32>)
  %eB = tensor.empty() : tensor<50xf32>
  %eBi = tensor.empty() : tensor<50xi64>
  %ninfB = linalg.fill ins(%ninf : f32)
      outs(%eB : tensor<50xf32>) -> tensor<50xf32>
  %zeroBi = linalg.fill ins(%c0 : i64)
      outs(%eBi : tensor<50xi64>) -> tensor<50xi64>
  // Row argmax of logits (the first maximum).
  %max_logits, %arg_logits = linalg.generic {indexing_maps = [#id, #row, #row],
                       iterator_types = ["parallel", "reduction"]}
      ins(%logits : tensor<50x10xf32>)
      outs(%ninfB, %zeroBi : tensor<50xf32>, tensor<50xi64>) {
  ^bb0(%v: f32, %mx: f32, %am: i64):
    %j = linalg.index 1 : index
    %j64 = arith.index_cast %j : index to i64
    %gt = arith.cmpf ogt, %v, %mx : f32
    %nmx = arith.select %gt, %v, %mx : f32
    %nam = arith.select %gt, %j64, %am : i64
    linalg.yield %nmx, %nam : f32, i64
  } -> (tensor<50xf32>, tensor<50xi64>)
  // Row argmax of y (the first maximum).
  %max_y, %arg_y = linalg.generic {indexing_maps = [#id, #row, #row],
                       iterator_types = ["parallel", "reduction"]}
      ins(%y : tensor<50x10xf32>)
      outs(%ninfB, %zeroBi : tensor<50xf32>, tensor<50xi64>) {
  ^bb0(%v: f32, %mx: f32, %am: i64):
    %j = linalg.index 1 : index
    %j64 = arith.index_cast %j : index to i64
    %gt = arith.cmpf ogt, %v, %mx : f32
    %nmx = arith.select %gt, %v, %mx : f32
    %nam = arith.select %gt, %j64, %am : i64
    linalg.yield %nmx, %nam : f32, i64
  } -> (tensor<50xf32>, tensor<50xi64>)
  %e0 = tensor.empty() : tensor<f32>
  %zero0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %count = linalg.generic {indexing_maps = [#vec, #vec, #vec_all],
                       iterator_types = ["reduction"]}
      ins(%arg_logits, %arg_y : tensor<50xi64>, tensor<50xi64>)
      outs(%zero0 : tensor<f32>) {
  ^bb0(%a: i64, %b: i64, %acc: f32):
    %eq = arith.cmpi eq, %a, %b : i64
    %inc = arith.select %eq, %one, %zero : f32
    %r = arith.addf %acc, %inc : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  %correct = tensor.extract %count[] : tensor<f32>
  return %correct : f32
}
