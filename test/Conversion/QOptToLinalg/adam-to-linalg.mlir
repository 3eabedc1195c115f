// RUN: qopt-opt %s --convert-qopt-to-linalg --split-input-file | FileCheck %s

/// Plain Adam: one elementwise generic that reads g (ins) and w, m, v (outs,
/// so bufferization updates the state in place) and yields w', m', v'. The
/// bias corrections 1 - beta^t are computed once, before the loop.

// CHECK-LABEL: func.func @adam_plain
// CHECK-SAME: %[[W:[^:]*]]: tensor<64xf32>, %[[G:[^:]*]]: tensor<64xf32>, %[[M:[^:]*]]: tensor<64xf32>, %[[V:[^:]*]]: tensor<64xf32>, %[[T:[^:]*]]: i64
// CHECK: %[[TF:.*]] = arith.sitofp %[[T]] : i64 to f32
// CHECK: math.powf %{{.*}}, %[[TF]] : f32
// CHECK: math.powf %{{.*}}, %[[TF]] : f32
// CHECK: %[[R:.*]]:3 = linalg.generic
// CHECK-SAME: iterator_types = ["parallel"]
// CHECK-SAME: ins(%[[G]] : tensor<64xf32>) outs(%[[W]], %[[M]], %[[V]] : tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
// CHECK-NEXT: ^bb0(%[[GI:[^:]*]]: f32, %[[WI:[^:]*]]: f32, %[[MI:[^:]*]]: f32, %[[VI:[^:]*]]: f32):
// CHECK-NOT: arith.bitcast
// CHECK: math.sqrt
// CHECK: %[[STEP:.*]] = arith.mulf
// CHECK-NEXT: %[[WN:.*]] = arith.subf %[[WI]], %[[STEP]] : f32
// CHECK-NEXT: linalg.yield %[[WN]], %{{.*}}, %{{.*}} : f32, f32, f32
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]#0, %[[R]]#1, %[[R]]#2
func.func @adam_plain(%w: tensor<64xf32>, %g: tensor<64xf32>,
                      %m: tensor<64xf32>, %v: tensor<64xf32>, %t: i64)
    -> (tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) {
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<64xf32>
  return %w1, %m1, %v1 : tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
}

// -----

/// AdamW: the decoupled decay subtracts (lr * wd) * w, with w the old
/// weight, after the Adam step.

// CHECK-LABEL: func.func @adamw
// CHECK: ^bb0(%[[GI:[^:]*]]: f32, %[[WI:[^:]*]]: f32, %[[MI:[^:]*]]: f32, %[[VI:[^:]*]]: f32):
// CHECK: math.sqrt
// CHECK: %[[STEP:.*]] = arith.mulf
// CHECK-NEXT: %[[W1:.*]] = arith.subf %[[WI]], %[[STEP]] : f32
// CHECK-NEXT: %[[DECAY:.*]] = arith.mulf %{{.*}}, %[[WI]] : f32
// CHECK-NEXT: %[[W2:.*]] = arith.subf %[[W1]], %[[DECAY]] : f32
// CHECK-NEXT: linalg.yield %[[W2]]
func.func @adamw(%w: tensor<64xf32>, %g: tensor<64xf32>,
                 %m: tensor<64xf32>, %v: tensor<64xf32>, %t: i64)
    -> (tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) {
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t
      {lr = 1.0e-3 : f32, weight_decay = 0.1 : f32} : tensor<64xf32>
  return %w1, %m1, %v1 : tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
}

// -----

/// L2 decay (decoupled_weight_decay = false): wd * w joins the gradient
/// before both moments, and w' has no decay term. epsilon_inside_sqrt adds
/// epsilon to v_hat under the square root. bias_correction = false: no
/// power of the betas, m' and v' are used as they are.

