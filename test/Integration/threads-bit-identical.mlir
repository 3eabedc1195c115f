// Training steps compiled for one thread and for several (OpenMP) give the
// same bits: Adam (1-D dynamic and 2-D static) and Muon (its elementwise
// loops and its Newton-Schulz matmuls), all with stochastic rounding, plus
// a standalone stochastic quantize. Each entry prints an order-sensitive
// digest of the f32 bit patterns of its results; the sequential build, a
// build with two threads fixed at compile time and one whose thread count
// comes from OMP_NUM_THREADS (1 and 3: uneven chunks) must print the same
// lines. The shapes are large enough (>= 32768 elements) for
// --qopt-parallelize-loops to parallelise them; the OMP prefix checks that
// it did.

// REQUIRES: openmp
// RUN: qopt-opt %s --qopt-lower-to-llvm | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils > %t.serial
// RUN: FileCheck %s < %t.serial
// RUN: qopt-opt %s --qopt-lower-to-llvm="num-threads=2" | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils -shared-libs=%openmp_runtime > %t.two
// RUN: cmp %t.serial %t.two
// RUN: qopt-opt %s --qopt-lower-to-llvm="num-threads=0" -o %t.omp.mlir
// RUN: FileCheck %s --check-prefix=OMP < %t.omp.mlir
// RUN: env OMP_NUM_THREADS=1 mlir-runner %t.omp.mlir -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils -shared-libs=%openmp_runtime > %t.one
// RUN: cmp %t.serial %t.one
// RUN: env OMP_NUM_THREADS=3 mlir-runner %t.omp.mlir -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils -shared-libs=%openmp_runtime > %t.three
// RUN: cmp %t.serial %t.three

// The digests (values depend on the rounding hash; the RUN lines compare
// them across thread counts).
// CHECK-COUNT-3: {{^-?[0-9]+$}}
// CHECK-COUNT-2: {{^-?[0-9]+$}}
// CHECK-COUNT-2: {{^-?[0-9]+$}}
// CHECK-NEXT: {{^-?[0-9]+$}}
// CHECK-EMPTY:

// OMP-LABEL: llvm.func @adam_1d
// OMP: omp.parallel
// OMP: omp.wsloop
// OMP-LABEL: llvm.func @adam_2d
// OMP: omp.parallel
// OMP-LABEL: llvm.func @muon
// OMP: omp.parallel
// OMP-LABEL: llvm.func @quantize
// OMP: omp.parallel

/// Element i of input k: ((i * 7919 + k * 104729) mod 1009 - 504) / 256.
func.func @gen(%k: i64, %n: index) -> tensor<?xf32> {
  %c7919 = arith.constant 7919 : i64
  %c104729 = arith.constant 104729 : i64
  %c1009 = arith.constant 1009 : i64
  %c504 = arith.constant 504 : i64
  %c256 = arith.constant 256.0 : f32
  %e = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]}
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

/// |x|, a valid second moment.
func.func @abs(%x: tensor<?xf32>) -> tensor<?xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>,
                                        affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%x : tensor<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = math.absf %in : f32
    linalg.yield %a : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

/// Prints h = fold(h * 1000003 + bits(x[i])) over i in order (wrapping i64
/// arithmetic), computed by a sequential loop.
func.func @digest(%x: tensor<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %p = arith.constant 1000003 : i64
  %h0 = arith.constant 0 : i64
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %h = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %h0) -> (i64) {
    %v = tensor.extract %x[%i] : tensor<?xf32>
    %b = arith.bitcast %v : f32 to i32
    %bz = arith.extui %b : i32 to i64
    %m = arith.muli %acc, %p : i64
    %s = arith.addi %m, %bz : i64
    scf.yield %s : i64
  }
  vector.print %h : i64
  return
}

func.func @digest2d(%x: tensor<?x?xf32>) {
  %f = tensor.collapse_shape %x [[0, 1]] : tensor<?x?xf32> into tensor<?xf32>
  call @digest(%f) : (tensor<?xf32>) -> ()
  return
}

