// RUN: qopt-opt %s --qopt-raise-optimizers --split-input-file | FileCheck %s
// RUN: qopt-opt %s --convert-qopt-to-linalg --qopt-raise-optimizers --split-input-file | FileCheck %s --check-prefix=ROUNDTRIP

/// Hyper-parameters that are not constants (a learning-rate schedule, betas
/// fed to the step): f32 or 0-d tensor arguments, or scalar code on them,
/// become the operands lr(%x), beta1(%x), ... of the raised op.

#id = affine_map<(d0) -> (d0)>

/// Every hyper-parameter an f32 argument, one fused generic: 1 - beta in the
/// body, the bias corrections math.powf(beta, t) outside, decoupled decay
/// lr * wd * w.
// CHECK-LABEL: func.func @adamw_fused_arguments
// CHECK-SAME: (%[[W:[^:]*]]: tensor<32xf32>, %[[G:[^:]*]]: tensor<32xf32>, %[[M:[^:]*]]: tensor<32xf32>, %[[V:[^:]*]]: tensor<32xf32>, %[[T:[^:]*]]: i64, %[[LR:[^:]*]]: f32, %[[B1:[^:]*]]: f32, %[[B2:[^:]*]]: f32, %[[EPS:[^:]*]]: f32, %[[WD:[^:]*]]: f32)
// CHECK-NEXT: %[[W1:[^,]*]], %[[M1:[^,]*]], %[[V1:[^ ]*]] = qopt.adam_update %[[W]], %[[G]], %[[M]], %[[V]], %[[T]] lr(%[[LR]]) beta1(%[[B1]]) beta2(%[[B2]]) epsilon(%[[EPS]]) weight_decay(%[[WD]]) : tensor<32xf32>
// CHECK-NEXT: return %[[W1]], %[[M1]], %[[V1]]
// ROUNDTRIP-LABEL: func.func @adamw_fused_arguments
// ROUNDTRIP: qopt.adam_update %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} lr(%{{.*}}) beta1(%{{.*}}) beta2(%{{.*}}) epsilon(%{{.*}}) weight_decay(%{{.*}}) : tensor<32xf32>
// ROUNDTRIP-NOT: linalg.generic
// ROUNDTRIP: return
func.func @adamw_fused_arguments(%w: tensor<32xf32>, %g: tensor<32xf32>,
                                 %m: tensor<32xf32>, %v: tensor<32xf32>,
                                 %t: i64, %lr: f32, %b1: f32, %b2: f32,
                                 %eps: f32, %wd: f32)
    -> (tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) {
  %one = arith.constant 1.0 : f32
  %tf = arith.sitofp %t : i64 to f32
  %p1 = math.powf %b1, %tf : f32
  %bc1 = arith.subf %one, %p1 : f32
  %p2 = math.powf %b2, %tf : f32
  %bc2 = arith.subf %one, %p2 : f32
  %r:3 = linalg.generic {indexing_maps = [#id, #id, #id, #id],
                         iterator_types = ["parallel"]}
      ins(%g : tensor<32xf32>)
      outs(%w, %m, %v : tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) {
  ^bb0(%gi: f32, %wi: f32, %mi: f32, %vi: f32):
    %c1 = arith.subf %one, %b1 : f32
    %c2 = arith.subf %one, %b2 : f32
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
    %lrwd = arith.mulf %lr, %wd : f32
    %dk = arith.mulf %lrwd, %wi : f32
    %w2 = arith.subf %w1, %dk : f32
    linalg.yield %w2, %m1, %v1 : f32, f32, f32
  } -> (tensor<32xf32>, tensor<32xf32>, tensor<32xf32>)
  return %r#0, %r#1, %r#2 : tensor<32xf32>, tensor<32xf32>, tensor<32xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
#sc = affine_map<(d0) -> ()>
#s0 = affine_map<() -> ()>

/// torch-style, spread over generics, the hyper-parameters 0-d tensors:
/// lerp for m', the step size lr / bc1 and sqrt(v') / sqrt(bc2) + eps on
/// 0-d tensors, beta2 broadcast into the generic, L2 decay g + wd w with a
/// constant wd. lr and beta2 are read with
/// tensor.extract before the raised op, and so is beta1 (the extract in the
/// code dies with the step).
// CHECK-LABEL: func.func @adam_torch_tensor_arguments
// CHECK-SAME: %[[LRT:[^:]*]]: tensor<f32>, %[[B1T:[^:]*]]: tensor<f32>, %[[B2T:[^:]*]]: tensor<f32>)
// CHECK-DAG: %[[LR:.*]] = tensor.extract %[[LRT]][] : tensor<f32>
// CHECK-DAG: %[[B1:.*]] = tensor.extract %[[B1T]][] : tensor<f32>
// CHECK-DAG: %[[B2:.*]] = tensor.extract %[[B2T]][] : tensor<f32>
// CHECK: qopt.adam_update %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} lr(%[[LR]]) beta1(%[[B1]]) beta2(%[[B2]]) {decoupled_weight_decay = false, weight_decay = 0.00999999977 : f32} : tensor<16xf32>
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @adam_torch_tensor_arguments(%w: tensor<16xf32>, %g: tensor<16xf32>,
                                       %m: tensor<16xf32>, %v: tensor<16xf32>,
                                       %step: tensor<i64>, %lr: tensor<f32>,
                                       %beta1: tensor<f32>, %beta2: tensor<f32>)
    -> (tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
  %one = arith.constant 1.0 : f32
  %wd = arith.constant 0.01 : f32
  %eps = arith.constant 1.0e-8 : f32
  %b1 = tensor.extract %beta1[] : tensor<f32>
  %e = tensor.empty() : tensor<16xf32>
  %e0 = tensor.empty() : tensor<f32>
  // grad = grad.add(param, alpha=weight_decay)
  %ge = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%g, %w : tensor<16xf32>, tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %x: f32, %o: f32):
    %d = arith.mulf %wd, %x : f32
    %r = arith.addf %a, %d : f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  // exp_avg.lerp_(grad, 1 - beta1)
  %m1 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%m, %ge : tensor<16xf32>, tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %wt = arith.subf %one, %b1 : f32
    %d = arith.subf %b, %a : f32
    %s = arith.mulf %wt, %d : f32
    %r = arith.addf %a, %s : f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
  %v1 = linalg.generic {indexing_maps = [#id, #id, #sc, #id], iterator_types = ["parallel"]}
      ins(%v, %ge, %beta2 : tensor<16xf32>, tensor<16xf32>, tensor<f32>)
      outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %b: f32, %b2: f32, %o: f32):
    %a2 = arith.mulf %a, %b2 : f32
    %p = arith.mulf %b, %b : f32
    %c2 = arith.subf %one, %b2 : f32
    %q = arith.mulf %p, %c2 : f32
    %r = arith.addf %a2, %q : f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  // bias corrections, step size and sqrt(bc2) on 0-d tensors
  %bc1 = linalg.generic {indexing_maps = [#s0, #s0], iterator_types = []}
      ins(%step : tensor<i64>) outs(%e0 : tensor<f32>) {
  ^bb0(%t: i64, %o: f32):
    %tf = arith.sitofp %t : i64 to f32
    %p = math.powf %b1, %tf : f32
    %r = arith.subf %one, %p : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  %bs = linalg.generic {indexing_maps = [#s0, #s0, #s0], iterator_types = []}
      ins(%step, %beta2 : tensor<i64>, tensor<f32>) outs(%e0 : tensor<f32>) {
  ^bb0(%t: i64, %b2: f32, %o: f32):
    %tf = arith.sitofp %t : i64 to f32
    %p = math.powf %b2, %tf : f32
    %r = arith.subf %one, %p : f32
    %s = math.sqrt %r : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %nss = linalg.generic {indexing_maps = [#s0, #s0, #s0], iterator_types = []}
      ins(%lr, %bc1 : tensor<f32>, tensor<f32>) outs(%e0 : tensor<f32>) {
  ^bb0(%l: f32, %x: f32, %o: f32):
    %r = arith.divf %l, %x : f32
    %n = arith.negf %r : f32
    linalg.yield %n : f32
  } -> tensor<f32>
  %de = linalg.generic {indexing_maps = [#id, #sc, #id], iterator_types = ["parallel"]}
      ins(%v1, %bs : tensor<16xf32>, tensor<f32>) outs(%e : tensor<16xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = math.sqrt %x : f32
    %d = arith.divf %s, %y : f32
    %r = arith.addf %d, %eps : f32
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

#id = affine_map<(d0) -> (d0)>

/// A learning-rate schedule computed before the step (base * factor), and
/// the weight decay an argument: the schedule is rebuilt before the raised
/// op, eps inside the root, arith ops on tensors (optax-style).
// CHECK-LABEL: func.func @adamw_schedule_arith_on_tensors
// CHECK-SAME: %[[BASE:[^:]*]]: f32, %[[F:[^:]*]]: f32, %[[WD:[^:]*]]: f32)
// CHECK: %[[LR:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK-NEXT: qopt.adam_update %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} lr(%[[LR]]) weight_decay(%[[WD]]) {beta2 = 9.900000e-01 : f32, epsilon_inside_sqrt = true} : tensor<8xf32>
// CHECK-NOT: math.sqrt
// CHECK: return
func.func @adamw_schedule_arith_on_tensors(%w: tensor<8xf32>, %g: tensor<8xf32>,
                                           %m: tensor<8xf32>, %v: tensor<8xf32>,
                                           %t: i32, %base: f32, %f: f32,
                                           %wd: f32)
    -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %lr = arith.mulf %base, %f : f32
  %b1 = arith.constant dense<0.9> : tensor<8xf32>
  %c1 = arith.constant dense<0.1> : tensor<8xf32>
  %b2 = arith.constant dense<0.99> : tensor<8xf32>
  %c2 = arith.constant dense<0.01> : tensor<8xf32>
  %eps = arith.constant dense<1.0e-8> : tensor<8xf32>
  %one = arith.constant 1.0 : f32
  %tf = arith.sitofp %t : i32 to f32
  %b1s = arith.constant 0.9 : f32
  %p1 = math.fpowi %b1s, %t : f32, i32
  %m0 = arith.mulf %b1, %m : tensor<8xf32>
  %mg = arith.mulf %c1, %g : tensor<8xf32>
  %m1 = arith.addf %m0, %mg : tensor<8xf32>
  %v0 = arith.mulf %b2, %v : tensor<8xf32>
  %g2 = arith.mulf %g, %g : tensor<8xf32>
  %vg = arith.mulf %c2, %g2 : tensor<8xf32>
  %v1 = arith.addf %v0, %vg : tensor<8xf32>
  %b2s = arith.constant 0.99 : f32
  %p2 = math.powf %b2s, %tf : f32
  %bc1 = arith.subf %one, %p1 : f32
  %bc2 = arith.subf %one, %p2 : f32
  %bc1t = tensor.splat %bc1 : tensor<8xf32>
  %bc2t = tensor.splat %bc2 : tensor<8xf32>
  %mh = arith.divf %m1, %bc1t : tensor<8xf32>
  %vh = arith.divf %v1, %bc2t : tensor<8xf32>
  %ve = arith.addf %vh, %eps : tensor<8xf32>
  %s = math.sqrt %ve : tensor<8xf32>
  %d = arith.divf %mh, %s : tensor<8xf32>
  %wdt = tensor.splat %wd : tensor<8xf32>
  %dw = arith.mulf %wdt, %w : tensor<8xf32>
  %u = arith.addf %d, %dw : tensor<8xf32>
  %lrt = tensor.splat %lr : tensor<8xf32>
  %lu = arith.mulf %lrt, %u : tensor<8xf32>
  %w1 = arith.subf %w, %lu : tensor<8xf32>
  return %w1, %m1, %v1 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

#mk = affine_map<(m, n, k) -> (m, k)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>

/// Muon (StableHLO-style, as in qopt-raise-optimizers.mlir) with the
/// learning rate an f32 argument splat over the weight.
// CHECK-LABEL: func.func @muon_lr_argument
// CHECK-SAME: (%[[W:[^:]*]]: tensor<4x8xf32>, %[[G:[^:]*]]: tensor<4x8xf32>, %[[B:[^:]*]]: tensor<4x8xf32>, %[[LR:[^:]*]]: f32)
// CHECK-NEXT: %[[W1:[^,]*]], %[[B1:[^ ]*]] = qopt.muon_update %[[W]], %[[G]], %[[B]] lr(%[[LR]]) {epsilon = 9.99999993E-9 : f32, momentum = 0.899999976 : f32, nesterov = false, ns_steps = 3 : i64} : tensor<4x8xf32>
// CHECK-NEXT: return %[[W1]], %[[B1]]
// ROUNDTRIP-LABEL: func.func @muon_lr_argument
// ROUNDTRIP: qopt.muon_update %{{.*}}, %{{.*}}, %{{.*}} lr(%{{.*}}) {{{.*}}} : tensor<4x8xf32>
// ROUNDTRIP-NOT: scf.for
// ROUNDTRIP: return
func.func @muon_lr_argument(%w: tensor<4x8xf32>, %g: tensor<4x8xf32>,
                            %buf: tensor<4x8xf32>, %lr_s: f32)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %mu = arith.constant dense<0.9> : tensor<4x8xf32>
  %eps = arith.constant dense<1.0e-8> : tensor<f32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %z44 = arith.constant dense<0.0> : tensor<4x4xf32>
  %a = arith.constant dense<3.4445> : tensor<4x8xf32>
  %b = arith.constant dense<-4.7750> : tensor<4x4xf32>
  %c = arith.constant dense<2.0315> : tensor<4x4xf32>
  %lr = tensor.splat %lr_s : tensor<4x8xf32>
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
  %lx = linalg.map { arith.mulf } ins(%lr, %xf : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  %w1 = linalg.map { arith.subf } ins(%w, %lx : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
  return %w1, %b1 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>

/// negative: the learning rate is computed inside the update by an op the
/// algebra does not express (arith.maximumf): the generic is opaque and
/// stays as it is.
// CHECK-LABEL: func.func @negative_adam_lr_opaque_in_body
// CHECK-NOT: qopt.adam_update
// CHECK: linalg.generic
// CHECK: return
func.func @negative_adam_lr_opaque_in_body(%w: tensor<32xf32>, %g: tensor<32xf32>,
                                           %m: tensor<32xf32>, %v: tensor<32xf32>,
                                           %lr0: f32, %lr1: f32)
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
    %lr = arith.maximumf %lr0, %lr1 : f32
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

/// negative: the bias correction's power has another base (%b1x) than the
/// beta1 of m' (%b1): not Adam's formula.
// CHECK-LABEL: func.func @negative_adam_bias_correction_other_beta
// CHECK-NOT: qopt.adam_update
// CHECK: linalg.generic
// CHECK: return
func.func @negative_adam_bias_correction_other_beta(
    %w: tensor<32xf32>, %g: tensor<32xf32>, %m: tensor<32xf32>,
    %v: tensor<32xf32>, %t: i64, %lr: f32, %b1: f32, %b1x: f32)
    -> (tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) {
  %one = arith.constant 1.0 : f32
  %b2 = arith.constant 0.999 : f32
  %c2 = arith.constant 0.001 : f32
  %eps = arith.constant 1.0e-8 : f32
  %tf = arith.sitofp %t : i64 to f32
  %p1 = math.powf %b1x, %tf : f32
  %bc1 = arith.subf %one, %p1 : f32
  %p2 = math.powf %b2, %tf : f32
  %bc2 = arith.subf %one, %p2 : f32
  %r:3 = linalg.generic {indexing_maps = [#id, #id, #id, #id],
                         iterator_types = ["parallel"]}
      ins(%g : tensor<32xf32>)
      outs(%w, %m, %v : tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) {
  ^bb0(%gi: f32, %wi: f32, %mi: f32, %vi: f32):
    %c1 = arith.subf %one, %b1 : f32
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

/// negative: a function marked qopt.no_raise is not visited.
// CHECK-LABEL: func.func @negative_no_raise
// CHECK-NOT: qopt.adam_update
// CHECK: linalg.generic
// CHECK: return
func.func @negative_no_raise(%w: tensor<32xf32>, %g: tensor<32xf32>,
                             %m: tensor<32xf32>, %v: tensor<32xf32>,
                             %lr: f32)
    -> (tensor<32xf32>, tensor<32xf32>, tensor<32xf32>)
    attributes {qopt.no_raise} {
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
