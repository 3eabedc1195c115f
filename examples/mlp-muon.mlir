//===- mlp-muon.mlir - a small MLP trained with Muon ---------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The real-data experiment of the paper in miniature: a two-layer perceptron
// (ReLU hidden layer, softmax cross-entropy) whose forward and backward pass
// are written by hand in linalg on tensors, trained with Muon. Both weights are
// matrices, so both layers use Muon.
// The forward/backward function only reads the weights, so
// --qopt-insert-quantization quantizes the weights where the step passes them
// to it (component weight) and the gradients it returns (component grad).
//
//   qopt-opt examples/mlp-muon.mlir --qopt-insert-quantization \
//       --assign-precision="iterations=10000 snap=hardware" \
//     | qopt-opt --qopt-lower-to-llvm \
//     | mlir-runner -e main -entry-point-result=void \
//         -shared-libs=/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so
//
// prints the loss at the first and the last step and 1 when it went down.
//
//===----------------------------------------------------------------------===//

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#all = affine_map<(d0, d1) -> ()>

/// Forward and hand-written backward of a 2-layer MLP with softmax
/// cross-entropy on a batch of 8 examples, 4 features, 8 hidden units
/// (ReLU) and 3 classes:
///   z1 = x W1, h = relu(z1), logits = h W2, p = softmax(logits),
///   loss = -1/8 sum(y * log p)
///   dlogits = (p - y) / 8, dW2 = h^T dlogits, dh = dlogits W2^T,
///   dz1 = dh * (z1 > 0), dW1 = x^T dz1
/// It only reads the weights: the step passes it Q_W(W1), Q_W(W2).
func.func private @loss_and_grads(%x: tensor<8x4xf32>, %y: tensor<8x3xf32>,
                                  %w1: tensor<4x8xf32>, %w2: tensor<8x3xf32>)
    -> (f32, tensor<4x8xf32>, tensor<8x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %inv_batch = arith.constant 0.125 : f32
  %neg_inv_batch = arith.constant -0.125 : f32

  // Forward.
  %e8x8 = tensor.empty() : tensor<8x8xf32>
  %zero8x8 = linalg.fill ins(%zero : f32) outs(%e8x8 : tensor<8x8xf32>)
      -> tensor<8x8xf32>
  %z1 = linalg.matmul ins(%x, %w1 : tensor<8x4xf32>, tensor<4x8xf32>)
      outs(%zero8x8 : tensor<8x8xf32>) -> tensor<8x8xf32>
  %h = linalg.generic {indexing_maps = [#id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%z1 : tensor<8x8xf32>) outs(%e8x8 : tensor<8x8xf32>) {
  ^bb0(%z: f32, %out: f32):
    %r = arith.maximumf %z, %zero : f32
    linalg.yield %r : f32
  } -> tensor<8x8xf32>
  %e8x3 = tensor.empty() : tensor<8x3xf32>
  %zero8x3 = linalg.fill ins(%zero : f32) outs(%e8x3 : tensor<8x3xf32>)
      -> tensor<8x3xf32>
  %logits = linalg.matmul ins(%h, %w2 : tensor<8x8xf32>, tensor<8x3xf32>)
      outs(%zero8x3 : tensor<8x3xf32>) -> tensor<8x3xf32>

  // Softmax, stabilised by the row maximum.
  %e8 = tensor.empty() : tensor<8xf32>
  %ninf8 = linalg.fill ins(%ninf : f32) outs(%e8 : tensor<8xf32>)
      -> tensor<8xf32>
  %rowmax = linalg.generic {indexing_maps = [#id, #row],
                            iterator_types = ["parallel", "reduction"]}
      ins(%logits : tensor<8x3xf32>) outs(%ninf8 : tensor<8xf32>) {
  ^bb0(%l: f32, %acc: f32):
    %r = arith.maximumf %l, %acc : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  %exps = linalg.generic {indexing_maps = [#id, #row, #id],
                          iterator_types = ["parallel", "parallel"]}
      ins(%logits, %rowmax : tensor<8x3xf32>, tensor<8xf32>)
      outs(%e8x3 : tensor<8x3xf32>) {
  ^bb0(%l: f32, %mx: f32, %out: f32):
    %d = arith.subf %l, %mx : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<8x3xf32>
  %zero8 = linalg.fill ins(%zero : f32) outs(%e8 : tensor<8xf32>)
      -> tensor<8xf32>
  %rowsum = linalg.generic {indexing_maps = [#id, #row],
                            iterator_types = ["parallel", "reduction"]}
      ins(%exps : tensor<8x3xf32>) outs(%zero8 : tensor<8xf32>) {
  ^bb0(%e: f32, %acc: f32):
    %r = arith.addf %e, %acc : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  %p = linalg.generic {indexing_maps = [#id, #row, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%exps, %rowsum : tensor<8x3xf32>, tensor<8xf32>)
      outs(%e8x3 : tensor<8x3xf32>) {
  ^bb0(%e: f32, %s: f32, %out: f32):
    %r = arith.divf %e, %s : f32
    linalg.yield %r : f32
  } -> tensor<8x3xf32>

  // Cross-entropy: -1/8 sum(y * log p).
  %e0 = tensor.empty() : tensor<f32>
  %zero0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %nll = linalg.generic {indexing_maps = [#id, #id, #all],
                         iterator_types = ["reduction", "reduction"]}
      ins(%y, %p : tensor<8x3xf32>, tensor<8x3xf32>)
      outs(%zero0 : tensor<f32>) {
  ^bb0(%t: f32, %q: f32, %acc: f32):
    %lq = math.log %q : f32
    %tl = arith.mulf %t, %lq : f32
    %r = arith.addf %tl, %acc : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  %sum = tensor.extract %nll[] : tensor<f32>
  %loss = arith.mulf %sum, %neg_inv_batch : f32

  // Backward.
  %dlogits = linalg.generic {indexing_maps = [#id, #id, #id],
                             iterator_types = ["parallel", "parallel"]}
      ins(%p, %y : tensor<8x3xf32>, tensor<8x3xf32>)
      outs(%e8x3 : tensor<8x3xf32>) {
  ^bb0(%q: f32, %t: f32, %out: f32):
    %d = arith.subf %q, %t : f32
    %r = arith.mulf %d, %inv_batch : f32
    linalg.yield %r : f32
  } -> tensor<8x3xf32>
  %ht = linalg.transpose ins(%h : tensor<8x8xf32>)
      outs(%e8x8 : tensor<8x8xf32>) permutation = [1, 0]
  %dw2 = linalg.matmul ins(%ht, %dlogits : tensor<8x8xf32>, tensor<8x3xf32>)
      outs(%zero8x3 : tensor<8x3xf32>) -> tensor<8x3xf32>
  %e3x8 = tensor.empty() : tensor<3x8xf32>
  %w2t = linalg.transpose ins(%w2 : tensor<8x3xf32>)
      outs(%e3x8 : tensor<3x8xf32>) permutation = [1, 0]
  %dh = linalg.matmul ins(%dlogits, %w2t : tensor<8x3xf32>, tensor<3x8xf32>)
      outs(%zero8x8 : tensor<8x8xf32>) -> tensor<8x8xf32>
  %dz1 = linalg.generic {indexing_maps = [#id, #id, #id],
                         iterator_types = ["parallel", "parallel"]}
      ins(%dh, %z1 : tensor<8x8xf32>, tensor<8x8xf32>)
      outs(%e8x8 : tensor<8x8xf32>) {
  ^bb0(%d: f32, %z: f32, %out: f32):
    %pos = arith.cmpf ogt, %z, %zero : f32
    %r = arith.select %pos, %d, %zero : f32
    linalg.yield %r : f32
  } -> tensor<8x8xf32>
  %e4x8 = tensor.empty() : tensor<4x8xf32>
  %xt = linalg.transpose ins(%x : tensor<8x4xf32>)
      outs(%e4x8 : tensor<4x8xf32>) permutation = [1, 0]
  %zero4x8 = linalg.fill ins(%zero : f32) outs(%e4x8 : tensor<4x8xf32>)
      -> tensor<4x8xf32>
  %dw1 = linalg.matmul ins(%xt, %dz1 : tensor<4x8xf32>, tensor<8x8xf32>)
      outs(%zero4x8 : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %loss, %dw1, %dw2 : f32, tensor<4x8xf32>, tensor<8x3xf32>
}

/// The training batch: 8 examples of 4 features, one-hot labels of 3
/// classes.
func.func private @batch() -> (tensor<8x4xf32>, tensor<8x3xf32>) {
  %x = arith.constant dense<[[1.0, 0.2, -0.5, 0.3], [0.9, -0.1, 0.4, -0.2],
                             [-0.3, 1.1, 0.2, 0.5], [0.1, 0.8, -0.6, 0.9],
                             [-0.7, -0.2, 1.2, 0.1], [-0.4, 0.3, 0.9, -0.8],
                             [0.6, 0.5, 0.1, -1.0], [-0.9, -0.6, -0.3, 0.4]]>
      : tensor<8x4xf32>
  %y = arith.constant dense<[[1.0, 0.0, 0.0], [1.0, 0.0, 0.0],
                             [0.0, 1.0, 0.0], [0.0, 1.0, 0.0],
                             [0.0, 0.0, 1.0], [0.0, 0.0, 1.0],
                             [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]>
      : tensor<8x3xf32>
  return %x, %y : tensor<8x4xf32>, tensor<8x3xf32>
}

func.func private @printF32(f32)
func.func private @printI64(i64)
func.func private @printNewline()

/// One training step: loss and gradients, then one Muon update per layer.
func.func @train_step(%w1: tensor<4x8xf32> {qopt.init = "glorot"},
                      %w2: tensor<8x3xf32> {qopt.init = "glorot"},
                      %b1: tensor<4x8xf32>, %b2: tensor<8x3xf32>)
    -> (tensor<4x8xf32>, tensor<8x3xf32>, tensor<4x8xf32>, tensor<8x3xf32>,
        f32) {
  %x, %y = func.call @batch() : () -> (tensor<8x4xf32>, tensor<8x3xf32>)
  %loss, %g1, %g2 = func.call @loss_and_grads(%x, %y, %w1, %w2)
      : (tensor<8x4xf32>, tensor<8x3xf32>, tensor<4x8xf32>, tensor<8x3xf32>)
      -> (f32, tensor<4x8xf32>, tensor<8x3xf32>)
  %nw1, %nb1 = qopt.muon_update %w1, %g1, %b1 {lr = 2.0e-2 : f32}
      : tensor<4x8xf32>
  %nw2, %nb2 = qopt.muon_update %w2, %g2, %b2 {lr = 2.0e-2 : f32}
      : tensor<8x3xf32>
  return %nw1, %nw2, %nb1, %nb2, %loss
      : tensor<4x8xf32>, tensor<8x3xf32>, tensor<4x8xf32>, tensor<8x3xf32>,
        f32
}

/// 100 steps from fixed initial weights and zero momentum buffers.
func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %steps = arith.constant 100 : index
  %w1_0 = arith.constant dense<[[0.3, -0.2, 0.1, 0.4, -0.3, 0.2, -0.1, 0.25],
                              [-0.1, 0.3, -0.25, 0.2, 0.15, -0.3, 0.35, -0.2],
                              [0.2, 0.1, 0.3, -0.15, 0.25, 0.05, -0.3, 0.1],
                              [-0.25, 0.2, 0.15, 0.1, -0.2, 0.3, 0.05, -0.15]]>
      : tensor<4x8xf32>
  %w2_0 = arith.constant dense<[[0.2, -0.1, 0.15], [-0.3, 0.25, 0.1],
                              [0.1, 0.2, -0.25], [0.05, -0.2, 0.3],
                              [-0.15, 0.1, 0.2], [0.25, -0.05, -0.1],
                              [-0.2, 0.3, 0.05], [0.1, 0.15, -0.2]]>
      : tensor<8x3xf32>
  %z1 = arith.constant dense<0.0> : tensor<4x8xf32>
  %z2 = arith.constant dense<0.0> : tensor<8x3xf32>
  %nan = arith.constant 0x7FC00000 : f32
  %r:6 = scf.for %i = %c0 to %steps step %c1
      iter_args(%w1 = %w1_0, %w2 = %w2_0, %b1 = %z1, %b2 = %z2,
                %first_it = %nan, %last_it = %nan)
      -> (tensor<4x8xf32>, tensor<8x3xf32>, tensor<4x8xf32>, tensor<8x3xf32>,
          f32, f32) {
    %nw1, %nw2, %nb1, %nb2, %loss = func.call @train_step(%w1, %w2, %b1, %b2)
        : (tensor<4x8xf32>, tensor<8x3xf32>, tensor<4x8xf32>, tensor<8x3xf32>)
        -> (tensor<4x8xf32>, tensor<8x3xf32>, tensor<4x8xf32>,
            tensor<8x3xf32>, f32)
    %is_first = arith.cmpi eq, %i, %c0 : index
    %first1 = arith.select %is_first, %loss, %first_it : f32
    scf.yield %nw1, %nw2, %nb1, %nb2, %first1, %loss
        : tensor<4x8xf32>, tensor<8x3xf32>, tensor<4x8xf32>, tensor<8x3xf32>,
          f32, f32
  }
  func.call @printF32(%r#4) : (f32) -> ()
  func.call @printNewline() : () -> ()
  func.call @printF32(%r#5) : (f32) -> ()
  func.call @printNewline() : () -> ()
  %down = arith.cmpf olt, %r#5, %r#4 : f32
  %down64 = arith.extui %down : i1 to i64
  func.call @printI64(%down64) : (i64) -> ()
  func.call @printNewline() : () -> ()
  return
}