/// AdamW, 1-D with a dynamic size that no thread count divides, three
/// steps, every point quantized, gradients and the second moment rounded
/// stochastically.
func.func @adam_1d() {
  %n = arith.constant 100003 : index
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c2 = arith.constant 2 : i64
  %c10 = arith.constant 10 : i64
  %seed = arith.constant 42 : i64
  %w0 = call @gen(%c0, %n) : (i64, index) -> tensor<?xf32>
  %m0 = call @gen(%c1, %n) : (i64, index) -> tensor<?xf32>
  %v0g = call @gen(%c2, %n) : (i64, index) -> tensor<?xf32>
  %v0 = call @abs(%v0g) : (tensor<?xf32>) -> tensor<?xf32>
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
    %vq = qopt.quantize %v1 to <e8m3> rounding <stochastic>
        component <second_moment> seed %seed step %t64 stream 1 : tensor<?xf32>
    scf.yield %w1, %mq, %vq : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
  }
  call @digest(%r#0) : (tensor<?xf32>) -> ()
  call @digest(%r#1) : (tensor<?xf32>) -> ()
  call @digest(%r#2) : (tensor<?xf32>) -> ()
  return
}

/// Adam on a static 300x257 weight (the rows are split between threads).
func.func @adam_2d() {
  %n = arith.constant 77100 : index
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c2 = arith.constant 2 : i64
  %c7 = arith.constant 7 : i64
  %seed = arith.constant 9 : i64
  %w0f = call @gen(%c0, %n) : (i64, index) -> tensor<?xf32>
  %m0f = call @gen(%c1, %n) : (i64, index) -> tensor<?xf32>
  %gf = call @gen(%c7, %n) : (i64, index) -> tensor<?xf32>
  %v0g = call @gen(%c2, %n) : (i64, index) -> tensor<?xf32>
  %v0f = call @abs(%v0g) : (tensor<?xf32>) -> tensor<?xf32>
  %w0d = tensor.expand_shape %w0f [[0, 1]] output_shape [300, 257] : tensor<?xf32> into tensor<?x257xf32>
  %m0d = tensor.expand_shape %m0f [[0, 1]] output_shape [300, 257] : tensor<?xf32> into tensor<?x257xf32>
  %v0d = tensor.expand_shape %v0f [[0, 1]] output_shape [300, 257] : tensor<?xf32> into tensor<?x257xf32>
  %gd = tensor.expand_shape %gf [[0, 1]] output_shape [300, 257] : tensor<?xf32> into tensor<?x257xf32>
  %w = tensor.cast %w0d : tensor<?x257xf32> to tensor<300x257xf32>
  %m = tensor.cast %m0d : tensor<?x257xf32> to tensor<300x257xf32>
  %v = tensor.cast %v0d : tensor<?x257xf32> to tensor<300x257xf32>
  %g = tensor.cast %gd : tensor<?x257xf32> to tensor<300x257xf32>
  %t = arith.constant 3 : i64
  %gq = qopt.quantize %g to <e5m2> rounding <stochastic> component <grad>
      seed %seed step %t stream 0 : tensor<300x257xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %gq, %m, %v, %t
      {lr = 1.0e-3 : f32} : tensor<300x257xf32>
  %wq = qopt.quantize %w1 to <e8m7> rounding <stochastic> component <weight>
      seed %seed step %t stream 2 : tensor<300x257xf32>
  %wr = tensor.cast %wq : tensor<300x257xf32> to tensor<?x?xf32>
  %mr = tensor.cast %m1 : tensor<300x257xf32> to tensor<?x?xf32>
  call @digest2d(%wr) : (tensor<?x?xf32>) -> ()
  call @digest2d(%mr) : (tensor<?x?xf32>) -> ()
  return
}

/// Muon on a 256x192 weight, two steps, stochastic gradients: the
/// momentum and update loops and the Newton-Schulz matmuls.
func.func @muon() {
  %n = arith.constant 49152 : index
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c10 = arith.constant 10 : i64
  %seed = arith.constant 5 : i64
  %w0f = call @gen(%c0, %n) : (i64, index) -> tensor<?xf32>
  %b0f = call @gen(%c1, %n) : (i64, index) -> tensor<?xf32>
  %w0d = tensor.expand_shape %w0f [[0, 1]] output_shape [256, 192] : tensor<?xf32> into tensor<?x192xf32>
  %b0d = tensor.expand_shape %b0f [[0, 1]] output_shape [256, 192] : tensor<?xf32> into tensor<?x192xf32>
  %w0 = tensor.cast %w0d : tensor<?x192xf32> to tensor<256x192xf32>
  %b0 = tensor.cast %b0d : tensor<?x192xf32> to tensor<256x192xf32>
  %lb = arith.constant 1 : index
  %ub = arith.constant 3 : index
  %st = arith.constant 1 : index
  %r:2 = scf.for %t = %lb to %ub step %st iter_args(%w = %w0, %b = %b0)
      -> (tensor<256x192xf32>, tensor<256x192xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %k = arith.addi %t64, %c10 : i64
    %gf = func.call @gen(%k, %n) : (i64, index) -> tensor<?xf32>
    %gd = tensor.expand_shape %gf [[0, 1]] output_shape [256, 192] : tensor<?xf32> into tensor<?x192xf32>
    %g = tensor.cast %gd : tensor<?x192xf32> to tensor<256x192xf32>
    %gq = qopt.quantize %g to <fp8_e5m2> rounding <stochastic> component <grad>
        seed %seed step %t64 stream 0 : tensor<256x192xf32>
    %w1, %b1 = qopt.muon_update %w, %gq, %b
        {lr = 2.0e-2 : f32, weight_decay = 5.0e-2 : f32} : tensor<256x192xf32>
    %bq = qopt.quantize %b1 to <bf16> rounding <stochastic>
        component <first_moment> seed %seed step %t64 stream 1
        : tensor<256x192xf32>
    scf.yield %w1, %bq : tensor<256x192xf32>, tensor<256x192xf32>
  }
  %wr = tensor.cast %r#0 : tensor<256x192xf32> to tensor<?x?xf32>
  %br = tensor.cast %r#1 : tensor<256x192xf32> to tensor<?x?xf32>
  call @digest2d(%wr) : (tensor<?x?xf32>) -> ()
  call @digest2d(%br) : (tensor<?x?xf32>) -> ()
  return
}

/// A standalone stochastic quantize of 2^17 + 5 elements.
func.func @quantize() {
  %n = arith.constant 131077 : index
  %c3 = arith.constant 3 : i64
  %seed = arith.constant 11 : i64
  %x = call @gen(%c3, %n) : (i64, index) -> tensor<?xf32>
  %q = qopt.quantize %x to <e5m2> rounding <stochastic> seed %seed step %c3
      : tensor<?xf32>
  call @digest(%q) : (tensor<?xf32>) -> ()
  return
}

func.func @main() {
  call @adam_1d() : () -> ()
  call @adam_2d() : () -> ()
  call @muon() : () -> ()
  call @quantize() : () -> ()
  return
}
