// The optimizer lowerings round e8 formats (bf16, tf32, e8mM) inside their
// fused loops with a shorter, specialised form of qopt.quantize's
// arithmetic. This test checks it is bit-identical to a standalone
// qopt.quantize (the general lowering) on 65536 f32 bit patterns: hashed
// patterns (every exponent, subnormals, infinities, NaN) and exact ties of
// bf16 and e8m3. With beta1 = 0 and m = -0, Adam's m' is exactly g (signed
// zeros included), so quantize(m') exercises the fused path and
// quantize(g) the standalone one. Each configuration prints its number of
// differing elements (NaN matches any NaN of the same sign). The two
// stochastic quantizes of a configuration carry the same `stream`, so they
// draw the same random bits (without it they would get distinct streams).

// RUN: qopt-opt %s --qopt-lower-to-llvm | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | FileCheck %s

// CHECK: bf16_nearest
// CHECK-NEXT: 0
// CHECK: bf16_zero
// CHECK-NEXT: 0
// CHECK: bf16_stochastic
// CHECK-NEXT: 0
// CHECK: e8m3_nearest_flush
// CHECK-NEXT: 0
// CHECK: e8m1_nearest_saturate
// CHECK-NEXT: 0
// CHECK: e8m1_zero_flush_saturate
// CHECK-NEXT: 0
// CHECK: tf32_stochastic_saturate
// CHECK-NEXT: 0
// CHECK: e8m22_nearest
// CHECK-NEXT: 0
// CHECK: e8m1_stochastic_flush
// CHECK-NEXT: 0

/// Bit patterns: a multiplicative hash of the index; every fourth element an
/// exact bf16 tie, every other fourth an exact e8m3 tie.
func.func @patterns(%n: index) -> tensor<?xf32> {
  %e = tensor.empty(%n) : tensor<?xf32>
  %mul = arith.constant -1640531535 : i32
  %c4 = arith.constant 4 : i32
  %c1 = arith.constant 1 : i32
  %c2 = arith.constant 2 : i32
  %hi16 = arith.constant -65536 : i32
  %tie16 = arith.constant 32768 : i32
  %hi12 = arith.constant -1048576 : i32
  %tie20 = arith.constant 524288 : i32
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]} outs(%e : tensor<?xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %i32 = arith.index_cast %i : index to i32
    %h = arith.muli %i32, %mul : i32
    %k = arith.remui %i32, %c4 : i32
    %a = arith.andi %h, %hi16 : i32
    %t16 = arith.ori %a, %tie16 : i32
    %b = arith.andi %h, %hi12 : i32
    %t20 = arith.ori %b, %tie20 : i32
    %is1 = arith.cmpi eq, %k, %c1 : i32
    %is2 = arith.cmpi eq, %k, %c2 : i32
    %s1 = arith.select %is1, %t16, %h : i32
    %s2 = arith.select %is2, %t20, %s1 : i32
    %f = arith.bitcast %s2 : i32 to f32
    linalg.yield %f : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

/// Number of elements whose bit patterns differ (NaNs of one sign match).
func.func @mismatches(%x: tensor<?xf32>, %y: tensor<?xf32>) -> i64 {
  %zero = arith.constant 0 : i64
  %e = tensor.empty() : tensor<i64>
  %init = linalg.fill ins(%zero : i64) outs(%e : tensor<i64>) -> tensor<i64>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>,
                                        affine_map<(d0) -> (d0)>,
                                        affine_map<(d0) -> ()>],
                       iterator_types = ["reduction"]}
      ins(%x, %y : tensor<?xf32>, tensor<?xf32>) outs(%init : tensor<i64>) {
  ^bb0(%a: f32, %b: f32, %acc: i64):
    %ai = arith.bitcast %a : f32 to i32
    %bi = arith.bitcast %b : f32 to i32
    %same = arith.cmpi eq, %ai, %bi : i32
    %an = arith.cmpf uno, %a, %a : f32
    %bn = arith.cmpf uno, %b, %b : f32
    %c0 = arith.constant 0 : i32
    %as = arith.cmpi slt, %ai, %c0 : i32
    %bs = arith.cmpi slt, %bi, %c0 : i32
    %signs = arith.cmpi eq, %as, %bs : i1
    %nans = arith.andi %an, %bn : i1
    %nanSame = arith.andi %nans, %signs : i1
    %ok = arith.ori %same, %nanSame : i1
    %one = arith.constant 1 : i64
    %zero64 = arith.constant 0 : i64
    %inc = arith.select %ok, %zero64, %one : i64
    %sum = arith.addi %acc, %inc : i64
    linalg.yield %sum : i64
  } -> tensor<i64>
  %v = tensor.extract %r[] : tensor<i64>
  return %v : i64
}

