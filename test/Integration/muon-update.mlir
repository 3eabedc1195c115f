// Runs qopt.muon_update (momentum, Newton-Schulz on linalg.matmul, decoupled
// weight decay, fused quantization of w, g and the buffer) for several steps
// on the CPU and compares W and B with the C++ reference of
// tools/qopt-optim-ref, which regenerates the same inputs (see @gen) and
// orthogonalises in double precision. Tall, wide and square weights,
// Nesterov on and off.

// RUN: qopt-opt %s --qopt-lower-to-llvm | mlir-runner -e muon_tall -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref muon --rows=48 --cols=16 --steps=3 --lr=0.02 | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-llvm | mlir-runner -e muon_wide_plain_wd -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref muon --rows=16 --cols=40 --steps=3 --lr=0.05 --momentum=0.9 --nesterov=0 --wd=0.1 | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-llvm | mlir-runner -e muon_square_coeffs -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref muon --rows=32 --cols=32 --steps=2 --lr=0.01 --wd=0.01 --ns-steps=3 --a=2.0 --b=-1.5 --c=0.5 --eps=1e-5 | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-llvm | mlir-runner -e muon_tall_quantized -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref muon --rows=40 --cols=24 --steps=3 --lr=0.02 --wd=0.05 --qw=bf16 --qg=fp8_e5m2:stochastic:5 --qb-out=bf16 | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-llvm | mlir-runner -e muon_wide_quantized -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref muon --rows=24 --cols=40 --steps=3 --lr=0.02 --nesterov=0 --qg=bf16 --qb=e8m3:zero | FileCheck %s
// Gram matrices large enough for the matmul tiling's column blocks, so the
// symmetric products compute one half and mirror the rest (see
// test/Pipelines/qopt-tile-and-vectorize-matmuls.mlir): 256 (blocks of 128
// columns, 64 rows), 192 (96 columns: the row bound rounds up to 128) and
// 320 (80 columns) from a tall weight.
// RUN: qopt-opt %s --qopt-lower-to-llvm | mlir-runner -e muon_square_256 -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref muon --rows=256 --cols=256 --steps=2 --lr=0.02 | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-llvm | mlir-runner -e muon_wide_192x384 -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref muon --rows=192 --cols=384 --steps=2 --lr=0.02 | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-llvm | mlir-runner -e muon_tall_400x320 -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref muon --rows=400 --cols=320 --steps=1 --lr=0.02 | FileCheck %s

// CHECK: w: PASS
// CHECK: buf: PASS
// CHECK: ALL PASS

func.func private @printMemrefI32(memref<*xi32>) attributes {llvm.emit_c_interface}

/// Element (r, c) of input k, with i = r * cols + c the row-major index:
/// ((i * 7919 + k * 104729) mod 1009 - 504) / 256, as qopt-optim-ref's
/// genValue.
func.func @gen(%k: i64, %rows: index, %cols: index) -> tensor<?x?xf32> {
  %c7919 = arith.constant 7919 : i64
  %c104729 = arith.constant 104729 : i64
  %c1009 = arith.constant 1009 : i64
  %c504 = arith.constant 504 : i64
  %c256 = arith.constant 256.0 : f32
  %cols64 = arith.index_cast %cols : index to i64
  %e = tensor.empty(%rows, %cols) : tensor<?x?xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      outs(%e : tensor<?x?xf32>) {
  ^bb0(%out: f32):
    %i0 = linalg.index 0 : index
    %i1 = linalg.index 1 : index
    %r64 = arith.index_cast %i0 : index to i64
    %c64 = arith.index_cast %i1 : index to i64
    %rc = arith.muli %r64, %cols64 : i64
    %i64 = arith.addi %rc, %c64 : i64
    %a = arith.muli %i64, %c7919 : i64
    %b = arith.muli %k, %c104729 : i64
    %s = arith.addi %a, %b : i64
    %m = arith.remsi %s, %c1009 : i64
    %d = arith.subi %m, %c504 : i64
    %f = arith.sitofp %d : i64 to f32
    %v = arith.divf %f, %c256 : f32
    linalg.yield %v : f32
  } -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

/// Prints the f32 bit patterns, so the comparison sees every bit.
func.func @print(%t: tensor<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n0 = tensor.dim %t, %c0 : tensor<?x?xf32>
  %n1 = tensor.dim %t, %c1 : tensor<?x?xf32>
  %e = tensor.empty(%n0, %n1) : tensor<?x?xi32>
  %b = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                        affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<?x?xf32>) outs(%e : tensor<?x?xi32>) {
  ^bb0(%in: f32, %out: i32):
    %bits = arith.bitcast %in : f32 to i32
    linalg.yield %bits : i32
  } -> tensor<?x?xi32>
  %m = bufferization.to_buffer %b : tensor<?x?xi32> to memref<?x?xi32>
  %u = memref.cast %m : memref<?x?xi32> to memref<*xi32>
  call @printMemrefI32(%u) : (memref<*xi32>) -> ()
  return
}

