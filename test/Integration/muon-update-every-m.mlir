// The Muon lowering against the independent double-precision reference of
// tools/qopt-optim-ref at every mantissa width of the paper's sweep
// (M = 23, 10, 7, 3, 2, 1; docs/Experiments.md): one step whose weight
// (nearest-even), gradient and momentum buffer (stochastic rounding) are
// quantized to e8m<M> as they are read. The inputs are the generator's
// exact values, so the compiled and the reference quantizations see the
// same numbers and must agree bit for bit at every M; only the
// Newton-Schulz arithmetic (f32 against double) differs. The function is
// written for M = 7 and each RUN line rewrites the format.
// RUN: sed 's/e8m7/e8m23/g' %s | qopt-opt --qopt-lower-to-llvm | mlir-runner -e muon_every_m -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref muon --rows=40 --cols=24 --steps=1 --lr=0.02 --wd=0.05 --qw=e8m23 --qg=e8m23:stochastic:5 --qb=e8m23:stochastic:6 | FileCheck %s
// RUN: sed 's/e8m7/e8m10/g' %s | qopt-opt --qopt-lower-to-llvm | mlir-runner -e muon_every_m -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref muon --rows=40 --cols=24 --steps=1 --lr=0.02 --wd=0.05 --qw=e8m10 --qg=e8m10:stochastic:5 --qb=e8m10:stochastic:6 | FileCheck %s
// RUN: sed 's/e8m7/e8m7/g' %s | qopt-opt --qopt-lower-to-llvm | mlir-runner -e muon_every_m -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref muon --rows=40 --cols=24 --steps=1 --lr=0.02 --wd=0.05 --qw=e8m7 --qg=e8m7:stochastic:5 --qb=e8m7:stochastic:6 | FileCheck %s
// RUN: sed 's/e8m7/e8m3/g' %s | qopt-opt --qopt-lower-to-llvm | mlir-runner -e muon_every_m -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref muon --rows=40 --cols=24 --steps=1 --lr=0.02 --wd=0.05 --qw=e8m3 --qg=e8m3:stochastic:5 --qb=e8m3:stochastic:6 | FileCheck %s
// RUN: sed 's/e8m7/e8m2/g' %s | qopt-opt --qopt-lower-to-llvm | mlir-runner -e muon_every_m -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref muon --rows=40 --cols=24 --steps=1 --lr=0.02 --wd=0.05 --qw=e8m2 --qg=e8m2:stochastic:5 --qb=e8m2:stochastic:6 | FileCheck %s
// RUN: sed 's/e8m7/e8m1/g' %s | qopt-opt --qopt-lower-to-llvm | mlir-runner -e muon_every_m -entry-point-result=void -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils | qopt-optim-ref muon --rows=40 --cols=24 --steps=1 --lr=0.02 --wd=0.05 --qw=e8m1 --qg=e8m1:stochastic:5 --qb=e8m1:stochastic:6 | FileCheck %s

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

func.func @muon_every_m() {
  %rows = arith.constant 40 : index
  %cols = arith.constant 24 : index
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c11 = arith.constant 11 : i64
  %seed_g = arith.constant 5 : i64
  %seed_b = arith.constant 6 : i64
  %step = arith.constant 1 : i64
  %w0d = call @gen(%c0, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
  %b0d = call @gen(%c1, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
  %gd = call @gen(%c11, %rows, %cols) : (i64, index, index) -> tensor<?x?xf32>
  %w = tensor.cast %w0d : tensor<?x?xf32> to tensor<40x24xf32>
  %b = tensor.cast %b0d : tensor<?x?xf32> to tensor<40x24xf32>
  %g = tensor.cast %gd : tensor<?x?xf32> to tensor<40x24xf32>
  %wq = qopt.quantize %w to <e8m7> component <weight> : tensor<40x24xf32>
  %gq = qopt.quantize %g to <e8m7> rounding <stochastic> component <grad>
      seed %seed_g step %step stream 0 : tensor<40x24xf32>
  %bq = qopt.quantize %b to <e8m7> rounding <stochastic>
      component <first_moment> seed %seed_b step %step stream 0 : tensor<40x24xf32>
  %w1, %b1 = qopt.muon_update %wq, %gq, %bq
      {lr = 2.0e-2 : f32, weight_decay = 5.0e-2 : f32} : tensor<40x24xf32>
  %wr = tensor.cast %w1 : tensor<40x24xf32> to tensor<?x?xf32>
  %br = tensor.cast %b1 : tensor<40x24xf32> to tensor<?x?xf32>
  call @print(%wr) : (tensor<?x?xf32>) -> ()
  call @print(%br) : (tensor<?x?xf32>) -> ()
  return
}