func.func @check_bf16_nearest(%g: tensor<?xf32>, %seed: i64, %t: i64) -> i64 {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %g, %c0 : tensor<?xf32>
  %nz = arith.constant -0.0 : f32
  %e = tensor.empty(%n) : tensor<?xf32>
  %m = linalg.fill ins(%nz : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %e2 = tensor.empty(%n) : tensor<?xf32>
  %w = linalg.fill ins(%nz : f32) outs(%e2 : tensor<?xf32>) -> tensor<?xf32>
  %e3 = tensor.empty(%n) : tensor<?xf32>
  %v = linalg.fill ins(%nz : f32) outs(%e3 : tensor<?xf32>) -> tensor<?xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t
      {lr = 0.0 : f32, beta1 = 0.0 : f32} : tensor<?xf32>
  %fused = qopt.quantize %m1 to <bf16>  : tensor<?xf32>
  %alone = qopt.quantize %g to <bf16>  : tensor<?xf32>
  %r = call @mismatches(%fused, %alone) : (tensor<?xf32>, tensor<?xf32>) -> i64
  return %r : i64
}

func.func @check_bf16_zero(%g: tensor<?xf32>, %seed: i64, %t: i64) -> i64 {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %g, %c0 : tensor<?xf32>
  %nz = arith.constant -0.0 : f32
  %e = tensor.empty(%n) : tensor<?xf32>
  %m = linalg.fill ins(%nz : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %e2 = tensor.empty(%n) : tensor<?xf32>
  %w = linalg.fill ins(%nz : f32) outs(%e2 : tensor<?xf32>) -> tensor<?xf32>
  %e3 = tensor.empty(%n) : tensor<?xf32>
  %v = linalg.fill ins(%nz : f32) outs(%e3 : tensor<?xf32>) -> tensor<?xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t
      {lr = 0.0 : f32, beta1 = 0.0 : f32} : tensor<?xf32>
  %fused = qopt.quantize %m1 to <bf16> rounding <toward_zero>  : tensor<?xf32>
  %alone = qopt.quantize %g to <bf16> rounding <toward_zero>  : tensor<?xf32>
  %r = call @mismatches(%fused, %alone) : (tensor<?xf32>, tensor<?xf32>) -> i64
  return %r : i64
}

func.func @check_bf16_stochastic(%g: tensor<?xf32>, %seed: i64, %t: i64) -> i64 {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %g, %c0 : tensor<?xf32>
  %nz = arith.constant -0.0 : f32
  %e = tensor.empty(%n) : tensor<?xf32>
  %m = linalg.fill ins(%nz : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %e2 = tensor.empty(%n) : tensor<?xf32>
  %w = linalg.fill ins(%nz : f32) outs(%e2 : tensor<?xf32>) -> tensor<?xf32>
  %e3 = tensor.empty(%n) : tensor<?xf32>
  %v = linalg.fill ins(%nz : f32) outs(%e3 : tensor<?xf32>) -> tensor<?xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t
      {lr = 0.0 : f32, beta1 = 0.0 : f32} : tensor<?xf32>
  %fused = qopt.quantize %m1 to <bf16> rounding <stochastic> seed %seed step %t stream 0 : tensor<?xf32>
  %alone = qopt.quantize %g to <bf16> rounding <stochastic> seed %seed step %t stream 0 : tensor<?xf32>
  %r = call @mismatches(%fused, %alone) : (tensor<?xf32>, tensor<?xf32>) -> i64
  return %r : i64
}

func.func @check_e8m3_nearest_flush(%g: tensor<?xf32>, %seed: i64, %t: i64) -> i64 {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %g, %c0 : tensor<?xf32>
  %nz = arith.constant -0.0 : f32
  %e = tensor.empty(%n) : tensor<?xf32>
  %m = linalg.fill ins(%nz : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %e2 = tensor.empty(%n) : tensor<?xf32>
  %w = linalg.fill ins(%nz : f32) outs(%e2 : tensor<?xf32>) -> tensor<?xf32>
  %e3 = tensor.empty(%n) : tensor<?xf32>
  %v = linalg.fill ins(%nz : f32) outs(%e3 : tensor<?xf32>) -> tensor<?xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t
      {lr = 0.0 : f32, beta1 = 0.0 : f32} : tensor<?xf32>
  %fused = qopt.quantize %m1 to <e8m3, subnormals = flush>  : tensor<?xf32>
  %alone = qopt.quantize %g to <e8m3, subnormals = flush>  : tensor<?xf32>
  %r = call @mismatches(%fused, %alone) : (tensor<?xf32>, tensor<?xf32>) -> i64
  return %r : i64
}

func.func @check_e8m1_nearest_saturate(%g: tensor<?xf32>, %seed: i64, %t: i64) -> i64 {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %g, %c0 : tensor<?xf32>
  %nz = arith.constant -0.0 : f32
  %e = tensor.empty(%n) : tensor<?xf32>
  %m = linalg.fill ins(%nz : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %e2 = tensor.empty(%n) : tensor<?xf32>
  %w = linalg.fill ins(%nz : f32) outs(%e2 : tensor<?xf32>) -> tensor<?xf32>
  %e3 = tensor.empty(%n) : tensor<?xf32>
  %v = linalg.fill ins(%nz : f32) outs(%e3 : tensor<?xf32>) -> tensor<?xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t
      {lr = 0.0 : f32, beta1 = 0.0 : f32} : tensor<?xf32>
  %fused = qopt.quantize %m1 to <e8m1, overflow = saturate>  : tensor<?xf32>
  %alone = qopt.quantize %g to <e8m1, overflow = saturate>  : tensor<?xf32>
  %r = call @mismatches(%fused, %alone) : (tensor<?xf32>, tensor<?xf32>) -> i64
  return %r : i64
}

func.func @check_e8m1_zero_flush_saturate(%g: tensor<?xf32>, %seed: i64, %t: i64) -> i64 {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %g, %c0 : tensor<?xf32>
  %nz = arith.constant -0.0 : f32
  %e = tensor.empty(%n) : tensor<?xf32>
  %m = linalg.fill ins(%nz : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %e2 = tensor.empty(%n) : tensor<?xf32>
  %w = linalg.fill ins(%nz : f32) outs(%e2 : tensor<?xf32>) -> tensor<?xf32>
  %e3 = tensor.empty(%n) : tensor<?xf32>
  %v = linalg.fill ins(%nz : f32) outs(%e3 : tensor<?xf32>) -> tensor<?xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t
      {lr = 0.0 : f32, beta1 = 0.0 : f32} : tensor<?xf32>
  %fused = qopt.quantize %m1 to <e8m1, subnormals = flush, overflow = saturate>  : tensor<?xf32>
  %alone = qopt.quantize %g to <e8m1, subnormals = flush, overflow = saturate>  : tensor<?xf32>
  %r = call @mismatches(%fused, %alone) : (tensor<?xf32>, tensor<?xf32>) -> i64
  return %r : i64
}

func.func @check_tf32_stochastic_saturate(%g: tensor<?xf32>, %seed: i64, %t: i64) -> i64 {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %g, %c0 : tensor<?xf32>
  %nz = arith.constant -0.0 : f32
  %e = tensor.empty(%n) : tensor<?xf32>
  %m = linalg.fill ins(%nz : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %e2 = tensor.empty(%n) : tensor<?xf32>
  %w = linalg.fill ins(%nz : f32) outs(%e2 : tensor<?xf32>) -> tensor<?xf32>
  %e3 = tensor.empty(%n) : tensor<?xf32>
  %v = linalg.fill ins(%nz : f32) outs(%e3 : tensor<?xf32>) -> tensor<?xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t
      {lr = 0.0 : f32, beta1 = 0.0 : f32} : tensor<?xf32>
  %fused = qopt.quantize %m1 to <tf32, overflow = saturate> rounding <stochastic> seed %seed step %t stream 0 : tensor<?xf32>
  %alone = qopt.quantize %g to <tf32, overflow = saturate> rounding <stochastic> seed %seed step %t stream 0 : tensor<?xf32>
  %r = call @mismatches(%fused, %alone) : (tensor<?xf32>, tensor<?xf32>) -> i64
  return %r : i64
}

func.func @check_e8m22_nearest(%g: tensor<?xf32>, %seed: i64, %t: i64) -> i64 {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %g, %c0 : tensor<?xf32>
  %nz = arith.constant -0.0 : f32
  %e = tensor.empty(%n) : tensor<?xf32>
  %m = linalg.fill ins(%nz : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %e2 = tensor.empty(%n) : tensor<?xf32>
  %w = linalg.fill ins(%nz : f32) outs(%e2 : tensor<?xf32>) -> tensor<?xf32>
  %e3 = tensor.empty(%n) : tensor<?xf32>
  %v = linalg.fill ins(%nz : f32) outs(%e3 : tensor<?xf32>) -> tensor<?xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t
      {lr = 0.0 : f32, beta1 = 0.0 : f32} : tensor<?xf32>
  %fused = qopt.quantize %m1 to <e8m22>  : tensor<?xf32>
  %alone = qopt.quantize %g to <e8m22>  : tensor<?xf32>
  %r = call @mismatches(%fused, %alone) : (tensor<?xf32>, tensor<?xf32>) -> i64
  return %r : i64
}

func.func @check_e8m1_stochastic_flush(%g: tensor<?xf32>, %seed: i64, %t: i64) -> i64 {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %g, %c0 : tensor<?xf32>
  %nz = arith.constant -0.0 : f32
  %e = tensor.empty(%n) : tensor<?xf32>
  %m = linalg.fill ins(%nz : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %e2 = tensor.empty(%n) : tensor<?xf32>
  %w = linalg.fill ins(%nz : f32) outs(%e2 : tensor<?xf32>) -> tensor<?xf32>
  %e3 = tensor.empty(%n) : tensor<?xf32>
  %v = linalg.fill ins(%nz : f32) outs(%e3 : tensor<?xf32>) -> tensor<?xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t
      {lr = 0.0 : f32, beta1 = 0.0 : f32} : tensor<?xf32>
  %fused = qopt.quantize %m1 to <e8m1, subnormals = flush> rounding <stochastic> seed %seed step %t stream 0 : tensor<?xf32>
  %alone = qopt.quantize %g to <e8m1, subnormals = flush> rounding <stochastic> seed %seed step %t stream 0 : tensor<?xf32>
  %r = call @mismatches(%fused, %alone) : (tensor<?xf32>, tensor<?xf32>) -> i64
  return %r : i64
}

func.func @main() {
  %n = arith.constant 65536 : index
  %seed = arith.constant 1234 : i64
  %t = arith.constant 3 : i64
  %g = call @patterns(%n) : (index) -> tensor<?xf32>
  vector.print str "bf16_nearest\n"
  %bf16_nearest = call @check_bf16_nearest(%g, %seed, %t) : (tensor<?xf32>, i64, i64) -> i64
  vector.print %bf16_nearest : i64
  vector.print str "bf16_zero\n"
  %bf16_zero = call @check_bf16_zero(%g, %seed, %t) : (tensor<?xf32>, i64, i64) -> i64
  vector.print %bf16_zero : i64
  vector.print str "bf16_stochastic\n"
  %bf16_stochastic = call @check_bf16_stochastic(%g, %seed, %t) : (tensor<?xf32>, i64, i64) -> i64
  vector.print %bf16_stochastic : i64
  vector.print str "e8m3_nearest_flush\n"
  %e8m3_nearest_flush = call @check_e8m3_nearest_flush(%g, %seed, %t) : (tensor<?xf32>, i64, i64) -> i64
  vector.print %e8m3_nearest_flush : i64
  vector.print str "e8m1_nearest_saturate\n"
  %e8m1_nearest_saturate = call @check_e8m1_nearest_saturate(%g, %seed, %t) : (tensor<?xf32>, i64, i64) -> i64
  vector.print %e8m1_nearest_saturate : i64
  vector.print str "e8m1_zero_flush_saturate\n"
  %e8m1_zero_flush_saturate = call @check_e8m1_zero_flush_saturate(%g, %seed, %t) : (tensor<?xf32>, i64, i64) -> i64
  vector.print %e8m1_zero_flush_saturate : i64
  vector.print str "tf32_stochastic_saturate\n"
  %tf32_stochastic_saturate = call @check_tf32_stochastic_saturate(%g, %seed, %t) : (tensor<?xf32>, i64, i64) -> i64
  vector.print %tf32_stochastic_saturate : i64
  vector.print str "e8m22_nearest\n"
  %e8m22_nearest = call @check_e8m22_nearest(%g, %seed, %t) : (tensor<?xf32>, i64, i64) -> i64
  vector.print %e8m22_nearest : i64
  vector.print str "e8m1_stochastic_flush\n"
  %e8m1_stochastic_flush = call @check_e8m1_stochastic_flush(%g, %seed, %t) : (tensor<?xf32>, i64, i64) -> i64
  vector.print %e8m1_stochastic_flush : i64
  return
}