// CHECK-LABEL: func.func @adam_variants
// CHECK-NOT: math.powf
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[GI:[^:]*]]: f32, %[[WI:[^:]*]]: f32, %[[MI:[^:]*]]: f32, %[[VI:[^:]*]]: f32):
// CHECK-NEXT: %[[DECAY:.*]] = arith.mulf %{{.*}}, %[[WI]] : f32
// CHECK-NEXT: %[[GE:.*]] = arith.addf %[[GI]], %[[DECAY]] : f32
// CHECK-NEXT: arith.mulf %{{.*}}, %[[MI]] : f32
// CHECK-NEXT: arith.mulf %{{.*}}, %[[GE]] : f32
// CHECK-NEXT: %[[M1:.*]] = arith.addf
// CHECK-NEXT: arith.mulf %{{.*}}, %[[VI]] : f32
// CHECK-NEXT: %[[G2:.*]] = arith.mulf %[[GE]], %[[GE]] : f32
// CHECK-NEXT: arith.mulf %{{.*}}, %[[G2]] : f32
// CHECK-NEXT: %[[V1:.*]] = arith.addf
// CHECK-NEXT: %[[VE:.*]] = arith.addf %[[V1]], %{{.*}} : f32
// CHECK-NEXT: %[[D:.*]] = math.sqrt %[[VE]] : f32
// CHECK-NEXT: %[[Q:.*]] = arith.divf %[[M1]], %[[D]] : f32
// CHECK-NEXT: %[[STEP:.*]] = arith.mulf %{{.*}}, %[[Q]] : f32
// CHECK-NEXT: %[[WN:.*]] = arith.subf %[[WI]], %[[STEP]] : f32
// CHECK-NEXT: linalg.yield %[[WN]], %[[M1]], %[[V1]] : f32, f32, f32
func.func @adam_variants(%w: tensor<64xf32>, %g: tensor<64xf32>,
                         %m: tensor<64xf32>, %v: tensor<64xf32>, %t: i64)
    -> (tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) {
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t
      {lr = 1.0e-3 : f32, weight_decay = 0.1 : f32,
       decoupled_weight_decay = false, epsilon_inside_sqrt = true,
       bias_correction = false} : tensor<64xf32>
  return %w1, %m1, %v1 : tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
}

// -----

/// The four quantization points fused: the quantize ops on w and g (inputs)
/// and on m' and v' (results) disappear into the one generic, which reads
/// the unquantized w, g, m, v once and yields the rounded w', m', v'. The
/// rounding is the integer arithmetic on the f32 bit pattern (a bitcast to
/// i32 and back per quantization point).

// CHECK-LABEL: func.func @adam_fused_quantize
// CHECK-SAME: %[[W:[^:]*]]: tensor<1024xf32>, %[[G:[^:]*]]: tensor<1024xf32>, %[[M:[^:]*]]: tensor<1024xf32>, %[[V:[^:]*]]: tensor<1024xf32>
// CHECK-NOT: qopt.quantize
// CHECK: %[[R:.*]]:3 = linalg.generic
// CHECK-SAME: ins(%[[G]] : tensor<1024xf32>) outs(%[[W]], %[[M]], %[[V]] : tensor<1024xf32>, tensor<1024xf32>, tensor<1024xf32>)
// CHECK-NEXT: ^bb0(%[[GI:[^:]*]]: f32, %[[WI:[^:]*]]: f32, %[[MI:[^:]*]]: f32, %[[VI:[^:]*]]: f32):
// CHECK-NEXT: arith.bitcast %[[GI]] : f32 to i32
// CHECK: %[[GQ:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK-NEXT: arith.bitcast %[[WI]] : f32 to i32
// CHECK: %[[WQ:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK: %[[MN:.*]] = arith.addf
// CHECK: arith.mulf %[[GQ]], %[[GQ]] : f32
// CHECK: math.sqrt
// CHECK: %[[WN:.*]] = arith.subf %[[WQ]], %{{.*}} : f32
// CHECK-NOT: linalg.yield
// CHECK: arith.bitcast %[[MN]] : f32 to i32
// CHECK: %[[MQ:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK-NEXT: arith.bitcast %[[VN:.*]] : f32 to i32
// CHECK: %[[VQ:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK-NEXT: linalg.yield %[[WN]], %[[MQ]], %[[VQ]] : f32, f32, f32
// CHECK-NOT: linalg.generic
// CHECK-NOT: qopt.quantize
// CHECK: return %[[R]]#0, %[[R]]#1, %[[R]]#2
func.func @adam_fused_quantize(%w: tensor<1024xf32>, %g: tensor<1024xf32>,
                               %m: tensor<1024xf32>, %v: tensor<1024xf32>,
                               %t: i64)
    -> (tensor<1024xf32>, tensor<1024xf32>, tensor<1024xf32>) {
  %wq = qopt.quantize %w to <bf16> component <weight> : tensor<1024xf32>
  %gq = qopt.quantize %g to <bf16> component <grad> : tensor<1024xf32>
  %w1, %m1, %v1 = qopt.adam_update %wq, %gq, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<1024xf32>
  %mq = qopt.quantize %m1 to <bf16> component <first_moment> : tensor<1024xf32>
  %vq = qopt.quantize %v1 to <fp16> component <second_moment>
      : tensor<1024xf32>
  return %w1, %mq, %vq : tensor<1024xf32>, tensor<1024xf32>, tensor<1024xf32>
}

