// RUN: qopt-opt %s --qopt-raise-optimizers --split-input-file | FileCheck %s
// RUN: qopt-opt %s --qopt-raise-optimizers="tolerance=1.0e-6" --split-input-file | FileCheck %s --check-prefix=TIGHT
// RUN: qopt-opt %s --convert-qopt-to-linalg --qopt-raise-optimizers --split-input-file | FileCheck %s --check-prefix=ROUNDTRIP

/// Adam/AdamW and Muon written the way frameworks export them become
/// qopt.adam_update / qopt.muon_update; anything else is left as it was.

#id = affine_map<(d0) -> (d0)>
#sc = affine_map<(d0) -> ()>
#s0 = affine_map<() -> ()>

/// torch -> linalg (torch.optim.Adam's single-tensor step, with an integer
/// step tensor): one generic per aten op on tensor.empty, Python floats as
/// f64 constants truncated in the bodies, exp_avg.lerp_(grad, 1 - beta1),
/// exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2), the bias
/// corrections and the step size lr / bc1 on 0-d tensors, the denominator
/// sqrt(v') / sqrt(bc2) + eps and param.addcdiv_(m', denom, -step_size).
// CHECK-LABEL: func.func @adam_torch
// CHECK-SAME: (%[[W:[^:]*]]: tensor<16xf32>, %[[G:[^:]*]]: tensor<16xf32>, %[[M:[^:]*]]: tensor<16xf32>, %[[V:[^:]*]]: tensor<16xf32>, %[[T:[^:]*]]: tensor<i64>)
// CHECK: %[[STEP:.*]] = tensor.extract %[[T]][] : tensor<i64>
// CHECK-NEXT: %[[W1:.*]], %[[M1:.*]], %[[V1:.*]] = qopt.adam_update %[[W]], %[[G]], %[[M]], %[[V]], %[[STEP]] {lr = 1.000000e-03 : f32} : tensor<16xf32>
// CHECK-NOT: linalg.generic
// CHECK: return %[[W1]], %[[M1]], %[[V1]]
// TIGHT-LABEL: func.func @adam_torch
// TIGHT-NOT: qopt.adam_update
// TIGHT: return
func.func @adam_torch(%w: tensor<16xf32>, %g: tensor<16xf32>,
                      %m: tensor<16xf32>, %v: tensor<16xf32>,
                      %step: tensor<i64>)
    -> (tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
  %beta1 = arith.constant 0.90000000000000002 : f64
  %one_minus_beta1 = arith.constant 0.099999999999999978 : f64
  %beta2 = arith.constant 9.990000e-01 : f64
  %one_minus_beta2 = arith.constant 1.000000e-03 : f64
  %one = arith.constant 1.000000e+00 : f64
  %lr = arith.constant 1.000000e-03 : f64
  %eps = arith.constant 1.000000e-08 : f64
  %e = tensor.empty() : tensor<16xf32>
  %e0 = tensor.empty() : tensor<f32>
  // exp_avg.lerp_(grad, 1 - beta1)
  %m1 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%m, %g : tensor<16xf32>, tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %wt = arith.truncf %one_minus_beta1 : f64 to f32
    %d = arith.subf %b, %a : f32
    %s = arith.mulf %wt, %d : f32
    %r = arith.addf %a, %s : f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
  %v0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%v : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %b2 = arith.truncf %beta2 : f64 to f32
    %r = arith.mulf %a, %b2 : f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  %v1 = linalg.generic {indexing_maps = [#id, #id, #id, #id], iterator_types = ["parallel"]}
      ins(%v0, %g, %g : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
      outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
    %p = arith.mulf %b, %c : f32
    %val = arith.truncf %one_minus_beta2 : f64 to f32
    %q = arith.mulf %p, %val : f32
    %r = arith.addf %a, %q : f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  // bias_correction1 = 1 - beta1 ** step, bias_correction2 = 1 - beta2 ** step
  %bc1 = linalg.generic {indexing_maps = [#s0, #s0], iterator_types = []}
      ins(%step : tensor<i64>) outs(%e0 : tensor<f32>) {
  ^bb0(%t: i64, %o: f32):
    %tf = arith.sitofp %t : i64 to f32
    %b = arith.truncf %beta1 : f64 to f32
    %p = math.powf %b, %tf : f32
    %c1 = arith.truncf %one : f64 to f32
    %r = arith.subf %c1, %p : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  %bc2 = linalg.generic {indexing_maps = [#s0, #s0], iterator_types = []}
      ins(%step : tensor<i64>) outs(%e0 : tensor<f32>) {
  ^bb0(%t: i64, %o: f32):
    %tf = arith.sitofp %t : i64 to f32
    %b = arith.truncf %beta2 : f64 to f32
    %p = math.powf %b, %tf : f32
    %c1 = arith.truncf %one : f64 to f32
    %r = arith.subf %c1, %p : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  // step_size = lr / bias_correction1; bias_correction2_sqrt = sqrt(bc2)
  %ss = linalg.generic {indexing_maps = [#s0, #s0], iterator_types = []}
      ins(%bc1 : tensor<f32>) outs(%e0 : tensor<f32>) {
  ^bb0(%x: f32, %o: f32):
    %l = arith.truncf %lr : f64 to f32
    %r = arith.divf %l, %x : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  %nss = linalg.generic {indexing_maps = [#s0, #s0], iterator_types = []}
      ins(%ss : tensor<f32>) outs(%e0 : tensor<f32>) {
  ^bb0(%x: f32, %o: f32):
    %r = arith.negf %x : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  %bs = linalg.generic {indexing_maps = [#s0, #s0], iterator_types = []}
      ins(%bc2 : tensor<f32>) outs(%e0 : tensor<f32>) {
  ^bb0(%x: f32, %o: f32):
    %r = math.sqrt %x : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%v1 : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = math.sqrt %x : f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  %dn = linalg.generic {indexing_maps = [#id, #sc, #id], iterator_types = ["parallel"]}
      ins(%sq, %bs : tensor<16xf32>, tensor<f32>) outs(%e : tensor<16xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %r = arith.divf %x, %y : f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  %de = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%dn : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %ep = arith.truncf %eps : f64 to f32
    %r = arith.addf %x, %ep : f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  // param.addcdiv_(exp_avg, denom, value=-step_size)
  %w1 = linalg.generic {indexing_maps = [#id, #id, #id, #sc, #id], iterator_types = ["parallel"]}
      ins(%w, %m1, %de, %nss : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<f32>)
      outs(%e : tensor<16xf32>) {
  ^bb0(%x: f32, %a: f32, %b: f32, %s: f32, %o: f32):
    %q = arith.divf %a, %b : f32
    %p = arith.mulf %s, %q : f32
    %r = arith.addf %x, %p : f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  return %w1, %m1, %v1 : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}

// -----

/// JAX/optax -> StableHLO -> linalg (primitive ops: linalg.map,
/// linalg.broadcast, linalg.reduce): optax.adamw's scale_by_adam,
/// add_decayed_weights and scale_by_learning_rate, with the i32 count
/// incremented in the step, optax's constants computed in Python double
/// (1 - 0.999 written as 1.0e-3, which 1 - 0.999f only matches to 1.3e-5:
/// raised with the default tolerance, not with tolerance=1e-6) and
/// eps_root = 0 inside the square root.
// CHECK-LABEL: func.func @adamw_optax
// CHECK-SAME: (%[[W:[^:]*]]: tensor<4x8xf32>, %[[G:[^:]*]]: tensor<4x8xf32>, %[[M:[^:]*]]: tensor<4x8xf32>, %[[V:[^:]*]]: tensor<4x8xf32>, %[[C:[^:]*]]: tensor<i32>)
// CHECK: %[[C1:.*]] = linalg.map {{.*}} ins(%[[C]]
// CHECK: %[[T:.*]] = tensor.extract %[[C1]][] : tensor<i32>
// CHECK-NEXT: %[[T64:.*]] = arith.extsi %[[T]] : i32 to i64
// CHECK-NEXT: %[[W1:[^,]*]], %[[M1:[^,]*]], %[[V1:[^ ]*]] = qopt.adam_update %[[W]], %[[G]], %[[M]], %[[V]], %[[T64]] {lr = 2.000000e-03 : f32, weight_decay = 0.00999999977 : f32} : tensor<4x8xf32>
// CHECK-NOT: linalg.map
// CHECK: return %[[W1]], %[[M1]], %[[V1]], %[[C1]]
// TIGHT-LABEL: func.func @adamw_optax
// TIGHT-NOT: qopt.adam_update
// TIGHT: return
func.func @adamw_optax(%w: tensor<4x8xf32>, %g: tensor<4x8xf32>,
                       %mu: tensor<4x8xf32>, %nu: tensor<4x8xf32>,
                       %count: tensor<i32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<i32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %ef = tensor.empty() : tensor<f32>
  %ei = tensor.empty() : tensor<i32>
  %c1i = arith.constant dense<1> : tensor<i32>
  %b1s = arith.constant dense<0.9> : tensor<f32>
  %b2s = arith.constant dense<0.999> : tensor<f32>
  %ones = arith.constant dense<1.0> : tensor<f32>
  %b1 = arith.constant dense<0.9> : tensor<4x8xf32>
  %c1 = arith.constant dense<0.1> : tensor<4x8xf32>
  %b2 = arith.constant dense<0.999> : tensor<4x8xf32>
  %c2 = arith.constant dense<1.0e-3> : tensor<4x8xf32>
  %eps_root = arith.constant dense<0.0> : tensor<4x8xf32>
  %eps = arith.constant dense<1.0e-8> : tensor<4x8xf32>
  %wd = arith.constant dense<1.0e-2> : tensor<4x8xf32>
  %neg_lr = arith.constant dense<-2.0e-3> : tensor<4x8xf32>
  // count_inc = count + 1
  %count1 = linalg.map { arith.addi } ins(%count, %c1i : tensor<i32>, tensor<i32>) outs(%ei : tensor<i32>)
  // mu = (1 - b1) g + b1 mu; nu = (1 - b2) g^2 + b2 nu
  %g1 = linalg.map { arith.mulf } ins(%c1, %g : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %m0 = linalg.map { arith.mulf } ins(%b1, %mu : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %m1 = linalg.map { arith.addf } ins(%g1, %m0 : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %gg = linalg.map { arith.mulf } ins(%g, %g : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %g2 = linalg.map { arith.mulf } ins(%c2, %gg : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %n0 = linalg.map { arith.mulf } ins(%b2, %nu : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %n1 = linalg.map { arith.addf } ins(%g2, %n0 : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  // bias corrections 1 - b^count
  %cf = linalg.map { arith.sitofp } ins(%count1 : tensor<i32>) outs(%ef : tensor<f32>)
  %p1 = linalg.map { math.powf } ins(%b1s, %cf : tensor<f32>, tensor<f32>) outs(%ef : tensor<f32>)
  %bc1 = linalg.map { arith.subf } ins(%ones, %p1 : tensor<f32>, tensor<f32>) outs(%ef : tensor<f32>)
  %p2 = linalg.map { math.powf } ins(%b2s, %cf : tensor<f32>, tensor<f32>) outs(%ef : tensor<f32>)
  %bc2 = linalg.map { arith.subf } ins(%ones, %p2 : tensor<f32>, tensor<f32>) outs(%ef : tensor<f32>)
  %bc1b = linalg.broadcast ins(%bc1 : tensor<f32>) outs(%e : tensor<4x8xf32>) dimensions = [0, 1]
  %bc2b = linalg.broadcast ins(%bc2 : tensor<f32>) outs(%e : tensor<4x8xf32>) dimensions = [0, 1]
  %mh = linalg.map { arith.divf } ins(%m1, %bc1b : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %nh = linalg.map { arith.divf } ins(%n1, %bc2b : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  // mu_hat / (sqrt(nu_hat + eps_root) + eps)
  %nr = linalg.map { arith.addf } ins(%nh, %eps_root : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %sq = linalg.map { math.sqrt } ins(%nr : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %den = linalg.map { arith.addf } ins(%sq, %eps : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %u = linalg.map { arith.divf } ins(%mh, %den : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  // add_decayed_weights, scale_by_learning_rate, apply_updates
  %dw = linalg.map { arith.mulf } ins(%wd, %w : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %u1 = linalg.map { arith.addf } ins(%u, %dw : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %u2 = linalg.map { arith.mulf } ins(%neg_lr, %u1 : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %w1 = linalg.map { arith.addf } ins(%w, %u2 : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  return %w1, %m1, %n1, %count1 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<i32>
}

// -----

/// arith and math ops directly on tensors, splat constants, the step an
/// index converted with uitofp and the bias corrections scalars splat onto
/// tensors; AdamW with the decay written w * (1 - lr wd) (torch's
/// param.mul_(1 - lr * weight_decay)): weight_decay is read off the
/// coefficient 0.999f of w, so 0.01 * weight_decay is 1 - 0.999f.
// CHECK-LABEL: func.func @adamw_arith_on_tensors
// CHECK-SAME: (%[[W:[^:]*]]: tensor<4x8xf32>, %[[G:[^:]*]]: tensor<4x8xf32>, %[[M:[^:]*]]: tensor<4x8xf32>, %[[V:[^:]*]]: tensor<4x8xf32>, %[[T:[^:]*]]: index)
// CHECK: %[[TI:.*]] = arith.index_cast %[[T]] : index to i64
// CHECK: %[[W1:[^,]*]], %[[M1:[^,]*]], %[[V1:[^ ]*]] = qopt.adam_update %[[W]], %[[G]], %[[M]], %[[V]], %[[TI]] {beta1 = 8.000000e-01 : f32, beta2 = 9.900000e-01 : f32, epsilon = 9.99999997E-7 : f32, lr = 0.00999999977 : f32, weight_decay = 0.0999987125 : f32} : tensor<4x8xf32>
// CHECK-NOT: arith.mulf
// CHECK-NOT: tensor.splat
// CHECK: return %[[W1]], %[[M1]], %[[V1]]
func.func @adamw_arith_on_tensors(%w: tensor<4x8xf32>, %g: tensor<4x8xf32>,
                                  %m: tensor<4x8xf32>, %v: tensor<4x8xf32>,
                                  %t: index)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %b1 = arith.constant dense<0.8> : tensor<4x8xf32>
  %c1 = arith.constant dense<0.2> : tensor<4x8xf32>
  %b2 = arith.constant dense<0.99> : tensor<4x8xf32>
  %c2 = arith.constant dense<0.01> : tensor<4x8xf32>
  %eps = arith.constant dense<1.0e-6> : tensor<4x8xf32>
  %lr = arith.constant dense<1.0e-2> : tensor<4x8xf32>
  %keep = arith.constant dense<0.999> : tensor<4x8xf32>
  %one = arith.constant 1.0 : f32
  %sb1 = arith.constant 0.8 : f32
  %sb2 = arith.constant 0.99 : f32
  %wk = arith.mulf %w, %keep : tensor<4x8xf32>
  %m0 = arith.mulf %b1, %m : tensor<4x8xf32>
  %mg = arith.mulf %c1, %g : tensor<4x8xf32>
  %m1 = arith.addf %m0, %mg : tensor<4x8xf32>
  %gg = arith.mulf %g, %g : tensor<4x8xf32>
  %v0 = arith.mulf %b2, %v : tensor<4x8xf32>
  %vg = arith.mulf %c2, %gg : tensor<4x8xf32>
  %v1 = arith.addf %v0, %vg : tensor<4x8xf32>
  %ti = arith.index_cast %t : index to i64
  %tf = arith.uitofp %ti : i64 to f32
  %p1 = math.powf %sb1, %tf : f32
  %bc1 = arith.subf %one, %p1 : f32
  %p2 = math.powf %sb2, %tf : f32
  %bc2 = arith.subf %one, %p2 : f32
  %bc1t = tensor.splat %bc1 : tensor<4x8xf32>
  %bc2t = tensor.splat %bc2 : tensor<4x8xf32>
  %mh = arith.divf %m1, %bc1t : tensor<4x8xf32>
  %vh = arith.divf %v1, %bc2t : tensor<4x8xf32>
  %s = math.sqrt %vh : tensor<4x8xf32>
  %d = arith.addf %s, %eps : tensor<4x8xf32>
  %u = arith.divf %mh, %d : tensor<4x8xf32>
  %lu = arith.mulf %lr, %u : tensor<4x8xf32>
  %w1 = arith.subf %wk, %lu : tensor<4x8xf32>
  return %w1, %m1, %v1 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
/// One fused elementwise generic (what linalg elementwise fusion makes of
/// an exported step): Adam with L2 regularisation (torch.optim.Adam's
/// weight_decay: grad + wd * param before the moments), epsilon inside the
/// square root, the bias corrections from math.fpowi of an i32 step.
// CHECK-LABEL: func.func @adam_l2_eps_inside_fused
// CHECK-SAME: (%[[W:[^:]*]]: tensor<?xf32>, %[[G:[^:]*]]: tensor<?xf32>, %[[M:[^:]*]]: tensor<?xf32>, %[[V:[^:]*]]: tensor<?xf32>, %[[T:[^:]*]]: i32)
// CHECK: %[[T64:.*]] = arith.extsi %[[T]] : i32 to i64
// CHECK-NEXT: %[[W1:[^,]*]], %[[M1:[^,]*]], %[[V1:[^ ]*]] = qopt.adam_update %[[W]], %[[G]], %[[M]], %[[V]], %[[T64]] {decoupled_weight_decay = false, epsilon_inside_sqrt = true, lr = 1.000000e-03 : f32, weight_decay = 5.000000e-02 : f32} : tensor<?xf32>
// CHECK-NOT: linalg.generic
// CHECK: return %[[W1]], %[[M1]], %[[V1]]
func.func @adam_l2_eps_inside_fused(%w: tensor<?xf32>, %g: tensor<?xf32>,
                                    %m: tensor<?xf32>, %v: tensor<?xf32>,
                                    %t: i32)
    -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %b1 = arith.constant 0.9 : f32
  %b2 = arith.constant 0.999 : f32
  %one = arith.constant 1.0 : f32
  %wd = arith.constant 0.05 : f32
  %eps = arith.constant 1.0e-8 : f32
  %lr = arith.constant 1.0e-3 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %w, %c0 : tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %r:3 = linalg.generic {indexing_maps = [#id, #id, #id, #id, #id, #id, #id],
                         iterator_types = ["parallel"]}
      ins(%w, %g, %m, %v : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>)
      outs(%e, %e, %e : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  ^bb0(%wi: f32, %gi: f32, %mi: f32, %vi: f32, %o0: f32, %o1: f32, %o2: f32):
    %dw = arith.mulf %wd, %wi : f32
    %ge = arith.addf %gi, %dw : f32
    %c1 = arith.subf %one, %b1 : f32
    %c2 = arith.subf %one, %b2 : f32
    %m0 = arith.mulf %b1, %mi : f32
    %mg = arith.mulf %c1, %ge : f32
    %m1 = arith.addf %m0, %mg : f32
    %v0 = arith.mulf %b2, %vi : f32
    %g2 = arith.mulf %ge, %ge : f32
    %vg = arith.mulf %c2, %g2 : f32
    %v1 = arith.addf %v0, %vg : f32
    %p1 = math.fpowi %b1, %t : f32, i32
    %p2 = math.fpowi %b2, %t : f32, i32
    %bc1 = arith.subf %one, %p1 : f32
    %bc2 = arith.subf %one, %p2 : f32
    %mh = arith.divf %m1, %bc1 : f32
    %vh = arith.divf %v1, %bc2 : f32
    %ve = arith.addf %vh, %eps : f32
    %s = math.sqrt %ve : f32
    %q = arith.divf %mh, %s : f32
    %lq = arith.mulf %lr, %q : f32
    %w1 = arith.subf %wi, %lq : f32
    linalg.yield %w1, %m1, %v1 : f32, f32, f32
  } -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>)
  return %r#0, %r#1, %r#2 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
/// Without bias correction (m' and v' used as they are): the raised op
/// does not read its step, which is a constant 1.
// CHECK-LABEL: func.func @adamw_no_bias_correction
// CHECK: %[[ONE:.*]] = arith.constant 1 : i64
// CHECK-NEXT: %[[W1:[^,]*]], %[[M1:[^,]*]], %[[V1:[^ ]*]] = qopt.adam_update %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ONE]] {bias_correction = false, lr = 5.000000e-03 : f32, weight_decay = 0.100000009 : f32} : tensor<32xf32>
// CHECK-NOT: linalg.generic
// CHECK: return %[[W1]], %[[M1]], %[[V1]]
func.func @adamw_no_bias_correction(%w: tensor<32xf32>, %g: tensor<32xf32>,
                                    %m: tensor<32xf32>, %v: tensor<32xf32>)
    -> (tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) {
  %b1 = arith.constant 0.9 : f32
  %c1 = arith.constant 0.1 : f32
  %b2 = arith.constant 0.999 : f32
  %c2 = arith.constant 0.001 : f32
  %eps = arith.constant 1.0e-8 : f32
  %lr = arith.constant 5.0e-3 : f32
  %lrwd = arith.constant 5.0e-4 : f32
  %r:3 = linalg.generic {indexing_maps = [#id, #id, #id, #id],
                         iterator_types = ["parallel"]}
      ins(%g : tensor<32xf32>)
      outs(%w, %m, %v : tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) {
  ^bb0(%gi: f32, %wi: f32, %mi: f32, %vi: f32):
    %m0 = arith.mulf %b1, %mi : f32
    %mg = arith.mulf %c1, %gi : f32
    %m1 = arith.addf %m0, %mg : f32
    %v0 = arith.mulf %b2, %vi : f32
    %g2 = arith.mulf %gi, %gi : f32
    %vg = arith.mulf %c2, %g2 : f32
    %v1 = arith.addf %v0, %vg : f32
    %s = math.sqrt %v1 : f32
    %d = arith.addf %s, %eps : f32
    %q = arith.divf %m1, %d : f32
    %lq = arith.mulf %lr, %q : f32
    %w1 = arith.subf %wi, %lq : f32
    %dk = arith.mulf %lrwd, %wi : f32
    %w2 = arith.subf %w1, %dk : f32
    linalg.yield %w2, %m1, %v1 : f32, f32, f32
  } -> (tensor<32xf32>, tensor<32xf32>, tensor<32xf32>)
  return %r#0, %r#1, %r#2 : tensor<32xf32>, tensor<32xf32>, tensor<32xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
/// The learning rate a function argument: the operand lr(%x) (more forms
/// in qopt-raise-optimizers-dynamic.mlir).
// CHECK-LABEL: func.func @adam_lr_argument
// CHECK-SAME: %[[LR:[^:]*]]: f32)
// CHECK: qopt.adam_update %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} lr(%[[LR]]) {bias_correction = false} : tensor<32xf32>
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @adam_lr_argument(%w: tensor<32xf32>, %g: tensor<32xf32>,
                            %m: tensor<32xf32>, %v: tensor<32xf32>,
                            %lr: f32)
    -> (tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) {
  %b1 = arith.constant 0.9 : f32
  %c1 = arith.constant 0.1 : f32
  %b2 = arith.constant 0.999 : f32
  %c2 = arith.constant 0.001 : f32
  %eps = arith.constant 1.0e-8 : f32
  %r:3 = linalg.generic {indexing_maps = [#id, #id, #id, #id],
                         iterator_types = ["parallel"]}
      ins(%g : tensor<32xf32>)
      outs(%w, %m, %v : tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) {
  ^bb0(%gi: f32, %wi: f32, %mi: f32, %vi: f32):
    %m0 = arith.mulf %b1, %mi : f32
    %mg = arith.mulf %c1, %gi : f32
    %m1 = arith.addf %m0, %mg : f32
    %v0 = arith.mulf %b2, %vi : f32
    %g2 = arith.mulf %gi, %gi : f32
    %vg = arith.mulf %c2, %g2 : f32
    %v1 = arith.addf %v0, %vg : f32
    %s = math.sqrt %v1 : f32
    %d = arith.addf %s, %eps : f32
    %q = arith.divf %m1, %d : f32
    %lq = arith.mulf %lr, %q : f32
    %w1 = arith.subf %wi, %lq : f32
    linalg.yield %w1, %m1, %v1 : f32, f32, f32
  } -> (tensor<32xf32>, tensor<32xf32>, tensor<32xf32>)
  return %r#0, %r#1, %r#2 : tensor<32xf32>, tensor<32xf32>, tensor<32xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
/// negative: the step is a float (torch's state_steps tensor); an integer
/// step cannot be recovered exactly from it.
// CHECK-LABEL: func.func @negative_adam_float_step
// CHECK-NOT: qopt.adam_update
// CHECK: math.powf
// CHECK: return
func.func @negative_adam_float_step(%w: tensor<32xf32>, %g: tensor<32xf32>,
                                    %m: tensor<32xf32>, %v: tensor<32xf32>,
                                    %t: f32)
    -> (tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) {
  %b1 = arith.constant 0.9 : f32
  %c1 = arith.constant 0.1 : f32
  %b2 = arith.constant 0.999 : f32
  %c2 = arith.constant 0.001 : f32
  %eps = arith.constant 1.0e-8 : f32
  %lr = arith.constant 1.0e-3 : f32
  %one = arith.constant 1.0 : f32
  %p1 = math.powf %b1, %t : f32
  %p2 = math.powf %b2, %t : f32
  %bc1 = arith.subf %one, %p1 : f32
  %bc2 = arith.subf %one, %p2 : f32
  %r:3 = linalg.generic {indexing_maps = [#id, #id, #id, #id],
                         iterator_types = ["parallel"]}
      ins(%g : tensor<32xf32>)
      outs(%w, %m, %v : tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) {
  ^bb0(%gi: f32, %wi: f32, %mi: f32, %vi: f32):
    %m0 = arith.mulf %b1, %mi : f32
    %mg = arith.mulf %c1, %gi : f32
    %m1 = arith.addf %m0, %mg : f32
    %v0 = arith.mulf %b2, %vi : f32
    %g2 = arith.mulf %gi, %gi : f32
    %vg = arith.mulf %c2, %g2 : f32
    %v1 = arith.addf %v0, %vg : f32
    %mh = arith.divf %m1, %bc1 : f32
    %vh = arith.divf %v1, %bc2 : f32
    %s = math.sqrt %vh : f32
    %d = arith.addf %s, %eps : f32
    %q = arith.divf %mh, %d : f32
    %lq = arith.mulf %lr, %q : f32
    %w1 = arith.subf %wi, %lq : f32
    linalg.yield %w1, %m1, %v1 : f32, f32, f32
  } -> (tensor<32xf32>, tensor<32xf32>, tensor<32xf32>)
  return %r#0, %r#1, %r#2 : tensor<32xf32>, tensor<32xf32>, tensor<32xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
/// negative: the first moment's coefficients do not add up to 1 (0.9 m +
/// 0.2 g is not Adam), so nothing is raised, not even partly.
// CHECK-LABEL: func.func @negative_adam_wrong_moment
// CHECK-NOT: qopt.adam_update
// CHECK: linalg.generic
// CHECK: return
func.func @negative_adam_wrong_moment(%w: tensor<32xf32>, %g: tensor<32xf32>,
                                      %m: tensor<32xf32>, %v: tensor<32xf32>)
    -> (tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) {
  %b1 = arith.constant 0.9 : f32
  %c1 = arith.constant 0.2 : f32
  %b2 = arith.constant 0.999 : f32
  %c2 = arith.constant 0.001 : f32
  %eps = arith.constant 1.0e-8 : f32
  %lr = arith.constant 1.0e-3 : f32
  %r:3 = linalg.generic {indexing_maps = [#id, #id, #id, #id],
                         iterator_types = ["parallel"]}
      ins(%g : tensor<32xf32>)
      outs(%w, %m, %v : tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) {
  ^bb0(%gi: f32, %wi: f32, %mi: f32, %vi: f32):
    %m0 = arith.mulf %b1, %mi : f32
    %mg = arith.mulf %c1, %gi : f32
    %m1 = arith.addf %m0, %mg : f32
    %v0 = arith.mulf %b2, %vi : f32
    %g2 = arith.mulf %gi, %gi : f32
    %vg = arith.mulf %c2, %g2 : f32
    %v1 = arith.addf %v0, %vg : f32
    %s = math.sqrt %v1 : f32
    %d = arith.addf %s, %eps : f32
    %q = arith.divf %m1, %d : f32
    %lq = arith.mulf %lr, %q : f32
    %w1 = arith.subf %wi, %lq : f32
    linalg.yield %w1, %m1, %v1 : f32, f32, f32
  } -> (tensor<32xf32>, tensor<32xf32>, tensor<32xf32>)
  return %r#0, %r#1, %r#2 : tensor<32xf32>, tensor<32xf32>, tensor<32xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
/// negative: AMSGrad (the denominator uses max(v_max, v')) is not Adam.
// CHECK-LABEL: func.func @negative_amsgrad
// CHECK-NOT: qopt.adam_update
// CHECK: arith.maximumf
// CHECK: return
func.func @negative_amsgrad(%w: tensor<32xf32>, %g: tensor<32xf32>,
                            %m: tensor<32xf32>, %v: tensor<32xf32>,
                            %vmax: tensor<32xf32>)
    -> (tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) {
  %b1 = arith.constant 0.9 : f32
  %c1 = arith.constant 0.1 : f32
  %b2 = arith.constant 0.999 : f32
  %c2 = arith.constant 0.001 : f32
  %eps = arith.constant 1.0e-8 : f32
  %lr = arith.constant 1.0e-3 : f32
  %e = tensor.empty() : tensor<32xf32>
  %r:4 = linalg.generic {indexing_maps = [#id, #id, #id, #id, #id, #id, #id, #id, #id],
                         iterator_types = ["parallel"]}
      ins(%w, %g, %m, %v, %vmax : tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>)
      outs(%e, %e, %e, %e : tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) {
  ^bb0(%wi: f32, %gi: f32, %mi: f32, %vi: f32, %xi: f32, %o0: f32, %o1: f32, %o2: f32, %o3: f32):
    %m0 = arith.mulf %b1, %mi : f32
    %mg = arith.mulf %c1, %gi : f32
    %m1 = arith.addf %m0, %mg : f32
    %v0 = arith.mulf %b2, %vi : f32
    %g2 = arith.mulf %gi, %gi : f32
    %vg = arith.mulf %c2, %g2 : f32
    %v1 = arith.addf %v0, %vg : f32
    %vm = arith.maximumf %xi, %v1 : f32
    %s = math.sqrt %vm : f32
    %d = arith.addf %s, %eps : f32
    %q = arith.divf %m1, %d : f32
    %lq = arith.mulf %lr, %q : f32
    %w1 = arith.subf %wi, %lq : f32
    linalg.yield %w1, %m1, %v1, %vm : f32, f32, f32, f32
  } -> (tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>)
  return %r#0, %r#1, %r#2, %r#3 : tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
/// negative: the second moment is never a tensor of its own (only w' is
/// yielded), so there is no v' for the op to return.
// CHECK-LABEL: func.func @negative_adam_no_second_moment_result
// CHECK-NOT: qopt.adam_update
// CHECK: linalg.generic
// CHECK: return
func.func @negative_adam_no_second_moment_result(
    %w: tensor<32xf32>, %g: tensor<32xf32>, %m: tensor<32xf32>,
    %v: tensor<32xf32>) -> (tensor<32xf32>, tensor<32xf32>) {
  %b1 = arith.constant 0.9 : f32
  %c1 = arith.constant 0.1 : f32
  %b2 = arith.constant 0.999 : f32
  %c2 = arith.constant 0.001 : f32
  %eps = arith.constant 1.0e-8 : f32
  %lr = arith.constant 1.0e-3 : f32
  %r:2 = linalg.generic {indexing_maps = [#id, #id, #id, #id],
                         iterator_types = ["parallel"]}
      ins(%g, %v : tensor<32xf32>, tensor<32xf32>)
      outs(%w, %m : tensor<32xf32>, tensor<32xf32>) {
  ^bb0(%gi: f32, %vi: f32, %wi: f32, %mi: f32):
    %m0 = arith.mulf %b1, %mi : f32
    %mg = arith.mulf %c1, %gi : f32
    %m1 = arith.addf %m0, %mg : f32
    %v0 = arith.mulf %b2, %vi : f32
    %g2 = arith.mulf %gi, %gi : f32
    %vg = arith.mulf %c2, %g2 : f32
    %v1 = arith.addf %v0, %vg : f32
    %s = math.sqrt %v1 : f32
    %d = arith.addf %s, %eps : f32
    %q = arith.divf %m1, %d : f32
    %lq = arith.mulf %lr, %q : f32
    %w1 = arith.subf %wi, %lq : f32
    linalg.yield %w1, %m1 : f32, f32
  } -> (tensor<32xf32>, tensor<32xf32>)
  return %r#0, %r#1 : tensor<32xf32>, tensor<32xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#sc2 = affine_map<(d0, d1) -> ()>
#s0 = affine_map<() -> ()>

/// Muon as torch -> linalg exports the reference implementation on a tall
/// weight (8 x 4): buf.mul_(momentum).add_(grad), the Nesterov update
/// grad.add(buf, alpha=momentum), X / (X.norm() + eps) (aten's vector norm:
/// powf(|x|, 2) summed, then powf(., 0.5)), X.T because rows > cols, five
/// Newton-Schulz steps A = X @ X.T, B = b A + c A @ A, X = a X + B @ X,
/// X.T back and p.add_(X, alpha=-lr * sqrt(max(1, rows / cols))).
// CHECK-LABEL: func.func @muon_torch_tall
// CHECK-SAME: (%[[W:[^:]*]]: tensor<8x4xf32>, %[[G:[^:]*]]: tensor<8x4xf32>, %[[B:[^:]*]]: tensor<8x4xf32>)
// CHECK-NEXT: %[[W1:[^,]*]], %[[B1:[^ ]*]] = qopt.muon_update %[[W]], %[[G]], %[[B]] {lr = 2.000000e-02 : f32} : tensor<8x4xf32>
// CHECK-NEXT: return %[[W1]], %[[B1]]
func.func @muon_torch_tall(%w: tensor<8x4xf32>, %g: tensor<8x4xf32>,
                           %buf: tensor<8x4xf32>)
    -> (tensor<8x4xf32>, tensor<8x4xf32>) {
  %mu = arith.constant 0.94999999999999996 : f64
  %two = arith.constant 2.000000e+00 : f64
  %half = arith.constant 5.000000e-01 : f64
  %eps = arith.constant 1.000000e-07 : f64
  %a = arith.constant 3.4445 : f32
  %b = arith.constant -4.7750 : f32
  %c = arith.constant 2.0315 : f32
  %alpha = arith.constant -0.028284271247461901 : f64
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x4xf32>
  %e0 = tensor.empty() : tensor<f32>
  %b1 = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%buf, %g : tensor<8x4xf32>, tensor<8x4xf32>) outs(%e : tensor<8x4xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %m = arith.truncf %mu : f64 to f32
    %p = arith.mulf %x, %m : f32
    %r = arith.addf %p, %y : f32
    linalg.yield %r : f32
  } -> tensor<8x4xf32>
  %u = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%g, %b1 : tensor<8x4xf32>, tensor<8x4xf32>) outs(%e : tensor<8x4xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %m = arith.truncf %mu : f64 to f32
    %p = arith.mulf %y, %m : f32
    %r = arith.addf %x, %p : f32
    linalg.yield %r : f32
  } -> tensor<8x4xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %ss = linalg.generic {indexing_maps = [#id2, #sc2], iterator_types = ["reduction", "reduction"]}
      ins(%u : tensor<8x4xf32>) outs(%z0 : tensor<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %ab = math.absf %x : f32
    %o = arith.truncf %two : f64 to f32
    %p = math.powf %ab, %o : f32
    %r = arith.addf %p, %acc : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  %nrm = linalg.generic {indexing_maps = [#s0, #s0], iterator_types = []}
      ins(%ss : tensor<f32>) outs(%e0 : tensor<f32>) {
  ^bb0(%x: f32, %o: f32):
    %h = arith.truncf %half : f64 to f32
    %r = math.powf %x, %h : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  %den = linalg.generic {indexing_maps = [#s0, #s0], iterator_types = []}
      ins(%nrm : tensor<f32>) outs(%e0 : tensor<f32>) {
  ^bb0(%x: f32, %o: f32):
    %ep = arith.truncf %eps : f64 to f32
    %r = arith.addf %x, %ep : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  %x0 = linalg.generic {indexing_maps = [#id2, #sc2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%u, %den : tensor<8x4xf32>, tensor<f32>) outs(%e : tensor<8x4xf32>) {
  ^bb0(%x: f32, %d: f32, %o: f32):
    %r = arith.divf %x, %d : f32
    linalg.yield %r : f32
  } -> tensor<8x4xf32>
  %et = tensor.empty() : tensor<4x8xf32>
  %x0t = linalg.transpose ins(%x0 : tensor<8x4xf32>) outs(%et : tensor<4x8xf32>) permutation = [1, 0]
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %xf = scf.for %i = %c0 to %c5 step %c1 iter_args(%x = %x0t) -> (tensor<4x8xf32>) {
    %xt = linalg.transpose ins(%x : tensor<4x8xf32>) outs(%e : tensor<8x4xf32>) permutation = [1, 0]
    %e44 = tensor.empty() : tensor<4x4xf32>
    %z44 = linalg.fill ins(%zero : f32) outs(%e44 : tensor<4x4xf32>) -> tensor<4x4xf32>
    %am = linalg.matmul ins(%x, %xt : tensor<4x8xf32>, tensor<8x4xf32>) outs(%z44 : tensor<4x4xf32>) -> tensor<4x4xf32>
    %aa = linalg.matmul ins(%am, %am : tensor<4x4xf32>, tensor<4x4xf32>) outs(%z44 : tensor<4x4xf32>) -> tensor<4x4xf32>
    %bm = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
        ins(%am, %aa : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e44 : tensor<4x4xf32>) {
    ^bb0(%p: f32, %q: f32, %o: f32):
      %s = arith.mulf %b, %p : f32
      %t = arith.mulf %c, %q : f32
      %r = arith.addf %s, %t : f32
      linalg.yield %r : f32
    } -> tensor<4x4xf32>
    %z48 = linalg.fill ins(%zero : f32) outs(%et : tensor<4x8xf32>) -> tensor<4x8xf32>
    %bx = linalg.matmul ins(%bm, %x : tensor<4x4xf32>, tensor<4x8xf32>) outs(%z48 : tensor<4x8xf32>) -> tensor<4x8xf32>
    %xn = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
        ins(%x, %bx : tensor<4x8xf32>, tensor<4x8xf32>) outs(%et : tensor<4x8xf32>) {
    ^bb0(%p: f32, %q: f32, %o: f32):
      %s = arith.mulf %a, %p : f32
      %r = arith.addf %s, %q : f32
      linalg.yield %r : f32
    } -> tensor<4x8xf32>
    scf.yield %xn : tensor<4x8xf32>
  }
  %xb = linalg.transpose ins(%xf : tensor<4x8xf32>) outs(%e : tensor<8x4xf32>) permutation = [1, 0]
  %w1 = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%w, %xb : tensor<8x4xf32>, tensor<8x4xf32>) outs(%e : tensor<8x4xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %al = arith.truncf %alpha : f64 to f32
    %p = arith.mulf %y, %al : f32
    %r = arith.addf %x, %p : f32
    linalg.yield %r : f32
  } -> tensor<8x4xf32>
  return %w1, %b1 : tensor<8x4xf32>, tensor<8x4xf32>
}

// -----

#mk = affine_map<(m, n, k) -> (m, k)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>

/// Muon through StableHLO -> linalg on a wide weight (4 x 8): no Nesterov,
/// the norm a linalg.reduce of U * U, A = X X^T a dot_general contracting
/// both operands' dimension 1 (a linalg.matmul with transposed-B maps),
/// X = a X + B X a matmul accumulating onto a X, and decoupled decay
/// written W * (1 - lr wd) - lr X.
// CHECK-LABEL: func.func @muon_stablehlo_wide
// CHECK-SAME: (%[[W:[^:]*]]: tensor<4x8xf32>, %[[G:[^:]*]]: tensor<4x8xf32>, %[[B:[^:]*]]: tensor<4x8xf32>)
// CHECK-NEXT: %[[W1:[^,]*]], %[[B1:[^ ]*]] = qopt.muon_update %[[W]], %[[G]], %[[B]] {epsilon = 9.99999993E-9 : f32, lr = 2.000000e-02 : f32, momentum = 0.899999976 : f32, nesterov = false, ns_steps = 3 : i64, weight_decay = 0.0999987125 : f32} : tensor<4x8xf32>
// CHECK-NEXT: return %[[W1]], %[[B1]]
func.func @muon_stablehlo_wide(%w: tensor<4x8xf32>, %g: tensor<4x8xf32>,
                               %buf: tensor<4x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %mu = arith.constant dense<0.9> : tensor<4x8xf32>
  %eps = arith.constant dense<1.0e-8> : tensor<f32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %z44 = arith.constant dense<0.0> : tensor<4x4xf32>
  %a = arith.constant dense<3.4445> : tensor<4x8xf32>
  %b = arith.constant dense<-4.7750> : tensor<4x4xf32>
  %c = arith.constant dense<2.0315> : tensor<4x4xf32>
  %keep = arith.constant dense<0.998> : tensor<4x8xf32>
  %lr = arith.constant dense<0.02> : tensor<4x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %e0 = tensor.empty() : tensor<f32>
  %e44 = tensor.empty() : tensor<4x4xf32>
  %mb = linalg.map { arith.mulf } ins(%mu, %buf : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %b1 = linalg.map { arith.addf } ins(%mb, %g : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %sq = linalg.map { arith.mulf } ins(%b1, %b1 : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %ss = linalg.reduce { arith.addf } ins(%sq : tensor<4x8xf32>) outs(%zero : tensor<f32>) dimensions = [0, 1]
  %nrm = linalg.map { math.sqrt } ins(%ss : tensor<f32>) outs(%e0 : tensor<f32>)
  %den = linalg.map { arith.addf } ins(%nrm, %eps : tensor<f32>, tensor<f32>) outs(%e0 : tensor<f32>)
  %denb = linalg.broadcast ins(%den : tensor<f32>) outs(%e : tensor<4x8xf32>) dimensions = [0, 1]
  %x0 = linalg.map { arith.divf } ins(%b1, %denb : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %xf = scf.for %i = %c0 to %c3 step %c1 iter_args(%x = %x0) -> (tensor<4x8xf32>) {
    %am = linalg.matmul indexing_maps = [#mk, #nk, #mn]
        ins(%x, %x : tensor<4x8xf32>, tensor<4x8xf32>) outs(%z44 : tensor<4x4xf32>) -> tensor<4x4xf32>
    %aa = linalg.matmul ins(%am, %am : tensor<4x4xf32>, tensor<4x4xf32>) outs(%z44 : tensor<4x4xf32>) -> tensor<4x4xf32>
    %ba = linalg.map { arith.mulf } ins(%b, %am : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e44 : tensor<4x4xf32>)
    %ca = linalg.map { arith.mulf } ins(%c, %aa : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e44 : tensor<4x4xf32>)
    %bm = linalg.map { arith.addf } ins(%ba, %ca : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e44 : tensor<4x4xf32>)
    %ax = linalg.map { arith.mulf } ins(%a, %x : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
    %xn = linalg.matmul ins(%bm, %x : tensor<4x4xf32>, tensor<4x8xf32>) outs(%ax : tensor<4x8xf32>) -> tensor<4x8xf32>
    scf.yield %xn : tensor<4x8xf32>
  }
  %wk = linalg.map { arith.mulf } ins(%w, %keep : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %lx = linalg.map { arith.mulf } ins(%lr, %xf : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %w1 = linalg.map { arith.subf } ins(%wk, %lx : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  return %w1, %b1 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>

/// negative: EMA momentum (B' = mu B + (1 - mu) G, the newer reference
/// implementation's lerp) is not qopt.muon_update's B' = mu B + G.
// CHECK-LABEL: func.func @negative_muon_ema_momentum
// CHECK-NOT: qopt.muon_update
// CHECK: scf.for
// CHECK: return
func.func @negative_muon_ema_momentum(%w: tensor<4x8xf32>, %g: tensor<4x8xf32>,
                                      %buf: tensor<4x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %mu = arith.constant dense<0.9> : tensor<4x8xf32>
  %omu = arith.constant dense<0.1> : tensor<4x8xf32>
  %eps = arith.constant dense<1.0e-7> : tensor<f32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %z44 = arith.constant dense<0.0> : tensor<4x4xf32>
  %a = arith.constant dense<3.4445> : tensor<4x8xf32>
  %b = arith.constant dense<-4.7750> : tensor<4x4xf32>
  %c = arith.constant dense<2.0315> : tensor<4x4xf32>
  %lr = arith.constant dense<0.02> : tensor<4x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %e0 = tensor.empty() : tensor<f32>
  %e44 = tensor.empty() : tensor<4x4xf32>
  %et = tensor.empty() : tensor<8x4xf32>
  %mb = linalg.map { arith.mulf } ins(%mu, %buf : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %og = linalg.map { arith.mulf } ins(%omu, %g : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %b1 = linalg.map { arith.addf } ins(%mb, %og : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %sq = linalg.map { arith.mulf } ins(%b1, %b1 : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %ss = linalg.reduce { arith.addf } ins(%sq : tensor<4x8xf32>) outs(%zero : tensor<f32>) dimensions = [0, 1]
  %nrm = linalg.map { math.sqrt } ins(%ss : tensor<f32>) outs(%e0 : tensor<f32>)
  %den = linalg.map { arith.addf } ins(%nrm, %eps : tensor<f32>, tensor<f32>) outs(%e0 : tensor<f32>)
  %denb = linalg.broadcast ins(%den : tensor<f32>) outs(%e : tensor<4x8xf32>) dimensions = [0, 1]
  %x0 = linalg.map { arith.divf } ins(%b1, %denb : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %xf = scf.for %i = %c0 to %c5 step %c1 iter_args(%x = %x0) -> (tensor<4x8xf32>) {
    %xt = linalg.transpose ins(%x : tensor<4x8xf32>) outs(%et : tensor<8x4xf32>) permutation = [1, 0]
    %am = linalg.matmul ins(%x, %xt : tensor<4x8xf32>, tensor<8x4xf32>) outs(%z44 : tensor<4x4xf32>) -> tensor<4x4xf32>
    %aa = linalg.matmul ins(%am, %am : tensor<4x4xf32>, tensor<4x4xf32>) outs(%z44 : tensor<4x4xf32>) -> tensor<4x4xf32>
    %ba = linalg.map { arith.mulf } ins(%b, %am : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e44 : tensor<4x4xf32>)
    %ca = linalg.map { arith.mulf } ins(%c, %aa : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e44 : tensor<4x4xf32>)
    %bm = linalg.map { arith.addf } ins(%ba, %ca : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e44 : tensor<4x4xf32>)
    %ax = linalg.map { arith.mulf } ins(%a, %x : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
    %xn = linalg.matmul ins(%bm, %x : tensor<4x4xf32>, tensor<4x8xf32>) outs(%ax : tensor<4x8xf32>) -> tensor<4x8xf32>
    scf.yield %xn : tensor<4x8xf32>
  }
  %lx = linalg.map { arith.mulf } ins(%lr, %xf : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %w1 = linalg.map { arith.subf } ins(%w, %lx : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  return %w1, %b1 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

/// qopt's own lowering raises back to the ops it came from, with the same
/// attributes (ROUNDTRIP); qopt ops are left alone.
// CHECK-LABEL: func.func @qopt_ops_round_trip
// CHECK-NEXT: qopt.adam_update
// CHECK-NEXT: qopt.muon_update
// CHECK-NEXT: return
// ROUNDTRIP-LABEL: func.func @qopt_ops_round_trip
// ROUNDTRIP-SAME: (%[[W:[^:]*]]: tensor<64xf32>, %[[G:[^:]*]]: tensor<64xf32>, %[[M:[^:]*]]: tensor<64xf32>, %[[V:[^:]*]]: tensor<64xf32>, %[[T:[^:]*]]: i64, %[[MW:[^:]*]]: tensor<24x8xf32>, %[[MG:[^:]*]]: tensor<24x8xf32>, %[[MB:[^:]*]]: tensor<24x8xf32>)
// ROUNDTRIP-NOT: linalg.
// ROUNDTRIP: qopt.adam_update %[[W]], %[[G]], %[[M]], %[[V]], %[[T]] {beta1 = 8.000000e-01 : f32, epsilon_inside_sqrt = true, lr = 1.000000e-03 : f32, weight_decay = 1.000000e-01 : f32} : tensor<64xf32>
// ROUNDTRIP-NOT: linalg.
// ROUNDTRIP: qopt.muon_update %[[MW]], %[[MG]], %[[MB]] {lr = 2.000000e-02 : f32, ns_steps = 4 : i64, weight_decay = 0.00999999977 : f32} : tensor<24x8xf32>
// ROUNDTRIP-NOT: linalg.
// ROUNDTRIP-NOT: scf.
// ROUNDTRIP: return
func.func @qopt_ops_round_trip(%w: tensor<64xf32>, %g: tensor<64xf32>,
                               %m: tensor<64xf32>, %v: tensor<64xf32>, %t: i64,
                               %mw: tensor<24x8xf32>, %mg: tensor<24x8xf32>,
                               %mb: tensor<24x8xf32>)
    -> (tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<24x8xf32>,
        tensor<24x8xf32>) {
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t
      {lr = 1.0e-3 : f32, beta1 = 0.8 : f32, weight_decay = 0.1 : f32,
       epsilon_inside_sqrt = true} : tensor<64xf32>
  %w2, %b2 = qopt.muon_update %mw, %mg, %mb
      {lr = 2.0e-2 : f32, weight_decay = 0.01 : f32, ns_steps = 4 : i64}
      : tensor<24x8xf32>
  return %w1, %m1, %v1, %w2, %b2 : tensor<64xf32>, tensor<64xf32>,
      tensor<64xf32>, tensor<24x8xf32>, tensor<24x8xf32>
}
