//===- rosenbrock-muon.mlir - Muon on the Rosenbrock function -------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The synthetic experiment of the paper: minimise the Rosenbrock function
//   f(x, y) = (1 - x)^2 + 100 (y - x^2)^2      (minimum 0 at (1, 1))
// with Muon, the parameters (x, y) being a 1x2 weight matrix (Muon updates
// matrices). For a single row the Newton-Schulz orthogonalisation maps the
// momentum to (about) its direction, so Muon is normalised momentum descent
// here. The training step is plain MLIR; qopt decides its precision:
//
//   qopt-opt examples/rosenbrock-muon.mlir --qopt-insert-quantization \
//       --assign-precision="iterations=10000 snap=hardware" \
//     | qopt-opt --qopt-lower-to-llvm \
//     | mlir-runner -e main -entry-point-result=void \
//         -shared-libs=/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so
//
// prints the loss at the first and the last step and 1 when it went down.
//
//===----------------------------------------------------------------------===//

/// One training step: loss and gradient at W = [[x, y]], then Muon. Returns
/// the new weight and momentum buffer and the loss at W.
func.func @train_step(
    %w: tensor<1x2xf32> {qopt.init = dense<[[-1.5, 2.0]]> : tensor<1x2xf32>},
    %buf: tensor<1x2xf32>)
    -> (tensor<1x2xf32>, tensor<1x2xf32>, f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f32
  %hundred = arith.constant 100.0 : f32
  %c200 = arith.constant 200.0 : f32
  %cm400 = arith.constant -400.0 : f32
  %x = tensor.extract %w[%c0, %c0] : tensor<1x2xf32>
  %y = tensor.extract %w[%c0, %c1] : tensor<1x2xf32>

  // Forward: a = 1 - x, b = y - x^2, f = a^2 + 100 b^2.
  %a = arith.subf %one, %x : f32
  %xx = arith.mulf %x, %x : f32
  %b = arith.subf %y, %xx : f32
  %aa = arith.mulf %a, %a : f32
  %bb = arith.mulf %b, %b : f32
  %hbb = arith.mulf %hundred, %bb : f32
  %loss = arith.addf %aa, %hbb : f32

  // Backward: df/dx = -2 a - 400 x b, df/dy = 200 b.
  %ta = arith.mulf %two, %a : f32
  %nta = arith.negf %ta : f32
  %xb = arith.mulf %x, %b : f32
  %txb = arith.mulf %cm400, %xb : f32
  %gx = arith.addf %nta, %txb : f32
  %gy = arith.mulf %c200, %b : f32
  %g = tensor.from_elements %gx, %gy : tensor<1x2xf32>

  %w1, %buf1 = qopt.muon_update %w, %g, %buf
      {lr = 1.0e-2 : f32, momentum = 0.9 : f32} : tensor<1x2xf32>
  return %w1, %buf1, %loss : tensor<1x2xf32>, tensor<1x2xf32>, f32
}

func.func private @printF32(f32)
func.func private @printI64(i64)
func.func private @printNewline()

/// 300 steps from (-1.5, 2): prints the first loss, the last loss, and 1 if
/// the last is below the first.
func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %steps = arith.constant 300 : index
  %w0 = arith.constant dense<[[-1.5, 2.0]]> : tensor<1x2xf32>
  %zeros = arith.constant dense<0.0> : tensor<1x2xf32>
  %nan = arith.constant 0x7FC00000 : f32
  %r:4 = scf.for %i = %c0 to %steps step %c1
      iter_args(%w = %w0, %b = %zeros, %first = %nan, %last = %nan)
      -> (tensor<1x2xf32>, tensor<1x2xf32>, f32, f32) {
    %w1, %b1, %loss = func.call @train_step(%w, %b)
        : (tensor<1x2xf32>, tensor<1x2xf32>)
        -> (tensor<1x2xf32>, tensor<1x2xf32>, f32)
    %is_first = arith.cmpi eq, %i, %c0 : index
    %first1 = arith.select %is_first, %loss, %first : f32
    scf.yield %w1, %b1, %first1, %loss
        : tensor<1x2xf32>, tensor<1x2xf32>, f32, f32
  }
  func.call @printF32(%r#2) : (f32) -> ()
  func.call @printNewline() : () -> ()
  func.call @printF32(%r#3) : (f32) -> ()
  func.call @printNewline() : () -> ()
  %down = arith.cmpf olt, %r#3, %r#2 : f32
  %down64 = arith.extui %down : i1 to i64
  func.call @printI64(%down64) : (i64) -> ()
  func.call @printNewline() : () -> ()
  return
}