// -----

/// Stochastic rounding inside the fused loop: the key is hashed once from
/// (seed, step) before the loop, the per-element bits from the linear index,
/// exactly as a standalone qopt.quantize does. Dynamic sizes come from the
/// unquantized tensor.

// CHECK-LABEL: func.func @adam_fused_stochastic
// CHECK-SAME: %[[W:[^:]*]]: tensor<?xf32>, %[[G:[^:]*]]: tensor<?xf32>
// CHECK-NOT: qopt.quantize
// CHECK: tensor.dim %[[G]]
// CHECK: %[[R:.*]]:3 = linalg.generic
// CHECK-SAME: ins(%[[G]] : tensor<?xf32>)
// CHECK: linalg.index 0 : index
// CHECK: arith.index_castui
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]#0, %[[R]]#1, %[[R]]#2
func.func @adam_fused_stochastic(%w: tensor<?xf32>, %g: tensor<?xf32>,
                                 %m: tensor<?xf32>, %v: tensor<?xf32>,
                                 %t: i64, %seed: i64)
    -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %gq = qopt.quantize %g to <fp8_e5m2> rounding <stochastic> seed %seed
      step %t : tensor<?xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %gq, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<?xf32>
  return %w1, %m1, %v1 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
}

// -----

/// A quantized gradient that is also used elsewhere is not absorbed: it is
/// lowered on its own and the Adam loop reads its result.

// CHECK-LABEL: func.func @negative_shared_quantize
// CHECK: %[[GQ:.*]] = linalg.generic
// CHECK: %[[R:.*]]:3 = linalg.generic
// CHECK-SAME: ins(%[[GQ]] : tensor<16xf32>)
// CHECK: return %[[R]]#0, %[[R]]#1, %[[R]]#2, %[[GQ]]
func.func @negative_shared_quantize(%w: tensor<16xf32>, %g: tensor<16xf32>,
                                    %m: tensor<16xf32>, %v: tensor<16xf32>,
                                    %t: i64)
    -> (tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
  %gq = qopt.quantize %g to <bf16> : tensor<16xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %gq, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<16xf32>
  return %w1, %m1, %v1, %gq
      : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}

// -----

/// A stochastic quantize of a result whose seed is defined after the update
/// cannot have its key computed before the loop: it is not absorbed.

// CHECK-LABEL: func.func @negative_seed_after_update
// CHECK: %[[R:.*]]:3 = linalg.generic
// CHECK: %[[Q:.*]] = linalg.generic
// CHECK-SAME: ins(%[[R]]#1 : tensor<16xf32>)
// CHECK: return %[[R]]#0, %[[Q]], %[[R]]#2
func.func @negative_seed_after_update(%w: tensor<16xf32>, %g: tensor<16xf32>,
                                      %m: tensor<16xf32>, %v: tensor<16xf32>,
                                      %t: i64)
    -> (tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<16xf32>
  %seed = arith.constant 3 : i64
  %mq = qopt.quantize %m1 to <bf16> rounding <stochastic> seed %seed step %t
      : tensor<16xf32>
  return %w1, %mq, %v1 : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}

// -----

/// Between two updates, a quantize is absorbed by the update producing its
/// input (once): two generics, no standalone quantize.

// CHECK-LABEL: func.func @two_steps
// CHECK: %[[R1:.*]]:3 = linalg.generic
// CHECK: %[[R2:.*]]:3 = linalg.generic
// CHECK-SAME: outs(%[[R1]]#0, %[[R1]]#1, %[[R1]]#2 :
// CHECK-NOT: linalg.generic
// CHECK: return %[[R2]]#0
func.func @two_steps(%w: tensor<16xf32>, %g: tensor<16xf32>,
                     %m: tensor<16xf32>, %v: tensor<16xf32>, %t: i64)
    -> (tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<16xf32>
  %mq = qopt.quantize %m1 to <bf16> : tensor<16xf32>
  %w2, %m2, %v2 = qopt.adam_update %w1, %g, %mq, %v1, %t {lr = 1.0e-3 : f32}
      : tensor<16xf32>
  return %w2, %m2, %v2 : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}
