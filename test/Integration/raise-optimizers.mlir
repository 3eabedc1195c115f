// The raised steps compute the same numbers as the code they were raised
// from. Each step is written twice: the step the pass raises, and a
// reference marked `qopt.no_raise` that the pass leaves alone (checked by the
// first RUN line), with the same ops (its learning rate a function
// argument). @adamw_arguments takes every hyper-parameter as an argument (a
// schedule's way): it is raised to operands lr(%x), beta1(%x), ... and its
// reference has the same signature. main runs both
// versions for several steps on the same inputs through the CPU pipeline and
// prints, per result, the number of elements whose bits differ and whether
// every element agrees to 1e-6 and to 1e-4 relative (see @compare). Steps
// written in the order of the op's lowering agree bit for bit; the others
// (torch's lerp and split square root, optax's constants, Muon's norm and
// products in another order) to 1e-6.

// RUN: qopt-opt %s --qopt-raise-optimizers | FileCheck %s --check-prefix=RAISED
// RUN: qopt-opt %s --qopt-raise-optimizers --qopt-lower-to-llvm | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | FileCheck %s

// RAISED-LABEL: func.func @adam_lowering_order(
// RAISED: qopt.adam_update
// RAISED-LABEL: func.func @adam_lowering_order_reference(
// RAISED-NOT: qopt.{{adam|muon}}_update
// RAISED: return
// RAISED-LABEL: func.func @adamw_arguments(
// RAISED: qopt.adam_update {{.*}} lr(%{{.*}}) beta1(%{{.*}}) beta2(%{{.*}}) epsilon(%{{.*}}) weight_decay(%{{.*}})
// RAISED-LABEL: func.func @adamw_arguments_reference(
// RAISED-NOT: qopt.{{adam|muon}}_update
// RAISED: return
// RAISED-LABEL: func.func @adam_torch(
// RAISED: qopt.adam_update
// RAISED-LABEL: func.func @adam_torch_reference(
// RAISED-NOT: qopt.{{adam|muon}}_update
// RAISED: return
// RAISED-LABEL: func.func @adamw_optax(
// RAISED: qopt.adam_update
// RAISED-LABEL: func.func @adamw_optax_reference(
// RAISED-NOT: qopt.{{adam|muon}}_update
// RAISED: return
// RAISED-LABEL: func.func @adam_l2_eps_inside(
// RAISED: qopt.adam_update
// RAISED-LABEL: func.func @adam_l2_eps_inside_reference(
// RAISED-NOT: qopt.{{adam|muon}}_update
// RAISED: return
// RAISED-LABEL: func.func @adamw_no_bias_correction(
// RAISED: qopt.adam_update
// RAISED-LABEL: func.func @adamw_no_bias_correction_reference(
// RAISED-NOT: qopt.{{adam|muon}}_update
// RAISED: return
// RAISED-LABEL: func.func @muon_torch_tall(
// RAISED: qopt.muon_update
// RAISED-LABEL: func.func @muon_torch_tall_reference(
// RAISED-NOT: qopt.{{adam|muon}}_update
// RAISED: return
// RAISED-LABEL: func.func @muon_stablehlo_wide(
// RAISED: qopt.muon_update
// RAISED-LABEL: func.func @muon_stablehlo_wide_reference(
// RAISED-NOT: qopt.{{adam|muon}}_update
// RAISED: return
// RAISED-LABEL: func.func @main(
// RAISED-NOT: qopt.{{adam|muon}}_update

// CHECK: adam_lowering_order w
// CHECK-NEXT: 0
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: adam_lowering_order m
// CHECK-NEXT: 0
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: adam_lowering_order v
// CHECK-NEXT: 0
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: adamw_arguments w
// CHECK-NEXT: 0
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: adamw_arguments m
// CHECK-NEXT: 0
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: adamw_arguments v
// CHECK-NEXT: 0
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: adam_torch w
// CHECK-NEXT: {{[0-9]+}}
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: adam_torch m
// CHECK-NEXT: {{[0-9]+}}
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: adam_torch v
// CHECK-NEXT: {{[0-9]+}}
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: adamw_optax w
// CHECK-NEXT: {{[0-9]+}}
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: adamw_optax m
// CHECK-NEXT: {{[0-9]+}}
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: adamw_optax v
// CHECK-NEXT: {{[0-9]+}}
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: adam_l2_eps_inside w
// CHECK-NEXT: {{[0-9]+}}
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: adam_l2_eps_inside m
// CHECK-NEXT: {{[0-9]+}}
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: adam_l2_eps_inside v
// CHECK-NEXT: {{[0-9]+}}
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: adamw_no_bias_correction w
// CHECK-NEXT: 0
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: adamw_no_bias_correction m
// CHECK-NEXT: 0
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: adamw_no_bias_correction v
// CHECK-NEXT: 0
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: muon_torch_tall w
// CHECK-NEXT: {{[0-9]+}}
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: muon_torch_tall b
// CHECK-NEXT: {{[0-9]+}}
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: muon_stablehlo_wide w
// CHECK-NEXT: {{[0-9]+}}
// CHECK-NEXT: 1
// CHECK-NEXT: 1
// CHECK: muon_stablehlo_wide b
// CHECK-NEXT: {{[0-9]+}}
// CHECK-NEXT: 1
// CHECK-NEXT: 1

#id = affine_map<(d0) -> (d0)>
#sc = affine_map<(d0) -> ()>
#s0 = affine_map<() -> ()>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#sc2 = affine_map<(d0, d1) -> ()>
#mk = affine_map<(m, n, k) -> (m, k)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>

