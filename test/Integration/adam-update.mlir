// Runs qopt.adam_update (fused with the qopt.quantize ops of the four
// quantization points) for several steps on the CPU and compares w, m, v
// with the C++ reference of tools/qopt-optim-ref, which regenerates the same
// inputs (see @gen) and computes Adam/AdamW and the quantization itself.

// RUN: qopt-opt %s --qopt-lower-to-llvm | mlir-runner -e adam_step1_static -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref adam --n=1000 --steps=1 --lr=0.01 | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-llvm | mlir-runner -e adamw_steps -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref adam --n=777 --steps=4 --lr=0.002 --beta1=0.8 --beta2=0.95 --eps=1e-6 --wd=0.1 | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-llvm | mlir-runner -e adamw_steps_operands -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref adam --n=777 --steps=4 --lr=0.002 --beta1=0.8 --beta2=0.95 --eps=1e-6 --wd=0.1 | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-llvm | mlir-runner -e adamw_quantized -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref adam --n=1000 --steps=3 --lr=0.01 --wd=0.05 --qw=bf16 --qg=fp8_e5m2:stochastic:42 --qm=bf16 --qv=fp16 | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-llvm | mlir-runner -e adam_l2_eps_inside -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref adam --n=300 --steps=3 --lr=0.01 --beta1=0.85 --wd=0.02 --decoupled=0 --eps=1e-4 --eps-inside-sqrt=1 | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-llvm | mlir-runner -e adamw_no_bias_correction -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref adam --n=300 --steps=3 --lr=0.005 --wd=0.1 --bias-correction=0 | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-llvm | mlir-runner -e adam_quantized_modes -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref adam --n=513 --steps=3 --lr=0.001 --qg=fp8_e4m3 --qm=e8m3:zero --qv=e8m10:stochastic:7 | FileCheck %s

// CHECK: w: PASS
// CHECK: m: PASS
// CHECK: v: PASS
// CHECK: ALL PASS

func.func private @printMemrefI32(memref<*xi32>) attributes {llvm.emit_c_interface}

/// Element i of input tensor k: ((i * 7919 + k * 104729) mod 1009 - 504) / 256
/// (exact in f32); qopt-optim-ref's genValue is the same formula.
func.func @gen(%k: i64, %n: index) -> tensor<?xf32> {
  %c7919 = arith.constant 7919 : i64
  %c104729 = arith.constant 104729 : i64
  %c1009 = arith.constant 1009 : i64
  %c504 = arith.constant 504 : i64
  %c256 = arith.constant 256.0 : f32
  %e = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]} outs(%e : tensor<?xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %i64 = arith.index_cast %i : index to i64
    %a = arith.muli %i64, %c7919 : i64
    %b = arith.muli %k, %c104729 : i64
    %s = arith.addi %a, %b : i64
    %m = arith.remsi %s, %c1009 : i64
    %d = arith.subi %m, %c504 : i64
    %f = arith.sitofp %d : i64 to f32
    %v = arith.divf %f, %c256 : f32
    linalg.yield %v : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

/// The non-negative variant for second moments: (... mod 1009) / 4096.
func.func @gen_nonneg(%k: i64, %n: index) -> tensor<?xf32> {
  %c7919 = arith.constant 7919 : i64
  %c104729 = arith.constant 104729 : i64
  %c1009 = arith.constant 1009 : i64
  %c4096 = arith.constant 4096.0 : f32
  %e = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]} outs(%e : tensor<?xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %i64 = arith.index_cast %i : index to i64
    %a = arith.muli %i64, %c7919 : i64
    %b = arith.muli %k, %c104729 : i64
    %s = arith.addi %a, %b : i64
    %m = arith.remsi %s, %c1009 : i64
    %f = arith.sitofp %m : i64 to f32
    %v = arith.divf %f, %c4096 : f32
    linalg.yield %v : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

/// Prints the f32 bit patterns, so the comparison sees every bit.
func.func @print(%t: tensor<?xf32>) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %t, %c0 : tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xi32>
  %b = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>,
                                        affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]}
      ins(%t : tensor<?xf32>) outs(%e : tensor<?xi32>) {
  ^bb0(%in: f32, %out: i32):
    %bits = arith.bitcast %in : f32 to i32
    linalg.yield %bits : i32
  } -> tensor<?xi32>
  %m = bufferization.to_buffer %b : tensor<?xi32> to memref<?xi32>
  %u = memref.cast %m : memref<?xi32> to memref<*xi32>
  call @printMemrefI32(%u) : (memref<*xi32>) -> ()
  return
}