/// Default hyper-parameters (Nesterov, 5 quintic steps) on a tall weight,
/// which the lowering orthogonalises through its transpose.
func.func @muon_tall() {
  %rows = arith.constant 48 : index
  %cols = arith.constant 16 : index
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c10 = arith.constant 10 : i64
  %w0d = call @gen(%c0, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
  %b0d = call @gen(%c1, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
  %w0 = tensor.cast %w0d : tensor<?x?xf32> to tensor<48x16xf32>
  %b0 = tensor.cast %b0d : tensor<?x?xf32> to tensor<48x16xf32>
  %lb = arith.constant 1 : index
  %ub = arith.constant 4 : index
  %st = arith.constant 1 : index
  %r:2 = scf.for %t = %lb to %ub step %st iter_args(%w = %w0, %b = %b0)
      -> (tensor<48x16xf32>, tensor<48x16xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %k = arith.addi %t64, %c10 : i64
    %gd = func.call @gen(%k, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
    %g = tensor.cast %gd : tensor<?x?xf32> to tensor<48x16xf32>
    %w1, %b1 = qopt.muon_update %w, %g, %b {lr = 2.0e-2 : f32} : tensor<48x16xf32>
    scf.yield %w1, %b1 : tensor<48x16xf32>, tensor<48x16xf32>
  }
  %wr = tensor.cast %r#0 : tensor<48x16xf32> to tensor<?x?xf32>
  %br = tensor.cast %r#1 : tensor<48x16xf32> to tensor<?x?xf32>
  call @print(%wr) : (tensor<?x?xf32>) -> ()
  call @print(%br) : (tensor<?x?xf32>) -> ()
  return
}

/// A wide weight without Nesterov, with weight decay.
func.func @muon_wide_plain_wd() {
  %rows = arith.constant 16 : index
  %cols = arith.constant 40 : index
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c10 = arith.constant 10 : i64
  %w0d = call @gen(%c0, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
  %b0d = call @gen(%c1, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
  %w0 = tensor.cast %w0d : tensor<?x?xf32> to tensor<16x40xf32>
  %b0 = tensor.cast %b0d : tensor<?x?xf32> to tensor<16x40xf32>
  %lb = arith.constant 1 : index
  %ub = arith.constant 4 : index
  %st = arith.constant 1 : index
  %r:2 = scf.for %t = %lb to %ub step %st iter_args(%w = %w0, %b = %b0)
      -> (tensor<16x40xf32>, tensor<16x40xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %k = arith.addi %t64, %c10 : i64
    %gd = func.call @gen(%k, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
    %g = tensor.cast %gd : tensor<?x?xf32> to tensor<16x40xf32>
    %w1, %b1 = qopt.muon_update %w, %g, %b
        {lr = 5.0e-2 : f32, momentum = 0.9 : f32, nesterov = false,
         weight_decay = 0.1 : f32} : tensor<16x40xf32>
    scf.yield %w1, %b1 : tensor<16x40xf32>, tensor<16x40xf32>
  }
  %wr = tensor.cast %r#0 : tensor<16x40xf32> to tensor<?x?xf32>
  %br = tensor.cast %r#1 : tensor<16x40xf32> to tensor<?x?xf32>
  call @print(%wr) : (tensor<?x?xf32>) -> ()
  call @print(%br) : (tensor<?x?xf32>) -> ()
  return
}

/// A square weight with other Newton-Schulz steps and coefficients.
func.func @muon_square_coeffs() {
  %rows = arith.constant 32 : index
  %cols = arith.constant 32 : index
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c10 = arith.constant 10 : i64
  %w0d = call @gen(%c0, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
  %b0d = call @gen(%c1, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
  %w0 = tensor.cast %w0d : tensor<?x?xf32> to tensor<32x32xf32>
  %b0 = tensor.cast %b0d : tensor<?x?xf32> to tensor<32x32xf32>
  %lb = arith.constant 1 : index
  %ub = arith.constant 3 : index
  %st = arith.constant 1 : index
  %r:2 = scf.for %t = %lb to %ub step %st iter_args(%w = %w0, %b = %b0)
      -> (tensor<32x32xf32>, tensor<32x32xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %k = arith.addi %t64, %c10 : i64
    %gd = func.call @gen(%k, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
    %g = tensor.cast %gd : tensor<?x?xf32> to tensor<32x32xf32>
    %w1, %b1 = qopt.muon_update %w, %g, %b
        {lr = 1.0e-2 : f32, weight_decay = 1.0e-2 : f32, ns_steps = 3 : i64,
         ns_coeffs = array<f32: 2.0, -1.5, 0.5>, epsilon = 1.0e-5 : f32}
        : tensor<32x32xf32>
    scf.yield %w1, %b1 : tensor<32x32xf32>, tensor<32x32xf32>
  }
  %wr = tensor.cast %r#0 : tensor<32x32xf32> to tensor<?x?xf32>
  %br = tensor.cast %r#1 : tensor<32x32xf32> to tensor<?x?xf32>
  call @print(%wr) : (tensor<?x?xf32>) -> ()
  call @print(%br) : (tensor<?x?xf32>) -> ()
  return
}

/// Tall, quantized: bf16 weights in, stochastic e5m2 gradients, bf16 buffer
/// out.
func.func @muon_tall_quantized() {
  %rows = arith.constant 40 : index
  %cols = arith.constant 24 : index
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c10 = arith.constant 10 : i64
  %seed = arith.constant 5 : i64
  %w0d = call @gen(%c0, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
  %b0d = call @gen(%c1, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
  %w0 = tensor.cast %w0d : tensor<?x?xf32> to tensor<40x24xf32>
  %b0 = tensor.cast %b0d : tensor<?x?xf32> to tensor<40x24xf32>
  %lb = arith.constant 1 : index
  %ub = arith.constant 4 : index
  %st = arith.constant 1 : index
  %r:2 = scf.for %t = %lb to %ub step %st iter_args(%w = %w0, %b = %b0)
      -> (tensor<40x24xf32>, tensor<40x24xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %k = arith.addi %t64, %c10 : i64
    %gd = func.call @gen(%k, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
    %g = tensor.cast %gd : tensor<?x?xf32> to tensor<40x24xf32>
    %wq = qopt.quantize %w to <bf16> component <weight> : tensor<40x24xf32>
    %gq = qopt.quantize %g to <fp8_e5m2> rounding <stochastic> component <grad>
        seed %seed step %t64 stream 0 : tensor<40x24xf32>
    %w1, %b1 = qopt.muon_update %wq, %gq, %b
        {lr = 2.0e-2 : f32, weight_decay = 5.0e-2 : f32} : tensor<40x24xf32>
    %bq = qopt.quantize %b1 to <bf16> component <first_moment>
        : tensor<40x24xf32>
    scf.yield %w1, %bq : tensor<40x24xf32>, tensor<40x24xf32>
  }
  %wr = tensor.cast %r#0 : tensor<40x24xf32> to tensor<?x?xf32>
  %br = tensor.cast %r#1 : tensor<40x24xf32> to tensor<?x?xf32>
  call @print(%wr) : (tensor<?x?xf32>) -> ()
  call @print(%br) : (tensor<?x?xf32>) -> ()
  return
}

/// Wide, quantized on the inputs: bf16 gradients, the buffer truncated to 3
/// mantissa bits as it is read; no Nesterov.
func.func @muon_wide_quantized() {
  %rows = arith.constant 24 : index
  %cols = arith.constant 40 : index
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c10 = arith.constant 10 : i64
  %w0d = call @gen(%c0, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
  %b0d = call @gen(%c1, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
  %w0 = tensor.cast %w0d : tensor<?x?xf32> to tensor<24x40xf32>
  %b0 = tensor.cast %b0d : tensor<?x?xf32> to tensor<24x40xf32>
  %lb = arith.constant 1 : index
  %ub = arith.constant 4 : index
  %st = arith.constant 1 : index
  %r:2 = scf.for %t = %lb to %ub step %st iter_args(%w = %w0, %b = %b0)
      -> (tensor<24x40xf32>, tensor<24x40xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %k = arith.addi %t64, %c10 : i64
    %gd = func.call @gen(%k, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
    %g = tensor.cast %gd : tensor<?x?xf32> to tensor<24x40xf32>
    %gq = qopt.quantize %g to <bf16> component <grad> : tensor<24x40xf32>
    %bq = qopt.quantize %b to <e8m3> rounding <toward_zero>
        component <first_moment> : tensor<24x40xf32>
    %w1, %b1 = qopt.muon_update %w, %gq, %bq
        {lr = 2.0e-2 : f32, nesterov = false} : tensor<24x40xf32>
    scf.yield %w1, %b1 : tensor<24x40xf32>, tensor<24x40xf32>
  }
  %wr = tensor.cast %r#0 : tensor<24x40xf32> to tensor<?x?xf32>
  %br = tensor.cast %r#1 : tensor<24x40xf32> to tensor<?x?xf32>
  call @print(%wr) : (tensor<?x?xf32>) -> ()
  call @print(%br) : (tensor<?x?xf32>) -> ()
  return
}

/// Default hyper-parameters, 256x256, two steps: Gram matrices of 256x256
/// in two column blocks of 128 and row tiles of 64.
func.func @muon_square_256() {
  %rows = arith.constant 256 : index
  %cols = arith.constant 256 : index
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c10 = arith.constant 10 : i64
  %w0d = call @gen(%c0, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
  %b0d = call @gen(%c1, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
  %w0 = tensor.cast %w0d : tensor<?x?xf32> to tensor<256x256xf32>
  %b0 = tensor.cast %b0d : tensor<?x?xf32> to tensor<256x256xf32>
  %lb = arith.constant 1 : index
  %ub = arith.constant 3 : index
  %st = arith.constant 1 : index
  %r:2 = scf.for %t = %lb to %ub step %st iter_args(%w = %w0, %b = %b0)
      -> (tensor<256x256xf32>, tensor<256x256xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %k = arith.addi %t64, %c10 : i64
    %gd = func.call @gen(%k, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
    %g = tensor.cast %gd : tensor<?x?xf32> to tensor<256x256xf32>
    %w1, %b1 = qopt.muon_update %w, %g, %b {lr = 2.0e-2 : f32}
        : tensor<256x256xf32>
    scf.yield %w1, %b1 : tensor<256x256xf32>, tensor<256x256xf32>
  }
  %wr = tensor.cast %r#0 : tensor<256x256xf32> to tensor<?x?xf32>
  %br = tensor.cast %r#1 : tensor<256x256xf32> to tensor<?x?xf32>
  call @print(%wr) : (tensor<?x?xf32>) -> ()
  call @print(%br) : (tensor<?x?xf32>) -> ()
  return
}

/// Default hyper-parameters, 192x384, two steps: Gram matrices of 192x192
/// in column blocks of 96, which the row tile of 64 does not divide.
func.func @muon_wide_192x384() {
  %rows = arith.constant 192 : index
  %cols = arith.constant 384 : index
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c10 = arith.constant 10 : i64
  %w0d = call @gen(%c0, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
  %b0d = call @gen(%c1, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
  %w0 = tensor.cast %w0d : tensor<?x?xf32> to tensor<192x384xf32>
  %b0 = tensor.cast %b0d : tensor<?x?xf32> to tensor<192x384xf32>
  %lb = arith.constant 1 : index
  %ub = arith.constant 3 : index
  %st = arith.constant 1 : index
  %r:2 = scf.for %t = %lb to %ub step %st iter_args(%w = %w0, %b = %b0)
      -> (tensor<192x384xf32>, tensor<192x384xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %k = arith.addi %t64, %c10 : i64
    %gd = func.call @gen(%k, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
    %g = tensor.cast %gd : tensor<?x?xf32> to tensor<192x384xf32>
    %w1, %b1 = qopt.muon_update %w, %g, %b {lr = 2.0e-2 : f32}
        : tensor<192x384xf32>
    scf.yield %w1, %b1 : tensor<192x384xf32>, tensor<192x384xf32>
  }
  %wr = tensor.cast %r#0 : tensor<192x384xf32> to tensor<?x?xf32>
  %br = tensor.cast %r#1 : tensor<192x384xf32> to tensor<?x?xf32>
  call @print(%wr) : (tensor<?x?xf32>) -> ()
  call @print(%br) : (tensor<?x?xf32>) -> ()
  return
}

/// Default hyper-parameters, 400x320 (tall: orthogonalised transposed), one
/// step: Gram matrices of 320x320 in column blocks of 80.
func.func @muon_tall_400x320() {
  %rows = arith.constant 400 : index
  %cols = arith.constant 320 : index
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c10 = arith.constant 10 : i64
  %w0d = call @gen(%c0, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
  %b0d = call @gen(%c1, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
  %w0 = tensor.cast %w0d : tensor<?x?xf32> to tensor<400x320xf32>
  %b0 = tensor.cast %b0d : tensor<?x?xf32> to tensor<400x320xf32>
  %lb = arith.constant 1 : index
  %ub = arith.constant 2 : index
  %st = arith.constant 1 : index
  %r:2 = scf.for %t = %lb to %ub step %st iter_args(%w = %w0, %b = %b0)
      -> (tensor<400x320xf32>, tensor<400x320xf32>) {
    %t64 = arith.index_cast %t : index to i64
    %k = arith.addi %t64, %c10 : i64
    %gd = func.call @gen(%k, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
    %g = tensor.cast %gd : tensor<?x?xf32> to tensor<400x320xf32>
    %w1, %b1 = qopt.muon_update %w, %g, %b {lr = 2.0e-2 : f32}
        : tensor<400x320xf32>
    scf.yield %w1, %b1 : tensor<400x320xf32>, tensor<400x320xf32>
  }
  %wr = tensor.cast %r#0 : tensor<400x320xf32> to tensor<?x?xf32>
  %br = tensor.cast %r#1 : tensor<400x320xf32> to tensor<?x?xf32>
  call @print(%wr) : (tensor<?x?xf32>) -> ()
  call @print(%br) : (tensor<?x?xf32>) -> ()
  return
}
