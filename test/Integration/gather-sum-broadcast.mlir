// qopt.gather_sum and qopt.broadcast (the master/worker exchanges)
// compiled through the CPU pipeline and run by mlir-runner with qopt's MPI
// runtime: alone, and on 2 ranks under mpiexec, where rank r contributes
// (r + 1) x the input. Oracle: the input rounded to fp8_e5m2 (1.1 -> 1.0,
// 2.2 -> 2.0, the others exact): rank 0 gets the sum of the two ranks'
// rounded inputs, rank 1 zeros; both get rank 0's rounded input from the
// broadcast; a weight sent in f32 arrives unrounded.
//
// REQUIRES: mpi
// UNSUPPORTED: sanitizer
// RUN: qopt-opt %s --qopt-lower-to-llvm -o %t.mlir
// RUN: mlir-runner %t.mlir -e one_rank -entry-point-result=void \
// RUN:   -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils \
// RUN:   -shared-libs=%qopt_dp_runtime | FileCheck %s --check-prefix=ONE
// Each rank prints to its own file (MPICH's -outfile-pattern, %r = rank):
// on one stream the two ranks' lines interleave mid-line.
// RUN: rm -f %t.rank0 %t.rank1
// RUN: %mpiexec -outfile-pattern=%t.rank%%r -n 2 mlir-runner %t.mlir \
// RUN:   -e two_ranks -entry-point-result=void \
// RUN:   -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils \
// RUN:   -shared-libs=%qopt_dp_runtime
// RUN: FileCheck %s --check-prefix=RANK0 --input-file=%t.rank0
// RUN: FileCheck %s --check-prefix=RANK1 --input-file=%t.rank1

// ONE: [1,  -2,  0.375,  1,  3,  0]
// ONE: [1,  -2,  0.375,  1,  3,  0]
// ONE: [1,  -2,  0.375,  1.1,  3,  0]
// RANK0: [3,  -6,  1.125,  3,  9,  0]
// RANK0-NEXT: data =
// RANK0-NEXT: [1,  -2,  0.375,  1,  3,  0]
// RANK0-NEXT: data =
// RANK0-NEXT: [1,  -2,  0.375,  1.1,  3,  0]
// RANK1: [0,  0,  0,  0,  0,  0]
// RANK1-NEXT: data =
// RANK1-NEXT: [1,  -2,  0.375,  1,  3,  0]
// RANK1-NEXT: data =
// RANK1-NEXT: [1,  -2,  0.375,  1.1,  3,  0]

func.func private @printMemrefF32(tensor<*xf32>)
func.func private @qopt_dp_rank() -> i32

func.func @print(%t: tensor<6xf32>) {
  %u = tensor.cast %t : tensor<6xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

/// Rank r's input: (r + 1) x the base values (MPI must be initialised:
/// the callers exchange once first).
func.func @input() -> tensor<6xf32> {
  %rank = call @qopt_dp_rank() : () -> i32
  %rf = arith.sitofp %rank : i32 to f32
  %one = arith.constant 1.0 : f32
  %scale = arith.addf %rf, %one : f32
  %base = arith.constant dense<[1.0, -2.0, 0.375, 1.1, 3.0, 0.0]> : tensor<6xf32>
  %e = tensor.empty() : tensor<6xf32>
  %x = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                       iterator_types = ["parallel"]}
      ins(%base : tensor<6xf32>) outs(%e : tensor<6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %scale : f32
    linalg.yield %m : f32
  } -> tensor<6xf32>
  return %x : tensor<6xf32>
}

func.func @one_rank() {
  %z = arith.constant dense<0.0> : tensor<f32>
  %zs = qopt.all_gather_sum %z ranks 1 : tensor<f32>
  %x = call @input() : () -> tensor<6xf32>
  %s = qopt.gather_sum %x as <fp8_e5m2> ranks 1 : tensor<6xf32>
  call @print(%s) : (tensor<6xf32>) -> ()
  %b = qopt.broadcast %x as <fp8_e5m2> ranks 1 : tensor<6xf32>
  call @print(%b) : (tensor<6xf32>) -> ()
  %f = qopt.broadcast %x ranks 1 : tensor<6xf32>
  call @print(%f) : (tensor<6xf32>) -> ()
  return
}

func.func @two_ranks() {
  %z = arith.constant dense<0.0> : tensor<f32>
  %zs = qopt.all_gather_sum %z ranks 2 : tensor<f32>
  %x = call @input() : () -> tensor<6xf32>
  %s = qopt.gather_sum %x as <fp8_e5m2> ranks 2 : tensor<6xf32>
  call @print(%s) : (tensor<6xf32>) -> ()
  %b = qopt.broadcast %x as <fp8_e5m2> ranks 2 : tensor<6xf32>
  call @print(%b) : (tensor<6xf32>) -> ()
  %f = qopt.broadcast %x ranks 2 : tensor<6xf32>
  call @print(%f) : (tensor<6xf32>) -> ()
  return
}