/// Plain Adam, one step (bias correction at step 1), on a static shape.
func.func @adam_step1_static() {
  %n = arith.constant 1000 : index
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c2 = arith.constant 2 : i64
  %c11 = arith.constant 11 : i64
  %w = call @gen(%c0, %n) : (i64, index) -> tensor<?xf32>
  %m = call @gen(%c1, %n) : (i64, index) -> tensor<?xf32>
  %v = call @gen_nonneg(%c2, %n) : (i64, index) -> tensor<?xf32>
  %g = call @gen(%c11, %n) : (i64, index) -> tensor<?xf32>
  %ws = tensor.cast %w : tensor<?xf32> to tensor<1000xf32>
  %gs = tensor.cast %g : tensor<?xf32> to tensor<1000xf32>
  %ms = tensor.cast %m : tensor<?xf32> to tensor<1000xf32>
  %vs = tensor.cast %v : tensor<?xf32> to tensor<1000xf32>
  %w1, %m1, %v1 = qopt.adam_update %ws, %gs, %ms, %vs, %c1
      {lr = 1.0e-2 : f32} : tensor<1000xf32>
  %w1d = tensor.cast %w1 : tensor<1000xf32> to tensor<?xf32>
  %m1d = tensor.cast %m1 : tensor<1000xf32> to tensor<?xf32>
  %v1d = tensor.cast %v1 : tensor<1000xf32> to tensor<?xf32>
  call @print(%w1d) : (tensor<?xf32>) -> ()
  call @print(%m1d) : (tensor<?xf32>) -> ()
  call @print(%v1d) : (tensor<?xf32>) -> ()
  return
}