/// Adam with decoupled decay in one fused generic, in the very order of
/// qopt.adam_update's lowering: the raised step is bit for bit the same.
func.func @adam_lowering_order(%w: tensor<256xf32>, %g: tensor<256xf32>, %m: tensor<256xf32>, %v: tensor<256xf32>, %t: i64) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
  %lr = arith.constant 1.0e-2 : f32
  %b1 = arith.constant 0.8 : f32
  %b2 = arith.constant 0.999 : f32
  %one = arith.constant 1.0 : f32
  %eps = arith.constant 1.0e-8 : f32
  %wd = arith.constant 0.1 : f32
  %c1 = arith.subf %one, %b1 : f32
  %c2 = arith.subf %one, %b2 : f32
  %lrwd = arith.mulf %lr, %wd : f32
  %tf = arith.sitofp %t : i64 to f32
  %p1 = math.powf %b1, %tf : f32
  %bc1 = arith.subf %one, %p1 : f32
  %p2 = math.powf %b2, %tf : f32
  %bc2 = arith.subf %one, %p2 : f32
  %r:3 = linalg.generic {indexing_maps = [#id, #id, #id, #id], iterator_types = ["parallel"]}
      ins(%g : tensor<256xf32>) outs(%w, %m, %v : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
  ^bb0(%gi: f32, %wi: f32, %mi: f32, %vi: f32):
    %0 = arith.mulf %b1, %mi : f32
    %1 = arith.mulf %c1, %gi : f32
    %2 = arith.addf %0, %1 : f32
    %3 = arith.mulf %b2, %vi : f32
    %4 = arith.mulf %gi, %gi : f32
    %5 = arith.mulf %c2, %4 : f32
    %6 = arith.addf %3, %5 : f32
    %7 = arith.divf %2, %bc1 : f32
    %8 = arith.divf %6, %bc2 : f32
    %9 = math.sqrt %8 : f32
    %10 = arith.addf %9, %eps : f32
    %11 = arith.divf %7, %10 : f32
    %12 = arith.mulf %lr, %11 : f32
    %13 = arith.subf %wi, %12 : f32
    %14 = arith.mulf %lrwd, %wi : f32
    %15 = arith.subf %13, %14 : f32
    linalg.yield %15, %2, %6 : f32, f32, f32
  } -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
  return %r#0, %r#1, %r#2 : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>
}

func.func @adam_lowering_order_reference(%w: tensor<256xf32>, %g: tensor<256xf32>, %m: tensor<256xf32>, %v: tensor<256xf32>, %t: i64, %lr: f32) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)  attributes {qopt.no_raise} {
  %b1 = arith.constant 0.8 : f32
  %b2 = arith.constant 0.999 : f32
  %one = arith.constant 1.0 : f32
  %eps = arith.constant 1.0e-8 : f32
  %wd = arith.constant 0.1 : f32
  %c1 = arith.subf %one, %b1 : f32
  %c2 = arith.subf %one, %b2 : f32
  %lrwd = arith.mulf %lr, %wd : f32
  %tf = arith.sitofp %t : i64 to f32
  %p1 = math.powf %b1, %tf : f32
  %bc1 = arith.subf %one, %p1 : f32
  %p2 = math.powf %b2, %tf : f32
  %bc2 = arith.subf %one, %p2 : f32
  %r:3 = linalg.generic {indexing_maps = [#id, #id, #id, #id], iterator_types = ["parallel"]}
      ins(%g : tensor<256xf32>) outs(%w, %m, %v : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
  ^bb0(%gi: f32, %wi: f32, %mi: f32, %vi: f32):
    %0 = arith.mulf %b1, %mi : f32
    %1 = arith.mulf %c1, %gi : f32
    %2 = arith.addf %0, %1 : f32
    %3 = arith.mulf %b2, %vi : f32
    %4 = arith.mulf %gi, %gi : f32
    %5 = arith.mulf %c2, %4 : f32
    %6 = arith.addf %3, %5 : f32
    %7 = arith.divf %2, %bc1 : f32
    %8 = arith.divf %6, %bc2 : f32
    %9 = math.sqrt %8 : f32
    %10 = arith.addf %9, %eps : f32
    %11 = arith.divf %7, %10 : f32
    %12 = arith.mulf %lr, %11 : f32
    %13 = arith.subf %wi, %12 : f32
    %14 = arith.mulf %lrwd, %wi : f32
    %15 = arith.subf %13, %14 : f32
    linalg.yield %15, %2, %6 : f32, f32, f32
  } -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
  return %r#0, %r#1, %r#2 : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>
}

/// AdamW with every hyper-parameter a function argument (the bias
/// corrections math.powf of the argument betas), in the order of the op's
/// lowering: raised to operands, bit for bit the same.
func.func @adamw_arguments(%w: tensor<256xf32>, %g: tensor<256xf32>, %m: tensor<256xf32>, %v: tensor<256xf32>, %t: i64, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
  %one = arith.constant 1.0 : f32
  %tf = arith.sitofp %t : i64 to f32
  %p1 = math.powf %b1, %tf : f32
  %bc1 = arith.subf %one, %p1 : f32
  %p2 = math.powf %b2, %tf : f32
  %bc2 = arith.subf %one, %p2 : f32
  %c1 = arith.subf %one, %b1 : f32
  %c2 = arith.subf %one, %b2 : f32
  %lrwd = arith.mulf %lr, %wd : f32
  %r:3 = linalg.generic {indexing_maps = [#id, #id, #id, #id], iterator_types = ["parallel"]}
      ins(%g : tensor<256xf32>) outs(%w, %m, %v : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
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
    %dk = arith.mulf %lrwd, %wi : f32
    %w2 = arith.subf %w1, %dk : f32
    linalg.yield %w2, %m1, %v1 : f32, f32, f32
  } -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
  return %r#0, %r#1, %r#2 : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>
}

func.func @adamw_arguments_reference(%w: tensor<256xf32>, %g: tensor<256xf32>, %m: tensor<256xf32>, %v: tensor<256xf32>, %t: i64, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) attributes {qopt.no_raise} {
  %one = arith.constant 1.0 : f32
  %tf = arith.sitofp %t : i64 to f32
  %p1 = math.powf %b1, %tf : f32
  %bc1 = arith.subf %one, %p1 : f32
  %p2 = math.powf %b2, %tf : f32
  %bc2 = arith.subf %one, %p2 : f32
  %c1 = arith.subf %one, %b1 : f32
  %c2 = arith.subf %one, %b2 : f32
  %lrwd = arith.mulf %lr, %wd : f32
  %r:3 = linalg.generic {indexing_maps = [#id, #id, #id, #id], iterator_types = ["parallel"]}
      ins(%g : tensor<256xf32>) outs(%w, %m, %v : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
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
    %dk = arith.mulf %lrwd, %wi : f32
    %w2 = arith.subf %w1, %dk : f32
    linalg.yield %w2, %m1, %v1 : f32, f32, f32
  } -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
  return %r#0, %r#1, %r#2 : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>
}

/// torch -> linalg: torch.optim.Adam's step, one generic per aten op (see
/// test/Dialect/QOpt/Transforms/qopt-raise-optimizers.mlir), with betas
/// whose complements are exact in f32 (0.875, 0.9375): the lerp and the
/// split square root change only the rounding.
func.func @adam_torch(%w: tensor<256xf32>, %g: tensor<256xf32>, %m: tensor<256xf32>, %v: tensor<256xf32>, %step: tensor<i64>) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
  %lr = arith.constant 1.0e-3 : f64
  %beta1 = arith.constant 8.750000e-01 : f64
  %one_minus_beta1 = arith.constant 1.250000e-01 : f64
  %beta2 = arith.constant 9.375000e-01 : f64
  %one_minus_beta2 = arith.constant 6.250000e-02 : f64
  %one = arith.constant 1.000000e+00 : f64
  %eps = arith.constant 1.000000e-08 : f64
  %e = tensor.empty() : tensor<256xf32>
  %e0 = tensor.empty() : tensor<f32>
  %m1 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%m, %g : tensor<256xf32>, tensor<256xf32>) outs(%e : tensor<256xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %wt = arith.truncf %one_minus_beta1 : f64 to f32
    %d = arith.subf %b, %a : f32
    %s = arith.mulf %wt, %d : f32
    %r = arith.addf %a, %s : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  %v0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%v : tensor<256xf32>) outs(%e : tensor<256xf32>) {
  ^bb0(%a: f32, %o: f32):
    %b2 = arith.truncf %beta2 : f64 to f32
    %r = arith.mulf %a, %b2 : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  %v1 = linalg.generic {indexing_maps = [#id, #id, #id, #id], iterator_types = ["parallel"]}
      ins(%v0, %g, %g : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) outs(%e : tensor<256xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
    %p = arith.mulf %b, %c : f32
    %val = arith.truncf %one_minus_beta2 : f64 to f32
    %q = arith.mulf %p, %val : f32
    %r = arith.addf %a, %q : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
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
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%v1 : tensor<256xf32>) outs(%e : tensor<256xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = math.sqrt %x : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  %dn = linalg.generic {indexing_maps = [#id, #sc, #id], iterator_types = ["parallel"]}
      ins(%sq, %bs : tensor<256xf32>, tensor<f32>) outs(%e : tensor<256xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %r = arith.divf %x, %y : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  %de = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%dn : tensor<256xf32>) outs(%e : tensor<256xf32>) {
  ^bb0(%x: f32, %o: f32):
    %ep = arith.truncf %eps : f64 to f32
    %r = arith.addf %x, %ep : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  %w1 = linalg.generic {indexing_maps = [#id, #id, #id, #sc, #id], iterator_types = ["parallel"]}
      ins(%w, %m1, %de, %nss : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<f32>)
      outs(%e : tensor<256xf32>) {
  ^bb0(%x: f32, %a: f32, %b: f32, %s: f32, %o: f32):
    %q = arith.divf %a, %b : f32
    %p = arith.mulf %s, %q : f32
    %r = arith.addf %x, %p : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  return %w1, %m1, %v1 : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>
}

func.func @adam_torch_reference(%w: tensor<256xf32>, %g: tensor<256xf32>, %m: tensor<256xf32>, %v: tensor<256xf32>, %step: tensor<i64>, %lr: f64) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)  attributes {qopt.no_raise} {
  %beta1 = arith.constant 8.750000e-01 : f64
  %one_minus_beta1 = arith.constant 1.250000e-01 : f64
  %beta2 = arith.constant 9.375000e-01 : f64
  %one_minus_beta2 = arith.constant 6.250000e-02 : f64
  %one = arith.constant 1.000000e+00 : f64
  %eps = arith.constant 1.000000e-08 : f64
  %e = tensor.empty() : tensor<256xf32>
  %e0 = tensor.empty() : tensor<f32>
  %m1 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%m, %g : tensor<256xf32>, tensor<256xf32>) outs(%e : tensor<256xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %wt = arith.truncf %one_minus_beta1 : f64 to f32
    %d = arith.subf %b, %a : f32
    %s = arith.mulf %wt, %d : f32
    %r = arith.addf %a, %s : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  %v0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%v : tensor<256xf32>) outs(%e : tensor<256xf32>) {
  ^bb0(%a: f32, %o: f32):
    %b2 = arith.truncf %beta2 : f64 to f32
    %r = arith.mulf %a, %b2 : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  %v1 = linalg.generic {indexing_maps = [#id, #id, #id, #id], iterator_types = ["parallel"]}
      ins(%v0, %g, %g : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) outs(%e : tensor<256xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
    %p = arith.mulf %b, %c : f32
    %val = arith.truncf %one_minus_beta2 : f64 to f32
    %q = arith.mulf %p, %val : f32
    %r = arith.addf %a, %q : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
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
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%v1 : tensor<256xf32>) outs(%e : tensor<256xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = math.sqrt %x : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  %dn = linalg.generic {indexing_maps = [#id, #sc, #id], iterator_types = ["parallel"]}
      ins(%sq, %bs : tensor<256xf32>, tensor<f32>) outs(%e : tensor<256xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %r = arith.divf %x, %y : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  %de = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%dn : tensor<256xf32>) outs(%e : tensor<256xf32>) {
  ^bb0(%x: f32, %o: f32):
    %ep = arith.truncf %eps : f64 to f32
    %r = arith.addf %x, %ep : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  %w1 = linalg.generic {indexing_maps = [#id, #id, #id, #sc, #id], iterator_types = ["parallel"]}
      ins(%w, %m1, %de, %nss : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<f32>)
      outs(%e : tensor<256xf32>) {
  ^bb0(%x: f32, %a: f32, %b: f32, %s: f32, %o: f32):
    %q = arith.divf %a, %b : f32
    %p = arith.mulf %s, %q : f32
    %r = arith.addf %x, %p : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  return %w1, %m1, %v1 : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>
}

/// JAX/optax -> StableHLO -> linalg: optax.adamw (linalg.map,
/// linalg.broadcast, the i32 count incremented in the step) with optax's
/// constants: 1 - 0.999 written as 1.0e-3, while the raised op computes
/// 1 - 0.999f = 9.99987e-4 (within the pass's tolerance, 1e-4): the g^2
/// term of v' differs by 1.3e-5 of itself, far below 1e-6 of v'.
func.func @adamw_optax(%w: tensor<16x16xf32>, %g: tensor<16x16xf32>, %mu: tensor<16x16xf32>, %nu: tensor<16x16xf32>, %count: tensor<i32>) -> (tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>) {
  %lr = arith.constant -2.0e-3 : f32
  %e = tensor.empty() : tensor<16x16xf32>
  %ef = tensor.empty() : tensor<f32>
  %ei = tensor.empty() : tensor<i32>
  %c1i = arith.constant dense<1> : tensor<i32>
  %b1s = arith.constant dense<0.9> : tensor<f32>
  %b2s = arith.constant dense<0.999> : tensor<f32>
  %ones = arith.constant dense<1.0> : tensor<f32>
  %b1 = arith.constant dense<0.9> : tensor<16x16xf32>
  %c1 = arith.constant dense<0.1> : tensor<16x16xf32>
  %b2 = arith.constant dense<0.999> : tensor<16x16xf32>
  %c2 = arith.constant dense<1.0e-3> : tensor<16x16xf32>
  %eps_root = arith.constant dense<0.0> : tensor<16x16xf32>
  %eps = arith.constant dense<1.0e-8> : tensor<16x16xf32>
  %wd = arith.constant dense<1.0e-2> : tensor<16x16xf32>
  %neg_lr = tensor.splat %lr : tensor<16x16xf32>
  %count1 = linalg.map { arith.addi } ins(%count, %c1i : tensor<i32>, tensor<i32>) outs(%ei : tensor<i32>)
  %g1 = linalg.map { arith.mulf } ins(%c1, %g : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %m0 = linalg.map { arith.mulf } ins(%b1, %mu : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %m1 = linalg.map { arith.addf } ins(%g1, %m0 : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %gg = linalg.map { arith.mulf } ins(%g, %g : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %g2 = linalg.map { arith.mulf } ins(%c2, %gg : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %n0 = linalg.map { arith.mulf } ins(%b2, %nu : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %n1 = linalg.map { arith.addf } ins(%g2, %n0 : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %cf = linalg.map { arith.sitofp } ins(%count1 : tensor<i32>) outs(%ef : tensor<f32>)
  %p1 = linalg.map { math.powf } ins(%b1s, %cf : tensor<f32>, tensor<f32>) outs(%ef : tensor<f32>)
  %bc1 = linalg.map { arith.subf } ins(%ones, %p1 : tensor<f32>, tensor<f32>) outs(%ef : tensor<f32>)
  %p2 = linalg.map { math.powf } ins(%b2s, %cf : tensor<f32>, tensor<f32>) outs(%ef : tensor<f32>)
  %bc2 = linalg.map { arith.subf } ins(%ones, %p2 : tensor<f32>, tensor<f32>) outs(%ef : tensor<f32>)
  %bc1b = linalg.broadcast ins(%bc1 : tensor<f32>) outs(%e : tensor<16x16xf32>) dimensions = [0, 1]
  %bc2b = linalg.broadcast ins(%bc2 : tensor<f32>) outs(%e : tensor<16x16xf32>) dimensions = [0, 1]
  %mh = linalg.map { arith.divf } ins(%m1, %bc1b : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %nh = linalg.map { arith.divf } ins(%n1, %bc2b : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %nr = linalg.map { arith.addf } ins(%nh, %eps_root : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %sq = linalg.map { math.sqrt } ins(%nr : tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %den = linalg.map { arith.addf } ins(%sq, %eps : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %u = linalg.map { arith.divf } ins(%mh, %den : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %dw = linalg.map { arith.mulf } ins(%wd, %w : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %u1 = linalg.map { arith.addf } ins(%u, %dw : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %u2 = linalg.map { arith.mulf } ins(%neg_lr, %u1 : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %w1 = linalg.map { arith.addf } ins(%w, %u2 : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  return %w1, %m1, %n1 : tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>
}

func.func @adamw_optax_reference(%w: tensor<16x16xf32>, %g: tensor<16x16xf32>, %mu: tensor<16x16xf32>, %nu: tensor<16x16xf32>, %count: tensor<i32>, %lr: f32) -> (tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>)  attributes {qopt.no_raise} {
  %e = tensor.empty() : tensor<16x16xf32>
  %ef = tensor.empty() : tensor<f32>
  %ei = tensor.empty() : tensor<i32>
  %c1i = arith.constant dense<1> : tensor<i32>
  %b1s = arith.constant dense<0.9> : tensor<f32>
  %b2s = arith.constant dense<0.999> : tensor<f32>
  %ones = arith.constant dense<1.0> : tensor<f32>
  %b1 = arith.constant dense<0.9> : tensor<16x16xf32>
  %c1 = arith.constant dense<0.1> : tensor<16x16xf32>
  %b2 = arith.constant dense<0.999> : tensor<16x16xf32>
  %c2 = arith.constant dense<1.0e-3> : tensor<16x16xf32>
  %eps_root = arith.constant dense<0.0> : tensor<16x16xf32>
  %eps = arith.constant dense<1.0e-8> : tensor<16x16xf32>
  %wd = arith.constant dense<1.0e-2> : tensor<16x16xf32>
  %neg_lr = tensor.splat %lr : tensor<16x16xf32>
  %count1 = linalg.map { arith.addi } ins(%count, %c1i : tensor<i32>, tensor<i32>) outs(%ei : tensor<i32>)
  %g1 = linalg.map { arith.mulf } ins(%c1, %g : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %m0 = linalg.map { arith.mulf } ins(%b1, %mu : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %m1 = linalg.map { arith.addf } ins(%g1, %m0 : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %gg = linalg.map { arith.mulf } ins(%g, %g : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %g2 = linalg.map { arith.mulf } ins(%c2, %gg : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %n0 = linalg.map { arith.mulf } ins(%b2, %nu : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %n1 = linalg.map { arith.addf } ins(%g2, %n0 : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %cf = linalg.map { arith.sitofp } ins(%count1 : tensor<i32>) outs(%ef : tensor<f32>)
  %p1 = linalg.map { math.powf } ins(%b1s, %cf : tensor<f32>, tensor<f32>) outs(%ef : tensor<f32>)
  %bc1 = linalg.map { arith.subf } ins(%ones, %p1 : tensor<f32>, tensor<f32>) outs(%ef : tensor<f32>)
  %p2 = linalg.map { math.powf } ins(%b2s, %cf : tensor<f32>, tensor<f32>) outs(%ef : tensor<f32>)
  %bc2 = linalg.map { arith.subf } ins(%ones, %p2 : tensor<f32>, tensor<f32>) outs(%ef : tensor<f32>)
  %bc1b = linalg.broadcast ins(%bc1 : tensor<f32>) outs(%e : tensor<16x16xf32>) dimensions = [0, 1]
  %bc2b = linalg.broadcast ins(%bc2 : tensor<f32>) outs(%e : tensor<16x16xf32>) dimensions = [0, 1]
  %mh = linalg.map { arith.divf } ins(%m1, %bc1b : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %nh = linalg.map { arith.divf } ins(%n1, %bc2b : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %nr = linalg.map { arith.addf } ins(%nh, %eps_root : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %sq = linalg.map { math.sqrt } ins(%nr : tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %den = linalg.map { arith.addf } ins(%sq, %eps : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %u = linalg.map { arith.divf } ins(%mh, %den : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %dw = linalg.map { arith.mulf } ins(%wd, %w : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %u1 = linalg.map { arith.addf } ins(%u, %dw : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %u2 = linalg.map { arith.mulf } ins(%neg_lr, %u1 : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  %w1 = linalg.map { arith.addf } ins(%w, %u2 : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>)
  return %w1, %m1, %n1 : tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>
}

/// One fused generic: L2 decay, epsilon inside the square root, math.fpowi
/// of an i32 step.
func.func @adam_l2_eps_inside(%w: tensor<256xf32>, %g: tensor<256xf32>, %m: tensor<256xf32>, %v: tensor<256xf32>, %t: i32) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
  %lr = arith.constant 1.0e-3 : f32
  %b1 = arith.constant 0.875 : f32
  %b2 = arith.constant 0.9375 : f32
  %one = arith.constant 1.0 : f32
  %wd = arith.constant 0.05 : f32
  %eps = arith.constant 1.0e-4 : f32
  %e = tensor.empty() : tensor<256xf32>
  %r:3 = linalg.generic {indexing_maps = [#id, #id, #id, #id, #id, #id, #id], iterator_types = ["parallel"]}
      ins(%w, %g, %m, %v : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
      outs(%e, %e, %e : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
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
  } -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
  return %r#0, %r#1, %r#2 : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>
}

func.func @adam_l2_eps_inside_reference(%w: tensor<256xf32>, %g: tensor<256xf32>, %m: tensor<256xf32>, %v: tensor<256xf32>, %t: i32, %lr: f32) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)  attributes {qopt.no_raise} {
  %b1 = arith.constant 0.875 : f32
  %b2 = arith.constant 0.9375 : f32
  %one = arith.constant 1.0 : f32
  %wd = arith.constant 0.05 : f32
  %eps = arith.constant 1.0e-4 : f32
  %e = tensor.empty() : tensor<256xf32>
  %r:3 = linalg.generic {indexing_maps = [#id, #id, #id, #id, #id, #id, #id], iterator_types = ["parallel"]}
      ins(%w, %g, %m, %v : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
      outs(%e, %e, %e : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
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
  } -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
  return %r#0, %r#1, %r#2 : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>
}

/// AdamW without bias correction, in the lowering's order: bit for bit.
func.func @adamw_no_bias_correction(%w: tensor<256xf32>, %g: tensor<256xf32>, %m: tensor<256xf32>, %v: tensor<256xf32>) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
  %lr = arith.constant 5.0e-3 : f32
  %b1 = arith.constant 0.9 : f32
  %b2 = arith.constant 0.999 : f32
  %one = arith.constant 1.0 : f32
  %eps = arith.constant 1.0e-8 : f32
  %wd = arith.constant 0.1 : f32
  %c1 = arith.subf %one, %b1 : f32
  %c2 = arith.subf %one, %b2 : f32
  %lrwd = arith.mulf %lr, %wd : f32
  %r:3 = linalg.generic {indexing_maps = [#id, #id, #id, #id], iterator_types = ["parallel"]}
      ins(%g : tensor<256xf32>) outs(%w, %m, %v : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
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
  } -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
  return %r#0, %r#1, %r#2 : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>
}

func.func @adamw_no_bias_correction_reference(%w: tensor<256xf32>, %g: tensor<256xf32>, %m: tensor<256xf32>, %v: tensor<256xf32>, %lr: f32) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)  attributes {qopt.no_raise} {
  %b1 = arith.constant 0.9 : f32
  %b2 = arith.constant 0.999 : f32
  %one = arith.constant 1.0 : f32
  %eps = arith.constant 1.0e-8 : f32
  %wd = arith.constant 0.1 : f32
  %c1 = arith.subf %one, %b1 : f32
  %c2 = arith.subf %one, %b2 : f32
  %lrwd = arith.mulf %lr, %wd : f32
  %r:3 = linalg.generic {indexing_maps = [#id, #id, #id, #id], iterator_types = ["parallel"]}
      ins(%g : tensor<256xf32>) outs(%w, %m, %v : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
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
  } -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
  return %r#0, %r#1, %r#2 : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>
}

/// torch -> linalg: the reference Muon (Nesterov) on a tall weight, the
/// update p.add_(X, alpha=-lr * sqrt(rows / cols)) with lr = 0.02.
func.func @muon_torch_tall(%w: tensor<24x8xf32>, %g: tensor<24x8xf32>, %buf: tensor<24x8xf32>) -> (tensor<24x8xf32>, tensor<24x8xf32>) {
  %lr = arith.constant -0.034641016151377546 : f64
  %mu = arith.constant 0.94999999999999996 : f64
  %two = arith.constant 2.000000e+00 : f64
  %half = arith.constant 5.000000e-01 : f64
  %eps = arith.constant 1.000000e-07 : f64
  %a = arith.constant 3.4445 : f32
  %b = arith.constant -4.7750 : f32
  %c = arith.constant 2.0315 : f32
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<24x8xf32>
  %e0 = tensor.empty() : tensor<f32>
  %et = tensor.empty() : tensor<8x24xf32>
  %b1 = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%buf, %g : tensor<24x8xf32>, tensor<24x8xf32>) outs(%e : tensor<24x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %m = arith.truncf %mu : f64 to f32
    %p = arith.mulf %x, %m : f32
    %r = arith.addf %p, %y : f32
    linalg.yield %r : f32
  } -> tensor<24x8xf32>
  %u = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%g, %b1 : tensor<24x8xf32>, tensor<24x8xf32>) outs(%e : tensor<24x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %m = arith.truncf %mu : f64 to f32
    %p = arith.mulf %y, %m : f32
    %r = arith.addf %x, %p : f32
    linalg.yield %r : f32
  } -> tensor<24x8xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %ss = linalg.generic {indexing_maps = [#id2, #sc2], iterator_types = ["reduction", "reduction"]}
      ins(%u : tensor<24x8xf32>) outs(%z0 : tensor<f32>) {
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
      ins(%u, %den : tensor<24x8xf32>, tensor<f32>) outs(%e : tensor<24x8xf32>) {
  ^bb0(%x: f32, %d: f32, %o: f32):
    %r = arith.divf %x, %d : f32
    linalg.yield %r : f32
  } -> tensor<24x8xf32>
  %x0t = linalg.transpose ins(%x0 : tensor<24x8xf32>) outs(%et : tensor<8x24xf32>) permutation = [1, 0]
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %xf = scf.for %i = %c0 to %c5 step %c1 iter_args(%x = %x0t) -> (tensor<8x24xf32>) {
    %xt = linalg.transpose ins(%x : tensor<8x24xf32>) outs(%e : tensor<24x8xf32>) permutation = [1, 0]
    %e88 = tensor.empty() : tensor<8x8xf32>
    %z88 = linalg.fill ins(%zero : f32) outs(%e88 : tensor<8x8xf32>) -> tensor<8x8xf32>
    %am = linalg.matmul ins(%x, %xt : tensor<8x24xf32>, tensor<24x8xf32>) outs(%z88 : tensor<8x8xf32>) -> tensor<8x8xf32>
    %aa = linalg.matmul ins(%am, %am : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z88 : tensor<8x8xf32>) -> tensor<8x8xf32>
    %bm = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
        ins(%am, %aa : tensor<8x8xf32>, tensor<8x8xf32>) outs(%e88 : tensor<8x8xf32>) {
    ^bb0(%p: f32, %q: f32, %o: f32):
      %s = arith.mulf %b, %p : f32
      %t = arith.mulf %c, %q : f32
      %r = arith.addf %s, %t : f32
      linalg.yield %r : f32
    } -> tensor<8x8xf32>
    %z824 = linalg.fill ins(%zero : f32) outs(%et : tensor<8x24xf32>) -> tensor<8x24xf32>
    %bx = linalg.matmul ins(%bm, %x : tensor<8x8xf32>, tensor<8x24xf32>) outs(%z824 : tensor<8x24xf32>) -> tensor<8x24xf32>
    %xn = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
        ins(%x, %bx : tensor<8x24xf32>, tensor<8x24xf32>) outs(%et : tensor<8x24xf32>) {
    ^bb0(%p: f32, %q: f32, %o: f32):
      %s = arith.mulf %a, %p : f32
      %r = arith.addf %s, %q : f32
      linalg.yield %r : f32
    } -> tensor<8x24xf32>
    scf.yield %xn : tensor<8x24xf32>
  }
  %xb = linalg.transpose ins(%xf : tensor<8x24xf32>) outs(%e : tensor<24x8xf32>) permutation = [1, 0]
  %w1 = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%w, %xb : tensor<24x8xf32>, tensor<24x8xf32>) outs(%e : tensor<24x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %al = arith.truncf %lr : f64 to f32
    %p = arith.mulf %y, %al : f32
    %r = arith.addf %x, %p : f32
    linalg.yield %r : f32
  } -> tensor<24x8xf32>
  return %w1, %b1 : tensor<24x8xf32>, tensor<24x8xf32>
}

func.func @muon_torch_tall_reference(%w: tensor<24x8xf32>, %g: tensor<24x8xf32>, %buf: tensor<24x8xf32>, %lr: f64) -> (tensor<24x8xf32>, tensor<24x8xf32>)  attributes {qopt.no_raise} {
  %mu = arith.constant 0.94999999999999996 : f64
  %two = arith.constant 2.000000e+00 : f64
  %half = arith.constant 5.000000e-01 : f64
  %eps = arith.constant 1.000000e-07 : f64
  %a = arith.constant 3.4445 : f32
  %b = arith.constant -4.7750 : f32
  %c = arith.constant 2.0315 : f32
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<24x8xf32>
  %e0 = tensor.empty() : tensor<f32>
  %et = tensor.empty() : tensor<8x24xf32>
  %b1 = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%buf, %g : tensor<24x8xf32>, tensor<24x8xf32>) outs(%e : tensor<24x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %m = arith.truncf %mu : f64 to f32
    %p = arith.mulf %x, %m : f32
    %r = arith.addf %p, %y : f32
    linalg.yield %r : f32
  } -> tensor<24x8xf32>
  %u = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%g, %b1 : tensor<24x8xf32>, tensor<24x8xf32>) outs(%e : tensor<24x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %m = arith.truncf %mu : f64 to f32
    %p = arith.mulf %y, %m : f32
    %r = arith.addf %x, %p : f32
    linalg.yield %r : f32
  } -> tensor<24x8xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %ss = linalg.generic {indexing_maps = [#id2, #sc2], iterator_types = ["reduction", "reduction"]}
      ins(%u : tensor<24x8xf32>) outs(%z0 : tensor<f32>) {
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
      ins(%u, %den : tensor<24x8xf32>, tensor<f32>) outs(%e : tensor<24x8xf32>) {
  ^bb0(%x: f32, %d: f32, %o: f32):
    %r = arith.divf %x, %d : f32
    linalg.yield %r : f32
  } -> tensor<24x8xf32>
  %x0t = linalg.transpose ins(%x0 : tensor<24x8xf32>) outs(%et : tensor<8x24xf32>) permutation = [1, 0]
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %xf = scf.for %i = %c0 to %c5 step %c1 iter_args(%x = %x0t) -> (tensor<8x24xf32>) {
    %xt = linalg.transpose ins(%x : tensor<8x24xf32>) outs(%e : tensor<24x8xf32>) permutation = [1, 0]
    %e88 = tensor.empty() : tensor<8x8xf32>
    %z88 = linalg.fill ins(%zero : f32) outs(%e88 : tensor<8x8xf32>) -> tensor<8x8xf32>
    %am = linalg.matmul ins(%x, %xt : tensor<8x24xf32>, tensor<24x8xf32>) outs(%z88 : tensor<8x8xf32>) -> tensor<8x8xf32>
    %aa = linalg.matmul ins(%am, %am : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z88 : tensor<8x8xf32>) -> tensor<8x8xf32>
    %bm = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
        ins(%am, %aa : tensor<8x8xf32>, tensor<8x8xf32>) outs(%e88 : tensor<8x8xf32>) {
    ^bb0(%p: f32, %q: f32, %o: f32):
      %s = arith.mulf %b, %p : f32
      %t = arith.mulf %c, %q : f32
      %r = arith.addf %s, %t : f32
      linalg.yield %r : f32
    } -> tensor<8x8xf32>
    %z824 = linalg.fill ins(%zero : f32) outs(%et : tensor<8x24xf32>) -> tensor<8x24xf32>
    %bx = linalg.matmul ins(%bm, %x : tensor<8x8xf32>, tensor<8x24xf32>) outs(%z824 : tensor<8x24xf32>) -> tensor<8x24xf32>
    %xn = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
        ins(%x, %bx : tensor<8x24xf32>, tensor<8x24xf32>) outs(%et : tensor<8x24xf32>) {
    ^bb0(%p: f32, %q: f32, %o: f32):
      %s = arith.mulf %a, %p : f32
      %r = arith.addf %s, %q : f32
      linalg.yield %r : f32
    } -> tensor<8x24xf32>
    scf.yield %xn : tensor<8x24xf32>
  }
  %xb = linalg.transpose ins(%xf : tensor<8x24xf32>) outs(%e : tensor<24x8xf32>) permutation = [1, 0]
  %w1 = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%w, %xb : tensor<24x8xf32>, tensor<24x8xf32>) outs(%e : tensor<24x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %al = arith.truncf %lr : f64 to f32
    %p = arith.mulf %y, %al : f32
    %r = arith.addf %x, %p : f32
    linalg.yield %r : f32
  } -> tensor<24x8xf32>
  return %w1, %b1 : tensor<24x8xf32>, tensor<24x8xf32>
}

/// StableHLO -> linalg: Muon without Nesterov on a wide weight, decoupled
/// decay written W * (1 - lr wd) - lr X.
func.func @muon_stablehlo_wide(%w: tensor<8x24xf32>, %g: tensor<8x24xf32>, %buf: tensor<8x24xf32>) -> (tensor<8x24xf32>, tensor<8x24xf32>) {
  %lr = arith.constant 2.0e-2 : f32
  %mu = arith.constant dense<0.9> : tensor<8x24xf32>
  %eps = arith.constant dense<1.0e-7> : tensor<f32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %z88 = arith.constant dense<0.0> : tensor<8x8xf32>
  %a = arith.constant dense<3.4445> : tensor<8x24xf32>
  %b = arith.constant dense<-4.7750> : tensor<8x8xf32>
  %c = arith.constant dense<2.0315> : tensor<8x8xf32>
  %keep = arith.constant dense<0.998> : tensor<8x24xf32>
  %lrs = tensor.splat %lr : tensor<8x24xf32>
  %e = tensor.empty() : tensor<8x24xf32>
  %e0 = tensor.empty() : tensor<f32>
  %e88 = tensor.empty() : tensor<8x8xf32>
  %mb = linalg.map { arith.mulf } ins(%mu, %buf : tensor<8x24xf32>, tensor<8x24xf32>) outs(%e : tensor<8x24xf32>)
  %b1 = linalg.map { arith.addf } ins(%mb, %g : tensor<8x24xf32>, tensor<8x24xf32>) outs(%e : tensor<8x24xf32>)
  %sq = linalg.map { arith.mulf } ins(%b1, %b1 : tensor<8x24xf32>, tensor<8x24xf32>) outs(%e : tensor<8x24xf32>)
  %ss = linalg.reduce { arith.addf } ins(%sq : tensor<8x24xf32>) outs(%zero : tensor<f32>) dimensions = [0, 1]
  %nrm = linalg.map { math.sqrt } ins(%ss : tensor<f32>) outs(%e0 : tensor<f32>)
  %den = linalg.map { arith.addf } ins(%nrm, %eps : tensor<f32>, tensor<f32>) outs(%e0 : tensor<f32>)
  %denb = linalg.broadcast ins(%den : tensor<f32>) outs(%e : tensor<8x24xf32>) dimensions = [0, 1]
  %x0 = linalg.map { arith.divf } ins(%b1, %denb : tensor<8x24xf32>, tensor<8x24xf32>) outs(%e : tensor<8x24xf32>)
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %xf = scf.for %i = %c0 to %c5 step %c1 iter_args(%x = %x0) -> (tensor<8x24xf32>) {
    %am = linalg.matmul indexing_maps = [#mk, #nk, #mn]
        ins(%x, %x : tensor<8x24xf32>, tensor<8x24xf32>) outs(%z88 : tensor<8x8xf32>) -> tensor<8x8xf32>
    %aa = linalg.matmul ins(%am, %am : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z88 : tensor<8x8xf32>) -> tensor<8x8xf32>
    %ba = linalg.map { arith.mulf } ins(%b, %am : tensor<8x8xf32>, tensor<8x8xf32>) outs(%e88 : tensor<8x8xf32>)
    %ca = linalg.map { arith.mulf } ins(%c, %aa : tensor<8x8xf32>, tensor<8x8xf32>) outs(%e88 : tensor<8x8xf32>)
    %bm = linalg.map { arith.addf } ins(%ba, %ca : tensor<8x8xf32>, tensor<8x8xf32>) outs(%e88 : tensor<8x8xf32>)
    %ax = linalg.map { arith.mulf } ins(%a, %x : tensor<8x24xf32>, tensor<8x24xf32>) outs(%e : tensor<8x24xf32>)
    %xn = linalg.matmul ins(%bm, %x : tensor<8x8xf32>, tensor<8x24xf32>) outs(%ax : tensor<8x24xf32>) -> tensor<8x24xf32>
    scf.yield %xn : tensor<8x24xf32>
  }
  %wk = linalg.map { arith.mulf } ins(%w, %keep : tensor<8x24xf32>, tensor<8x24xf32>) outs(%e : tensor<8x24xf32>)
  %lx = linalg.map { arith.mulf } ins(%lrs, %xf : tensor<8x24xf32>, tensor<8x24xf32>) outs(%e : tensor<8x24xf32>)
  %w1 = linalg.map { arith.subf } ins(%wk, %lx : tensor<8x24xf32>, tensor<8x24xf32>) outs(%e : tensor<8x24xf32>)
  return %w1, %b1 : tensor<8x24xf32>, tensor<8x24xf32>
}

func.func @muon_stablehlo_wide_reference(%w: tensor<8x24xf32>, %g: tensor<8x24xf32>, %buf: tensor<8x24xf32>, %lr: f32) -> (tensor<8x24xf32>, tensor<8x24xf32>)  attributes {qopt.no_raise} {
  %mu = arith.constant dense<0.9> : tensor<8x24xf32>
  %eps = arith.constant dense<1.0e-7> : tensor<f32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %z88 = arith.constant dense<0.0> : tensor<8x8xf32>
  %a = arith.constant dense<3.4445> : tensor<8x24xf32>
  %b = arith.constant dense<-4.7750> : tensor<8x8xf32>
  %c = arith.constant dense<2.0315> : tensor<8x8xf32>
  %keep = arith.constant dense<0.998> : tensor<8x24xf32>
  %lrs = tensor.splat %lr : tensor<8x24xf32>
  %e = tensor.empty() : tensor<8x24xf32>
  %e0 = tensor.empty() : tensor<f32>
  %e88 = tensor.empty() : tensor<8x8xf32>
  %mb = linalg.map { arith.mulf } ins(%mu, %buf : tensor<8x24xf32>, tensor<8x24xf32>) outs(%e : tensor<8x24xf32>)
  %b1 = linalg.map { arith.addf } ins(%mb, %g : tensor<8x24xf32>, tensor<8x24xf32>) outs(%e : tensor<8x24xf32>)
  %sq = linalg.map { arith.mulf } ins(%b1, %b1 : tensor<8x24xf32>, tensor<8x24xf32>) outs(%e : tensor<8x24xf32>)
  %ss = linalg.reduce { arith.addf } ins(%sq : tensor<8x24xf32>) outs(%zero : tensor<f32>) dimensions = [0, 1]
  %nrm = linalg.map { math.sqrt } ins(%ss : tensor<f32>) outs(%e0 : tensor<f32>)
  %den = linalg.map { arith.addf } ins(%nrm, %eps : tensor<f32>, tensor<f32>) outs(%e0 : tensor<f32>)
  %denb = linalg.broadcast ins(%den : tensor<f32>) outs(%e : tensor<8x24xf32>) dimensions = [0, 1]
  %x0 = linalg.map { arith.divf } ins(%b1, %denb : tensor<8x24xf32>, tensor<8x24xf32>) outs(%e : tensor<8x24xf32>)
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %xf = scf.for %i = %c0 to %c5 step %c1 iter_args(%x = %x0) -> (tensor<8x24xf32>) {
    %am = linalg.matmul indexing_maps = [#mk, #nk, #mn]
        ins(%x, %x : tensor<8x24xf32>, tensor<8x24xf32>) outs(%z88 : tensor<8x8xf32>) -> tensor<8x8xf32>
    %aa = linalg.matmul ins(%am, %am : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z88 : tensor<8x8xf32>) -> tensor<8x8xf32>
    %ba = linalg.map { arith.mulf } ins(%b, %am : tensor<8x8xf32>, tensor<8x8xf32>) outs(%e88 : tensor<8x8xf32>)
    %ca = linalg.map { arith.mulf } ins(%c, %aa : tensor<8x8xf32>, tensor<8x8xf32>) outs(%e88 : tensor<8x8xf32>)
    %bm = linalg.map { arith.addf } ins(%ba, %ca : tensor<8x8xf32>, tensor<8x8xf32>) outs(%e88 : tensor<8x8xf32>)
    %ax = linalg.map { arith.mulf } ins(%a, %x : tensor<8x24xf32>, tensor<8x24xf32>) outs(%e : tensor<8x24xf32>)
    %xn = linalg.matmul ins(%bm, %x : tensor<8x8xf32>, tensor<8x24xf32>) outs(%ax : tensor<8x24xf32>) -> tensor<8x24xf32>
    scf.yield %xn : tensor<8x24xf32>
  }
  %wk = linalg.map { arith.mulf } ins(%w, %keep : tensor<8x24xf32>, tensor<8x24xf32>) outs(%e : tensor<8x24xf32>)
  %lx = linalg.map { arith.mulf } ins(%lrs, %xf : tensor<8x24xf32>, tensor<8x24xf32>) outs(%e : tensor<8x24xf32>)
  %w1 = linalg.map { arith.subf } ins(%wk, %lx : tensor<8x24xf32>, tensor<8x24xf32>) outs(%e : tensor<8x24xf32>)
  return %w1, %b1 : tensor<8x24xf32>, tensor<8x24xf32>
}

func.func private @printMemrefI32(memref<*xi32>) attributes {llvm.emit_c_interface}

/// Element i of input tensor k: ((i * 7919 + k * 104729) mod 1009 - 504) / 256
/// (as in adam-update.mlir).
func.func @gen(%k: i64, %n: index) -> tensor<?xf32> {
  %c7919 = arith.constant 7919 : i64
  %c104729 = arith.constant 104729 : i64
  %c1009 = arith.constant 1009 : i64
  %c504 = arith.constant 504 : i64
  %c256 = arith.constant 256.0 : f32
  %e = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%e : tensor<?xf32>) {
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
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%e : tensor<?xf32>) {
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

/// Prints how many elements of a (raised) and b (reference) differ in their
/// bits, then whether every element agrees to 1e-6 and to 1e-4 relative
/// (1 or 0): |a - b| <= tol * (|b| + rms(b)), the criterion of
/// qopt-optim-ref (the rms term keeps elements that cancel to almost zero
/// from failing on differences far below the tensor's scale).
func.func @compare(%a: tensor<?xf32>, %b: tensor<?xf32>) {
  %zi = arith.constant 0 : i64
  %zf = arith.constant 0.0 : f32
  %ei = tensor.empty() : tensor<i64>
  %ef = tensor.empty() : tensor<f32>
  %ni = linalg.fill ins(%zi : i64) outs(%ei : tensor<i64>) -> tensor<i64>
  %nf = linalg.fill ins(%zf : f32) outs(%ef : tensor<f32>) -> tensor<f32>
  %ss = linalg.generic {indexing_maps = [#id, #sc], iterator_types = ["reduction"]}
      ins(%b : tensor<?xf32>) outs(%nf : tensor<f32>) {
  ^bb0(%y: f32, %acc: f32):
    %y2 = arith.mulf %y, %y : f32
    %s = arith.addf %acc, %y2 : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %c0 = arith.constant 0 : index
  %n = tensor.dim %b, %c0 : tensor<?xf32>
  %ni64 = arith.index_cast %n : index to i64
  %nf32 = arith.sitofp %ni64 : i64 to f32
  %sum = tensor.extract %ss[] : tensor<f32>
  %mean = arith.divf %sum, %nf32 : f32
  %rms = math.sqrt %mean : f32
  %r:2 = linalg.generic {indexing_maps = [#id, #id, #sc, #sc], iterator_types = ["reduction"]}
      ins(%a, %b : tensor<?xf32>, tensor<?xf32>) outs(%ni, %nf : tensor<i64>, tensor<f32>) {
  ^bb0(%x: f32, %y: f32, %count: i64, %worst: f32):
    %xb = arith.bitcast %x : f32 to i32
    %yb = arith.bitcast %y : f32 to i32
    %ne = arith.cmpi ne, %xb, %yb : i32
    %one = arith.extui %ne : i1 to i64
    %count1 = arith.addi %count, %one : i64
    %d = arith.subf %x, %y : f32
    %ad = math.absf %d : f32
    %ay = math.absf %y : f32
    %scale = arith.addf %ay, %rms : f32
    %rel = arith.divf %ad, %scale : f32
    %worst1 = arith.maximumf %worst, %rel : f32
    linalg.yield %count1, %worst1 : i64, f32
  } -> (tensor<i64>, tensor<f32>)
  %bits = tensor.extract %r#0[] : tensor<i64>
  %w = tensor.extract %r#1[] : tensor<f32>
  %tol6 = arith.constant 1.0e-6 : f32
  %tol4 = arith.constant 1.0e-4 : f32
  %ok6 = arith.cmpf ole, %w, %tol6 : f32
  %ok4 = arith.cmpf ole, %w, %tol4 : f32
  vector.print %bits : i64
  vector.print %ok6 : i1
  vector.print %ok4 : i1
  return
}

func.func @main() {
  // adam_lowering_order
  %adam_lowering_order_n = arith.constant 256 : index
  %adam_lowering_order_kw = arith.constant 0 : i64
  %adam_lowering_order_w0d = call @gen(%adam_lowering_order_kw, %adam_lowering_order_n) : (i64, index) -> tensor<?xf32>
  %adam_lowering_order_w0_c = tensor.cast %adam_lowering_order_w0d : tensor<?xf32> to tensor<256xf32>
  %adam_lowering_order_w0 = tensor.cast %adam_lowering_order_w0_c : tensor<256xf32> to tensor<256xf32>
  %adam_lowering_order_km = arith.constant 1 : i64
  %adam_lowering_order_m0d = call @gen(%adam_lowering_order_km, %adam_lowering_order_n) : (i64, index) -> tensor<?xf32>
  %adam_lowering_order_m0_c = tensor.cast %adam_lowering_order_m0d : tensor<?xf32> to tensor<256xf32>
  %adam_lowering_order_m0 = tensor.cast %adam_lowering_order_m0_c : tensor<256xf32> to tensor<256xf32>
  %adam_lowering_order_kv = arith.constant 2 : i64
  %adam_lowering_order_v0d = call @gen_nonneg(%adam_lowering_order_kv, %adam_lowering_order_n) : (i64, index) -> tensor<?xf32>
  %adam_lowering_order_v0_c = tensor.cast %adam_lowering_order_v0d : tensor<?xf32> to tensor<256xf32>
  %adam_lowering_order_v0 = tensor.cast %adam_lowering_order_v0_c : tensor<256xf32> to tensor<256xf32>
  %adam_lowering_order_lr = arith.constant 1.0e-2 : f32
  %adam_lowering_order_lb = arith.constant 1 : index
  %adam_lowering_order_ub = arith.constant 4 : index
  %adam_lowering_order_st = arith.constant 1 : index
  %adam_lowering_order_r:6 = scf.for %t = %adam_lowering_order_lb to %adam_lowering_order_ub step %adam_lowering_order_st iter_args(%w = %adam_lowering_order_w0, %m = %adam_lowering_order_m0, %v = %adam_lowering_order_v0, %wr = %adam_lowering_order_w0, %mr = %adam_lowering_order_m0, %vr = %adam_lowering_order_v0) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %c10 = arith.constant 10 : i64
    %k = arith.addi %t64, %c10 : i64
    %gd = func.call @gen(%k, %adam_lowering_order_n) : (i64, index) -> tensor<?xf32>
    %gc = tensor.cast %gd : tensor<?xf32> to tensor<256xf32>
    %g = tensor.cast %gc : tensor<256xf32> to tensor<256xf32>
    %ra:3 = func.call @adam_lowering_order(%w, %g, %m, %v, %t64) : (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, i64) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
    %rb:3 = func.call @adam_lowering_order_reference(%wr, %g, %mr, %vr, %t64, %adam_lowering_order_lr) : (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, i64, f32) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
    scf.yield %ra#0, %ra#1, %ra#2, %rb#0, %rb#1, %rb#2 : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>
  }
  vector.print str "adam_lowering_order w\n"
  %adam_lowering_order_x0 = tensor.cast %adam_lowering_order_r#0 : tensor<256xf32> to tensor<?xf32>
  %adam_lowering_order_y0 = tensor.cast %adam_lowering_order_r#3 : tensor<256xf32> to tensor<?xf32>
  call @compare(%adam_lowering_order_x0, %adam_lowering_order_y0) : (tensor<?xf32>, tensor<?xf32>) -> ()
  vector.print str "adam_lowering_order m\n"
  %adam_lowering_order_x1 = tensor.cast %adam_lowering_order_r#1 : tensor<256xf32> to tensor<?xf32>
  %adam_lowering_order_y1 = tensor.cast %adam_lowering_order_r#4 : tensor<256xf32> to tensor<?xf32>
  call @compare(%adam_lowering_order_x1, %adam_lowering_order_y1) : (tensor<?xf32>, tensor<?xf32>) -> ()
  vector.print str "adam_lowering_order v\n"
  %adam_lowering_order_x2 = tensor.cast %adam_lowering_order_r#2 : tensor<256xf32> to tensor<?xf32>
  %adam_lowering_order_y2 = tensor.cast %adam_lowering_order_r#5 : tensor<256xf32> to tensor<?xf32>
  call @compare(%adam_lowering_order_x2, %adam_lowering_order_y2) : (tensor<?xf32>, tensor<?xf32>) -> ()
  // adamw_arguments
  %adamw_arguments_n = arith.constant 256 : index
  %adamw_arguments_kw = arith.constant 0 : i64
  %adamw_arguments_w0d = call @gen(%adamw_arguments_kw, %adamw_arguments_n) : (i64, index) -> tensor<?xf32>
  %adamw_arguments_w0_c = tensor.cast %adamw_arguments_w0d : tensor<?xf32> to tensor<256xf32>
  %adamw_arguments_w0 = tensor.cast %adamw_arguments_w0_c : tensor<256xf32> to tensor<256xf32>
  %adamw_arguments_km = arith.constant 1 : i64
  %adamw_arguments_m0d = call @gen(%adamw_arguments_km, %adamw_arguments_n) : (i64, index) -> tensor<?xf32>
  %adamw_arguments_m0_c = tensor.cast %adamw_arguments_m0d : tensor<?xf32> to tensor<256xf32>
  %adamw_arguments_m0 = tensor.cast %adamw_arguments_m0_c : tensor<256xf32> to tensor<256xf32>
  %adamw_arguments_kv = arith.constant 2 : i64
  %adamw_arguments_v0d = call @gen_nonneg(%adamw_arguments_kv, %adamw_arguments_n) : (i64, index) -> tensor<?xf32>
  %adamw_arguments_v0_c = tensor.cast %adamw_arguments_v0d : tensor<?xf32> to tensor<256xf32>
  %adamw_arguments_v0 = tensor.cast %adamw_arguments_v0_c : tensor<256xf32> to tensor<256xf32>
  %adamw_arguments_lr = arith.constant 3.0e-3 : f32
  %adamw_arguments_b1 = arith.constant 0.85 : f32
  %adamw_arguments_b2 = arith.constant 0.995 : f32
  %adamw_arguments_eps = arith.constant 1.0e-6 : f32
  %adamw_arguments_wd = arith.constant 0.05 : f32
  %adamw_arguments_lb = arith.constant 1 : index
  %adamw_arguments_ub = arith.constant 4 : index
  %adamw_arguments_st = arith.constant 1 : index
  %adamw_arguments_r:6 = scf.for %t = %adamw_arguments_lb to %adamw_arguments_ub step %adamw_arguments_st iter_args(%w = %adamw_arguments_w0, %m = %adamw_arguments_m0, %v = %adamw_arguments_v0, %wr = %adamw_arguments_w0, %mr = %adamw_arguments_m0, %vr = %adamw_arguments_v0) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %c10 = arith.constant 10 : i64
    %k = arith.addi %t64, %c10 : i64
    %gd = func.call @gen(%k, %adamw_arguments_n) : (i64, index) -> tensor<?xf32>
    %gc = tensor.cast %gd : tensor<?xf32> to tensor<256xf32>
    %g = tensor.cast %gc : tensor<256xf32> to tensor<256xf32>
    %ra:3 = func.call @adamw_arguments(%w, %g, %m, %v, %t64, %adamw_arguments_lr, %adamw_arguments_b1, %adamw_arguments_b2, %adamw_arguments_eps, %adamw_arguments_wd) : (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, i64, f32, f32, f32, f32, f32) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
    %rb:3 = func.call @adamw_arguments_reference(%wr, %g, %mr, %vr, %t64, %adamw_arguments_lr, %adamw_arguments_b1, %adamw_arguments_b2, %adamw_arguments_eps, %adamw_arguments_wd) : (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, i64, f32, f32, f32, f32, f32) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
    scf.yield %ra#0, %ra#1, %ra#2, %rb#0, %rb#1, %rb#2 : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>
  }
  vector.print str "adamw_arguments w\n"
  %adamw_arguments_x0 = tensor.cast %adamw_arguments_r#0 : tensor<256xf32> to tensor<?xf32>
  %adamw_arguments_y0 = tensor.cast %adamw_arguments_r#3 : tensor<256xf32> to tensor<?xf32>
  call @compare(%adamw_arguments_x0, %adamw_arguments_y0) : (tensor<?xf32>, tensor<?xf32>) -> ()
  vector.print str "adamw_arguments m\n"
  %adamw_arguments_x1 = tensor.cast %adamw_arguments_r#1 : tensor<256xf32> to tensor<?xf32>
  %adamw_arguments_y1 = tensor.cast %adamw_arguments_r#4 : tensor<256xf32> to tensor<?xf32>
  call @compare(%adamw_arguments_x1, %adamw_arguments_y1) : (tensor<?xf32>, tensor<?xf32>) -> ()
  vector.print str "adamw_arguments v\n"
  %adamw_arguments_x2 = tensor.cast %adamw_arguments_r#2 : tensor<256xf32> to tensor<?xf32>
  %adamw_arguments_y2 = tensor.cast %adamw_arguments_r#5 : tensor<256xf32> to tensor<?xf32>
  call @compare(%adamw_arguments_x2, %adamw_arguments_y2) : (tensor<?xf32>, tensor<?xf32>) -> ()
  // adam_torch
  %adam_torch_n = arith.constant 256 : index
  %adam_torch_kw = arith.constant 0 : i64
  %adam_torch_w0d = call @gen(%adam_torch_kw, %adam_torch_n) : (i64, index) -> tensor<?xf32>
  %adam_torch_w0_c = tensor.cast %adam_torch_w0d : tensor<?xf32> to tensor<256xf32>
  %adam_torch_w0 = tensor.cast %adam_torch_w0_c : tensor<256xf32> to tensor<256xf32>
  %adam_torch_km = arith.constant 1 : i64
  %adam_torch_m0d = call @gen(%adam_torch_km, %adam_torch_n) : (i64, index) -> tensor<?xf32>
  %adam_torch_m0_c = tensor.cast %adam_torch_m0d : tensor<?xf32> to tensor<256xf32>
  %adam_torch_m0 = tensor.cast %adam_torch_m0_c : tensor<256xf32> to tensor<256xf32>
  %adam_torch_kv = arith.constant 2 : i64
  %adam_torch_v0d = call @gen_nonneg(%adam_torch_kv, %adam_torch_n) : (i64, index) -> tensor<?xf32>
  %adam_torch_v0_c = tensor.cast %adam_torch_v0d : tensor<?xf32> to tensor<256xf32>
  %adam_torch_v0 = tensor.cast %adam_torch_v0_c : tensor<256xf32> to tensor<256xf32>
  %adam_torch_lr = arith.constant 1.0e-3 : f64
  %adam_torch_lb = arith.constant 1 : index
  %adam_torch_ub = arith.constant 4 : index
  %adam_torch_st = arith.constant 1 : index
  %adam_torch_r:6 = scf.for %t = %adam_torch_lb to %adam_torch_ub step %adam_torch_st iter_args(%w = %adam_torch_w0, %m = %adam_torch_m0, %v = %adam_torch_v0, %wr = %adam_torch_w0, %mr = %adam_torch_m0, %vr = %adam_torch_v0) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %c10 = arith.constant 10 : i64
    %k = arith.addi %t64, %c10 : i64
    %gd = func.call @gen(%k, %adam_torch_n) : (i64, index) -> tensor<?xf32>
    %gc = tensor.cast %gd : tensor<?xf32> to tensor<256xf32>
    %g = tensor.cast %gc : tensor<256xf32> to tensor<256xf32>
    %st = tensor.from_elements %t64 : tensor<i64>
    %ra:3 = func.call @adam_torch(%w, %g, %m, %v, %st) : (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<i64>) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
    %rb:3 = func.call @adam_torch_reference(%wr, %g, %mr, %vr, %st, %adam_torch_lr) : (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<i64>, f64) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
    scf.yield %ra#0, %ra#1, %ra#2, %rb#0, %rb#1, %rb#2 : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>
  }
  vector.print str "adam_torch w\n"
  %adam_torch_x0 = tensor.cast %adam_torch_r#0 : tensor<256xf32> to tensor<?xf32>
  %adam_torch_y0 = tensor.cast %adam_torch_r#3 : tensor<256xf32> to tensor<?xf32>
  call @compare(%adam_torch_x0, %adam_torch_y0) : (tensor<?xf32>, tensor<?xf32>) -> ()
  vector.print str "adam_torch m\n"
  %adam_torch_x1 = tensor.cast %adam_torch_r#1 : tensor<256xf32> to tensor<?xf32>
  %adam_torch_y1 = tensor.cast %adam_torch_r#4 : tensor<256xf32> to tensor<?xf32>
  call @compare(%adam_torch_x1, %adam_torch_y1) : (tensor<?xf32>, tensor<?xf32>) -> ()
  vector.print str "adam_torch v\n"
  %adam_torch_x2 = tensor.cast %adam_torch_r#2 : tensor<256xf32> to tensor<?xf32>
  %adam_torch_y2 = tensor.cast %adam_torch_r#5 : tensor<256xf32> to tensor<?xf32>
  call @compare(%adam_torch_x2, %adam_torch_y2) : (tensor<?xf32>, tensor<?xf32>) -> ()
  // adamw_optax
  %adamw_optax_n = arith.constant 256 : index
  %adamw_optax_kw = arith.constant 0 : i64
  %adamw_optax_w0d = call @gen(%adamw_optax_kw, %adamw_optax_n) : (i64, index) -> tensor<?xf32>
  %adamw_optax_w0_c = tensor.cast %adamw_optax_w0d : tensor<?xf32> to tensor<256xf32>
  %adamw_optax_w0 = tensor.expand_shape %adamw_optax_w0_c [[0, 1]] output_shape [16, 16] : tensor<256xf32> into tensor<16x16xf32>
  %adamw_optax_km = arith.constant 1 : i64
  %adamw_optax_m0d = call @gen(%adamw_optax_km, %adamw_optax_n) : (i64, index) -> tensor<?xf32>
  %adamw_optax_m0_c = tensor.cast %adamw_optax_m0d : tensor<?xf32> to tensor<256xf32>
  %adamw_optax_m0 = tensor.expand_shape %adamw_optax_m0_c [[0, 1]] output_shape [16, 16] : tensor<256xf32> into tensor<16x16xf32>
  %adamw_optax_kv = arith.constant 2 : i64
  %adamw_optax_v0d = call @gen_nonneg(%adamw_optax_kv, %adamw_optax_n) : (i64, index) -> tensor<?xf32>
  %adamw_optax_v0_c = tensor.cast %adamw_optax_v0d : tensor<?xf32> to tensor<256xf32>
  %adamw_optax_v0 = tensor.expand_shape %adamw_optax_v0_c [[0, 1]] output_shape [16, 16] : tensor<256xf32> into tensor<16x16xf32>
  %adamw_optax_lr = arith.constant -2.0e-3 : f32
  %adamw_optax_lb = arith.constant 1 : index
  %adamw_optax_ub = arith.constant 4 : index
  %adamw_optax_st = arith.constant 1 : index
  %adamw_optax_r:6 = scf.for %t = %adamw_optax_lb to %adamw_optax_ub step %adamw_optax_st iter_args(%w = %adamw_optax_w0, %m = %adamw_optax_m0, %v = %adamw_optax_v0, %wr = %adamw_optax_w0, %mr = %adamw_optax_m0, %vr = %adamw_optax_v0) -> (tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %c10 = arith.constant 10 : i64
    %k = arith.addi %t64, %c10 : i64
    %gd = func.call @gen(%k, %adamw_optax_n) : (i64, index) -> tensor<?xf32>
    %gc = tensor.cast %gd : tensor<?xf32> to tensor<256xf32>
    %g = tensor.expand_shape %gc [[0, 1]] output_shape [16, 16] : tensor<256xf32> into tensor<16x16xf32>
    %c1 = arith.constant 1 : i64
    %cnt = arith.subi %t64, %c1 : i64
    %cnt32 = arith.trunci %cnt : i64 to i32
    %st = tensor.from_elements %cnt32 : tensor<i32>
    %ra:3 = func.call @adamw_optax(%w, %g, %m, %v, %st) : (tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>, tensor<i32>) -> (tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>)
    %rb:3 = func.call @adamw_optax_reference(%wr, %g, %mr, %vr, %st, %adamw_optax_lr) : (tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>, tensor<i32>, f32) -> (tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>)
    scf.yield %ra#0, %ra#1, %ra#2, %rb#0, %rb#1, %rb#2 : tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>
  }
  vector.print str "adamw_optax w\n"
  %adamw_optax_x0_f = tensor.collapse_shape %adamw_optax_r#0 [[0, 1]] : tensor<16x16xf32> into tensor<256xf32>
  %adamw_optax_x0 = tensor.cast %adamw_optax_x0_f : tensor<256xf32> to tensor<?xf32>
  %adamw_optax_y0_f = tensor.collapse_shape %adamw_optax_r#3 [[0, 1]] : tensor<16x16xf32> into tensor<256xf32>
  %adamw_optax_y0 = tensor.cast %adamw_optax_y0_f : tensor<256xf32> to tensor<?xf32>
  call @compare(%adamw_optax_x0, %adamw_optax_y0) : (tensor<?xf32>, tensor<?xf32>) -> ()
  vector.print str "adamw_optax m\n"
  %adamw_optax_x1_f = tensor.collapse_shape %adamw_optax_r#1 [[0, 1]] : tensor<16x16xf32> into tensor<256xf32>
  %adamw_optax_x1 = tensor.cast %adamw_optax_x1_f : tensor<256xf32> to tensor<?xf32>
  %adamw_optax_y1_f = tensor.collapse_shape %adamw_optax_r#4 [[0, 1]] : tensor<16x16xf32> into tensor<256xf32>
  %adamw_optax_y1 = tensor.cast %adamw_optax_y1_f : tensor<256xf32> to tensor<?xf32>
  call @compare(%adamw_optax_x1, %adamw_optax_y1) : (tensor<?xf32>, tensor<?xf32>) -> ()
  vector.print str "adamw_optax v\n"
  %adamw_optax_x2_f = tensor.collapse_shape %adamw_optax_r#2 [[0, 1]] : tensor<16x16xf32> into tensor<256xf32>
  %adamw_optax_x2 = tensor.cast %adamw_optax_x2_f : tensor<256xf32> to tensor<?xf32>
  %adamw_optax_y2_f = tensor.collapse_shape %adamw_optax_r#5 [[0, 1]] : tensor<16x16xf32> into tensor<256xf32>
  %adamw_optax_y2 = tensor.cast %adamw_optax_y2_f : tensor<256xf32> to tensor<?xf32>
  call @compare(%adamw_optax_x2, %adamw_optax_y2) : (tensor<?xf32>, tensor<?xf32>) -> ()
  // adam_l2_eps_inside
  %adam_l2_eps_inside_n = arith.constant 256 : index
  %adam_l2_eps_inside_kw = arith.constant 0 : i64
  %adam_l2_eps_inside_w0d = call @gen(%adam_l2_eps_inside_kw, %adam_l2_eps_inside_n) : (i64, index) -> tensor<?xf32>
  %adam_l2_eps_inside_w0_c = tensor.cast %adam_l2_eps_inside_w0d : tensor<?xf32> to tensor<256xf32>
  %adam_l2_eps_inside_w0 = tensor.cast %adam_l2_eps_inside_w0_c : tensor<256xf32> to tensor<256xf32>
  %adam_l2_eps_inside_km = arith.constant 1 : i64
  %adam_l2_eps_inside_m0d = call @gen(%adam_l2_eps_inside_km, %adam_l2_eps_inside_n) : (i64, index) -> tensor<?xf32>
  %adam_l2_eps_inside_m0_c = tensor.cast %adam_l2_eps_inside_m0d : tensor<?xf32> to tensor<256xf32>
  %adam_l2_eps_inside_m0 = tensor.cast %adam_l2_eps_inside_m0_c : tensor<256xf32> to tensor<256xf32>
  %adam_l2_eps_inside_kv = arith.constant 2 : i64
  %adam_l2_eps_inside_v0d = call @gen_nonneg(%adam_l2_eps_inside_kv, %adam_l2_eps_inside_n) : (i64, index) -> tensor<?xf32>
  %adam_l2_eps_inside_v0_c = tensor.cast %adam_l2_eps_inside_v0d : tensor<?xf32> to tensor<256xf32>
  %adam_l2_eps_inside_v0 = tensor.cast %adam_l2_eps_inside_v0_c : tensor<256xf32> to tensor<256xf32>
  %adam_l2_eps_inside_lr = arith.constant 1.0e-3 : f32
  %adam_l2_eps_inside_lb = arith.constant 1 : index
  %adam_l2_eps_inside_ub = arith.constant 4 : index
  %adam_l2_eps_inside_st = arith.constant 1 : index
  %adam_l2_eps_inside_r:6 = scf.for %t = %adam_l2_eps_inside_lb to %adam_l2_eps_inside_ub step %adam_l2_eps_inside_st iter_args(%w = %adam_l2_eps_inside_w0, %m = %adam_l2_eps_inside_m0, %v = %adam_l2_eps_inside_v0, %wr = %adam_l2_eps_inside_w0, %mr = %adam_l2_eps_inside_m0, %vr = %adam_l2_eps_inside_v0) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %c10 = arith.constant 10 : i64
    %k = arith.addi %t64, %c10 : i64
    %gd = func.call @gen(%k, %adam_l2_eps_inside_n) : (i64, index) -> tensor<?xf32>
    %gc = tensor.cast %gd : tensor<?xf32> to tensor<256xf32>
    %g = tensor.cast %gc : tensor<256xf32> to tensor<256xf32>
    %t32 = arith.trunci %t64 : i64 to i32
    %ra:3 = func.call @adam_l2_eps_inside(%w, %g, %m, %v, %t32) : (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, i32) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
    %rb:3 = func.call @adam_l2_eps_inside_reference(%wr, %g, %mr, %vr, %t32, %adam_l2_eps_inside_lr) : (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, i32, f32) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
    scf.yield %ra#0, %ra#1, %ra#2, %rb#0, %rb#1, %rb#2 : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>
  }
  vector.print str "adam_l2_eps_inside w\n"
  %adam_l2_eps_inside_x0 = tensor.cast %adam_l2_eps_inside_r#0 : tensor<256xf32> to tensor<?xf32>
  %adam_l2_eps_inside_y0 = tensor.cast %adam_l2_eps_inside_r#3 : tensor<256xf32> to tensor<?xf32>
  call @compare(%adam_l2_eps_inside_x0, %adam_l2_eps_inside_y0) : (tensor<?xf32>, tensor<?xf32>) -> ()
  vector.print str "adam_l2_eps_inside m\n"
  %adam_l2_eps_inside_x1 = tensor.cast %adam_l2_eps_inside_r#1 : tensor<256xf32> to tensor<?xf32>
  %adam_l2_eps_inside_y1 = tensor.cast %adam_l2_eps_inside_r#4 : tensor<256xf32> to tensor<?xf32>
  call @compare(%adam_l2_eps_inside_x1, %adam_l2_eps_inside_y1) : (tensor<?xf32>, tensor<?xf32>) -> ()
  vector.print str "adam_l2_eps_inside v\n"
  %adam_l2_eps_inside_x2 = tensor.cast %adam_l2_eps_inside_r#2 : tensor<256xf32> to tensor<?xf32>
  %adam_l2_eps_inside_y2 = tensor.cast %adam_l2_eps_inside_r#5 : tensor<256xf32> to tensor<?xf32>
  call @compare(%adam_l2_eps_inside_x2, %adam_l2_eps_inside_y2) : (tensor<?xf32>, tensor<?xf32>) -> ()
  // adamw_no_bias_correction
  %adamw_no_bias_correction_n = arith.constant 256 : index
  %adamw_no_bias_correction_kw = arith.constant 0 : i64
  %adamw_no_bias_correction_w0d = call @gen(%adamw_no_bias_correction_kw, %adamw_no_bias_correction_n) : (i64, index) -> tensor<?xf32>
  %adamw_no_bias_correction_w0_c = tensor.cast %adamw_no_bias_correction_w0d : tensor<?xf32> to tensor<256xf32>
  %adamw_no_bias_correction_w0 = tensor.cast %adamw_no_bias_correction_w0_c : tensor<256xf32> to tensor<256xf32>
  %adamw_no_bias_correction_km = arith.constant 1 : i64
  %adamw_no_bias_correction_m0d = call @gen(%adamw_no_bias_correction_km, %adamw_no_bias_correction_n) : (i64, index) -> tensor<?xf32>
  %adamw_no_bias_correction_m0_c = tensor.cast %adamw_no_bias_correction_m0d : tensor<?xf32> to tensor<256xf32>
  %adamw_no_bias_correction_m0 = tensor.cast %adamw_no_bias_correction_m0_c : tensor<256xf32> to tensor<256xf32>
  %adamw_no_bias_correction_kv = arith.constant 2 : i64
  %adamw_no_bias_correction_v0d = call @gen_nonneg(%adamw_no_bias_correction_kv, %adamw_no_bias_correction_n) : (i64, index) -> tensor<?xf32>
  %adamw_no_bias_correction_v0_c = tensor.cast %adamw_no_bias_correction_v0d : tensor<?xf32> to tensor<256xf32>
  %adamw_no_bias_correction_v0 = tensor.cast %adamw_no_bias_correction_v0_c : tensor<256xf32> to tensor<256xf32>
  %adamw_no_bias_correction_lr = arith.constant 5.0e-3 : f32
  %adamw_no_bias_correction_lb = arith.constant 1 : index
  %adamw_no_bias_correction_ub = arith.constant 4 : index
  %adamw_no_bias_correction_st = arith.constant 1 : index
  %adamw_no_bias_correction_r:6 = scf.for %t = %adamw_no_bias_correction_lb to %adamw_no_bias_correction_ub step %adamw_no_bias_correction_st iter_args(%w = %adamw_no_bias_correction_w0, %m = %adamw_no_bias_correction_m0, %v = %adamw_no_bias_correction_v0, %wr = %adamw_no_bias_correction_w0, %mr = %adamw_no_bias_correction_m0, %vr = %adamw_no_bias_correction_v0) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %c10 = arith.constant 10 : i64
    %k = arith.addi %t64, %c10 : i64
    %gd = func.call @gen(%k, %adamw_no_bias_correction_n) : (i64, index) -> tensor<?xf32>
    %gc = tensor.cast %gd : tensor<?xf32> to tensor<256xf32>
    %g = tensor.cast %gc : tensor<256xf32> to tensor<256xf32>
    %ra:3 = func.call @adamw_no_bias_correction(%w, %g, %m, %v) : (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
    %rb:3 = func.call @adamw_no_bias_correction_reference(%wr, %g, %mr, %vr, %adamw_no_bias_correction_lr) : (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, f32) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>)
    scf.yield %ra#0, %ra#1, %ra#2, %rb#0, %rb#1, %rb#2 : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>
  }
  vector.print str "adamw_no_bias_correction w\n"
  %adamw_no_bias_correction_x0 = tensor.cast %adamw_no_bias_correction_r#0 : tensor<256xf32> to tensor<?xf32>
  %adamw_no_bias_correction_y0 = tensor.cast %adamw_no_bias_correction_r#3 : tensor<256xf32> to tensor<?xf32>
  call @compare(%adamw_no_bias_correction_x0, %adamw_no_bias_correction_y0) : (tensor<?xf32>, tensor<?xf32>) -> ()
  vector.print str "adamw_no_bias_correction m\n"
  %adamw_no_bias_correction_x1 = tensor.cast %adamw_no_bias_correction_r#1 : tensor<256xf32> to tensor<?xf32>
  %adamw_no_bias_correction_y1 = tensor.cast %adamw_no_bias_correction_r#4 : tensor<256xf32> to tensor<?xf32>
  call @compare(%adamw_no_bias_correction_x1, %adamw_no_bias_correction_y1) : (tensor<?xf32>, tensor<?xf32>) -> ()
  vector.print str "adamw_no_bias_correction v\n"
  %adamw_no_bias_correction_x2 = tensor.cast %adamw_no_bias_correction_r#2 : tensor<256xf32> to tensor<?xf32>
  %adamw_no_bias_correction_y2 = tensor.cast %adamw_no_bias_correction_r#5 : tensor<256xf32> to tensor<?xf32>
  call @compare(%adamw_no_bias_correction_x2, %adamw_no_bias_correction_y2) : (tensor<?xf32>, tensor<?xf32>) -> ()
  // muon_torch_tall
  %muon_torch_tall_n = arith.constant 192 : index
  %muon_torch_tall_kw = arith.constant 0 : i64
  %muon_torch_tall_w0d = call @gen(%muon_torch_tall_kw, %muon_torch_tall_n) : (i64, index) -> tensor<?xf32>
  %muon_torch_tall_w0_c = tensor.cast %muon_torch_tall_w0d : tensor<?xf32> to tensor<192xf32>
  %muon_torch_tall_w0 = tensor.expand_shape %muon_torch_tall_w0_c [[0, 1]] output_shape [24, 8] : tensor<192xf32> into tensor<24x8xf32>
  %muon_torch_tall_kb = arith.constant 1 : i64
  %muon_torch_tall_b0d = call @gen(%muon_torch_tall_kb, %muon_torch_tall_n) : (i64, index) -> tensor<?xf32>
  %muon_torch_tall_b0_c = tensor.cast %muon_torch_tall_b0d : tensor<?xf32> to tensor<192xf32>
  %muon_torch_tall_b0 = tensor.expand_shape %muon_torch_tall_b0_c [[0, 1]] output_shape [24, 8] : tensor<192xf32> into tensor<24x8xf32>
  %muon_torch_tall_lr = arith.constant -0.034641016151377546 : f64
  %muon_torch_tall_lb = arith.constant 1 : index
  %muon_torch_tall_ub = arith.constant 3 : index
  %muon_torch_tall_st = arith.constant 1 : index
  %muon_torch_tall_r:4 = scf.for %t = %muon_torch_tall_lb to %muon_torch_tall_ub step %muon_torch_tall_st iter_args(%w = %muon_torch_tall_w0, %b = %muon_torch_tall_b0, %wr = %muon_torch_tall_w0, %br = %muon_torch_tall_b0) -> (tensor<24x8xf32>, tensor<24x8xf32>, tensor<24x8xf32>, tensor<24x8xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %c10 = arith.constant 10 : i64
    %k = arith.addi %t64, %c10 : i64
    %gd = func.call @gen(%k, %muon_torch_tall_n) : (i64, index) -> tensor<?xf32>
    %gc = tensor.cast %gd : tensor<?xf32> to tensor<192xf32>
    %g = tensor.expand_shape %gc [[0, 1]] output_shape [24, 8] : tensor<192xf32> into tensor<24x8xf32>
    %ra:2 = func.call @muon_torch_tall(%w, %g, %b) : (tensor<24x8xf32>, tensor<24x8xf32>, tensor<24x8xf32>) -> (tensor<24x8xf32>, tensor<24x8xf32>)
    %rb:2 = func.call @muon_torch_tall_reference(%wr, %g, %br, %muon_torch_tall_lr) : (tensor<24x8xf32>, tensor<24x8xf32>, tensor<24x8xf32>, f64) -> (tensor<24x8xf32>, tensor<24x8xf32>)
    scf.yield %ra#0, %ra#1, %rb#0, %rb#1 : tensor<24x8xf32>, tensor<24x8xf32>, tensor<24x8xf32>, tensor<24x8xf32>
  }
  vector.print str "muon_torch_tall w\n"
  %muon_torch_tall_x0_f = tensor.collapse_shape %muon_torch_tall_r#0 [[0, 1]] : tensor<24x8xf32> into tensor<192xf32>
  %muon_torch_tall_x0 = tensor.cast %muon_torch_tall_x0_f : tensor<192xf32> to tensor<?xf32>
  %muon_torch_tall_y0_f = tensor.collapse_shape %muon_torch_tall_r#2 [[0, 1]] : tensor<24x8xf32> into tensor<192xf32>
  %muon_torch_tall_y0 = tensor.cast %muon_torch_tall_y0_f : tensor<192xf32> to tensor<?xf32>
  call @compare(%muon_torch_tall_x0, %muon_torch_tall_y0) : (tensor<?xf32>, tensor<?xf32>) -> ()
  vector.print str "muon_torch_tall b\n"
  %muon_torch_tall_x1_f = tensor.collapse_shape %muon_torch_tall_r#1 [[0, 1]] : tensor<24x8xf32> into tensor<192xf32>
  %muon_torch_tall_x1 = tensor.cast %muon_torch_tall_x1_f : tensor<192xf32> to tensor<?xf32>
  %muon_torch_tall_y1_f = tensor.collapse_shape %muon_torch_tall_r#3 [[0, 1]] : tensor<24x8xf32> into tensor<192xf32>
  %muon_torch_tall_y1 = tensor.cast %muon_torch_tall_y1_f : tensor<192xf32> to tensor<?xf32>
  call @compare(%muon_torch_tall_x1, %muon_torch_tall_y1) : (tensor<?xf32>, tensor<?xf32>) -> ()
  // muon_stablehlo_wide
  %muon_stablehlo_wide_n = arith.constant 192 : index
  %muon_stablehlo_wide_kw = arith.constant 0 : i64
  %muon_stablehlo_wide_w0d = call @gen(%muon_stablehlo_wide_kw, %muon_stablehlo_wide_n) : (i64, index) -> tensor<?xf32>
  %muon_stablehlo_wide_w0_c = tensor.cast %muon_stablehlo_wide_w0d : tensor<?xf32> to tensor<192xf32>
  %muon_stablehlo_wide_w0 = tensor.expand_shape %muon_stablehlo_wide_w0_c [[0, 1]] output_shape [8, 24] : tensor<192xf32> into tensor<8x24xf32>
  %muon_stablehlo_wide_kb = arith.constant 1 : i64
  %muon_stablehlo_wide_b0d = call @gen(%muon_stablehlo_wide_kb, %muon_stablehlo_wide_n) : (i64, index) -> tensor<?xf32>
  %muon_stablehlo_wide_b0_c = tensor.cast %muon_stablehlo_wide_b0d : tensor<?xf32> to tensor<192xf32>
  %muon_stablehlo_wide_b0 = tensor.expand_shape %muon_stablehlo_wide_b0_c [[0, 1]] output_shape [8, 24] : tensor<192xf32> into tensor<8x24xf32>
  %muon_stablehlo_wide_lr = arith.constant 2.0e-2 : f32
  %muon_stablehlo_wide_lb = arith.constant 1 : index
  %muon_stablehlo_wide_ub = arith.constant 3 : index
  %muon_stablehlo_wide_st = arith.constant 1 : index
  %muon_stablehlo_wide_r:4 = scf.for %t = %muon_stablehlo_wide_lb to %muon_stablehlo_wide_ub step %muon_stablehlo_wide_st iter_args(%w = %muon_stablehlo_wide_w0, %b = %muon_stablehlo_wide_b0, %wr = %muon_stablehlo_wide_w0, %br = %muon_stablehlo_wide_b0) -> (tensor<8x24xf32>, tensor<8x24xf32>, tensor<8x24xf32>, tensor<8x24xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %c10 = arith.constant 10 : i64
    %k = arith.addi %t64, %c10 : i64
    %gd = func.call @gen(%k, %muon_stablehlo_wide_n) : (i64, index) -> tensor<?xf32>
    %gc = tensor.cast %gd : tensor<?xf32> to tensor<192xf32>
    %g = tensor.expand_shape %gc [[0, 1]] output_shape [8, 24] : tensor<192xf32> into tensor<8x24xf32>
    %ra:2 = func.call @muon_stablehlo_wide(%w, %g, %b) : (tensor<8x24xf32>, tensor<8x24xf32>, tensor<8x24xf32>) -> (tensor<8x24xf32>, tensor<8x24xf32>)
    %rb:2 = func.call @muon_stablehlo_wide_reference(%wr, %g, %br, %muon_stablehlo_wide_lr) : (tensor<8x24xf32>, tensor<8x24xf32>, tensor<8x24xf32>, f32) -> (tensor<8x24xf32>, tensor<8x24xf32>)
    scf.yield %ra#0, %ra#1, %rb#0, %rb#1 : tensor<8x24xf32>, tensor<8x24xf32>, tensor<8x24xf32>, tensor<8x24xf32>
  }
  vector.print str "muon_stablehlo_wide w\n"
  %muon_stablehlo_wide_x0_f = tensor.collapse_shape %muon_stablehlo_wide_r#0 [[0, 1]] : tensor<8x24xf32> into tensor<192xf32>
  %muon_stablehlo_wide_x0 = tensor.cast %muon_stablehlo_wide_x0_f : tensor<192xf32> to tensor<?xf32>
  %muon_stablehlo_wide_y0_f = tensor.collapse_shape %muon_stablehlo_wide_r#2 [[0, 1]] : tensor<8x24xf32> into tensor<192xf32>
  %muon_stablehlo_wide_y0 = tensor.cast %muon_stablehlo_wide_y0_f : tensor<192xf32> to tensor<?xf32>
  call @compare(%muon_stablehlo_wide_x0, %muon_stablehlo_wide_y0) : (tensor<?xf32>, tensor<?xf32>) -> ()
  vector.print str "muon_stablehlo_wide b\n"
  %muon_stablehlo_wide_x1_f = tensor.collapse_shape %muon_stablehlo_wide_r#1 [[0, 1]] : tensor<8x24xf32> into tensor<192xf32>
  %muon_stablehlo_wide_x1 = tensor.cast %muon_stablehlo_wide_x1_f : tensor<192xf32> to tensor<?xf32>
  %muon_stablehlo_wide_y1_f = tensor.collapse_shape %muon_stablehlo_wide_r#3 [[0, 1]] : tensor<8x24xf32> into tensor<192xf32>
  %muon_stablehlo_wide_y1 = tensor.cast %muon_stablehlo_wide_y1_f : tensor<192xf32> to tensor<?xf32>
  call @compare(%muon_stablehlo_wide_x1, %muon_stablehlo_wide_y1) : (tensor<?xf32>, tensor<?xf32>) -> ()
  return
}