/// AdamW with non-default hyper-parameters, steps 1 to 4, dynamic shape.
func.func @adamw_steps() {
  %n = arith.constant 777 : index
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c2 = arith.constant 2 : i64
  %c10 = arith.constant 10 : i64
  %w0 = call @gen(%c0, %n) : (i64, index) -> tensor<?xf32>
  %m0 = call @gen(%c1, %n) : (i64, index) -> tensor<?xf32>
  %v0 = call @gen_nonneg(%c2, %n) : (i64, index) -> tensor<?xf32>
  %lb = arith.constant 1 : index
  %ub = arith.constant 5 : index
  %st = arith.constant 1 : index
  %r:3 = scf.for %t = %lb to %ub step %st iter_args(%w = %w0, %m = %m0, %v = %v0)
      -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %k = arith.addi %t64, %c10 : i64
    %g = func.call @gen(%k, %n) : (i64, index) -> tensor<?xf32>
    %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t64
        {lr = 2.0e-3 : f32, beta1 = 0.8 : f32, beta2 = 0.95 : f32,
         epsilon = 1.0e-6 : f32, weight_decay = 0.1 : f32} : tensor<?xf32>
    scf.yield %w1, %m1, %v1 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
  }
  call @print(%r#0) : (tensor<?xf32>) -> ()
  call @print(%r#1) : (tensor<?xf32>) -> ()
  call @print(%r#2) : (tensor<?xf32>) -> ()
  return
}

/// @adamw_steps with every hyper-parameter an operand (a schedule's way),
/// passed into the step function.
func.func @adamw_steps_operands() {
  %lr = arith.constant 2.0e-3 : f32
  %b1 = arith.constant 0.8 : f32
  %b2 = arith.constant 0.95 : f32
  %eps = arith.constant 1.0e-6 : f32
  %wd = arith.constant 0.1 : f32
  call @adamw_steps_with(%lr, %b1, %b2, %eps, %wd) : (f32, f32, f32, f32, f32) -> ()
  return
}

func.func @adamw_steps_with(%lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32) {
  %n = arith.constant 777 : index
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c2 = arith.constant 2 : i64
  %c10 = arith.constant 10 : i64
  %w0 = call @gen(%c0, %n) : (i64, index) -> tensor<?xf32>
  %m0 = call @gen(%c1, %n) : (i64, index) -> tensor<?xf32>
  %v0 = call @gen_nonneg(%c2, %n) : (i64, index) -> tensor<?xf32>
  %lb = arith.constant 1 : index
  %ub = arith.constant 5 : index
  %st = arith.constant 1 : index
  %r:3 = scf.for %t = %lb to %ub step %st iter_args(%w = %w0, %m = %m0, %v = %v0)
      -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %k = arith.addi %t64, %c10 : i64
    %g = func.call @gen(%k, %n) : (i64, index) -> tensor<?xf32>
    %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t64 lr(%lr) beta1(%b1)
        beta2(%b2) epsilon(%eps) weight_decay(%wd) : tensor<?xf32>
    scf.yield %w1, %m1, %v1 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
  }
  call @print(%r#0) : (tensor<?xf32>) -> ()
  call @print(%r#1) : (tensor<?xf32>) -> ()
  call @print(%r#2) : (tensor<?xf32>) -> ()
  return
}

/// AdamW with all four quantization points (bf16 weights, stochastic e5m2
/// gradients, bf16 first and fp16 second moments), three steps.
func.func @adamw_quantized() {
  %n = arith.constant 1000 : index
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c2 = arith.constant 2 : i64
  %c10 = arith.constant 10 : i64
  %seed = arith.constant 42 : i64
  %w0 = call @gen(%c0, %n) : (i64, index) -> tensor<?xf32>
  %m0 = call @gen(%c1, %n) : (i64, index) -> tensor<?xf32>
  %v0 = call @gen_nonneg(%c2, %n) : (i64, index) -> tensor<?xf32>
  %lb = arith.constant 1 : index
  %ub = arith.constant 4 : index
  %st = arith.constant 1 : index
  %r:3 = scf.for %t = %lb to %ub step %st iter_args(%w = %w0, %m = %m0, %v = %v0)
      -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %k = arith.addi %t64, %c10 : i64
    %g = func.call @gen(%k, %n) : (i64, index) -> tensor<?xf32>
    %wq = qopt.quantize %w to <bf16> component <weight> : tensor<?xf32>
    %gq = qopt.quantize %g to <fp8_e5m2> rounding <stochastic> component <grad>
        seed %seed step %t64 stream 0 : tensor<?xf32>
    %w1, %m1, %v1 = qopt.adam_update %wq, %gq, %m, %v, %t64
        {lr = 1.0e-2 : f32, weight_decay = 0.05 : f32} : tensor<?xf32>
    %mq = qopt.quantize %m1 to <bf16> component <first_moment> : tensor<?xf32>
    %vq = qopt.quantize %v1 to <fp16> component <second_moment> : tensor<?xf32>
    scf.yield %w1, %mq, %vq : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
  }
  call @print(%r#0) : (tensor<?xf32>) -> ()
  call @print(%r#1) : (tensor<?xf32>) -> ()
  call @print(%r#2) : (tensor<?xf32>) -> ()
  return
}

/// Plain Adam with the other rounding modes and formats: e4m3 gradients,
/// first moment truncated to 3 bits, stochastic second moment.
func.func @adam_quantized_modes() {
  %n = arith.constant 513 : index
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c2 = arith.constant 2 : i64
  %c10 = arith.constant 10 : i64
  %seed = arith.constant 7 : i64
  %w0 = call @gen(%c0, %n) : (i64, index) -> tensor<?xf32>
  %m0 = call @gen(%c1, %n) : (i64, index) -> tensor<?xf32>
  %v0 = call @gen_nonneg(%c2, %n) : (i64, index) -> tensor<?xf32>
  %lb = arith.constant 1 : index
  %ub = arith.constant 4 : index
  %st = arith.constant 1 : index
  %r:3 = scf.for %t = %lb to %ub step %st iter_args(%w = %w0, %m = %m0, %v = %v0)
      -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %k = arith.addi %t64, %c10 : i64
    %g = func.call @gen(%k, %n) : (i64, index) -> tensor<?xf32>
    %gq = qopt.quantize %g to <fp8_e4m3> : tensor<?xf32>
    %w1, %m1, %v1 = qopt.adam_update %w, %gq, %m, %v, %t64
        {lr = 1.0e-3 : f32} : tensor<?xf32>
    %mq = qopt.quantize %m1 to <e8m3> rounding <toward_zero> : tensor<?xf32>
    %vq = qopt.quantize %v1 to <e8m10> rounding <stochastic> seed %seed
        step %t64 stream 0 : tensor<?xf32>
    scf.yield %w1, %mq, %vq : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
  }
  call @print(%r#0) : (tensor<?xf32>) -> ()
  call @print(%r#1) : (tensor<?xf32>) -> ()
  call @print(%r#2) : (tensor<?xf32>) -> ()
  return
}

/// The variant flags: L2 decay (decoupled_weight_decay = false) with epsilon
/// inside the square root, three steps.
func.func @adam_l2_eps_inside() {
  %n = arith.constant 300 : index
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c2 = arith.constant 2 : i64
  %c10 = arith.constant 10 : i64
  %w0 = call @gen(%c0, %n) : (i64, index) -> tensor<?xf32>
  %m0 = call @gen(%c1, %n) : (i64, index) -> tensor<?xf32>
  %v0 = call @gen_nonneg(%c2, %n) : (i64, index) -> tensor<?xf32>
  %lb = arith.constant 1 : index
  %ub = arith.constant 4 : index
  %st = arith.constant 1 : index
  %r:3 = scf.for %t = %lb to %ub step %st iter_args(%w = %w0, %m = %m0, %v = %v0)
      -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %k = arith.addi %t64, %c10 : i64
    %g = func.call @gen(%k, %n) : (i64, index) -> tensor<?xf32>
    %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t64
        {lr = 1.0e-2 : f32, beta1 = 0.85 : f32, epsilon = 1.0e-4 : f32,
         weight_decay = 0.02 : f32, decoupled_weight_decay = false,
         epsilon_inside_sqrt = true} : tensor<?xf32>
    scf.yield %w1, %m1, %v1 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
  }
  call @print(%r#0) : (tensor<?xf32>) -> ()
  call @print(%r#1) : (tensor<?xf32>) -> ()
  call @print(%r#2) : (tensor<?xf32>) -> ()
  return
}

/// AdamW without bias correction, three steps.
func.func @adamw_no_bias_correction() {
  %n = arith.constant 300 : index
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c2 = arith.constant 2 : i64
  %c10 = arith.constant 10 : i64
  %w0 = call @gen(%c0, %n) : (i64, index) -> tensor<?xf32>
  %m0 = call @gen(%c1, %n) : (i64, index) -> tensor<?xf32>
  %v0 = call @gen_nonneg(%c2, %n) : (i64, index) -> tensor<?xf32>
  %lb = arith.constant 1 : index
  %ub = arith.constant 4 : index
  %st = arith.constant 1 : index
  %r:3 = scf.for %t = %lb to %ub step %st iter_args(%w = %w0, %m = %m0, %v = %v0)
      -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %k = arith.addi %t64, %c10 : i64
    %g = func.call @gen(%k, %n) : (i64, index) -> tensor<?xf32>
    %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t64
        {lr = 5.0e-3 : f32, weight_decay = 0.1 : f32, bias_correction = false}
        : tensor<?xf32>
    scf.yield %w1, %m1, %v1 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
  }
  call @print(%r#0) : (tensor<?xf32>) -> ()
  call @print(%r#1) : (tensor<?xf32>) -> ()
  call @print(%r#2) : (tensor<?xf32>) -> ()
  return
}
