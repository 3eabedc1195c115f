// qopt.all_gather_sum compiled through the CPU pipeline and run by
// mlir-runner with qopt's MPI runtime: alone (a singleton MPI run, which
// the runtime initialises itself), and on 2 ranks under mpiexec, where
// both ranks contribute the same input. Oracle: the input rounded to
// fp8_e5m2 (values chosen exact in it, and one that rounds: 1.1 -> 1.0),
// and twice that on 2 ranks; the loss-like scalar travels in f32.
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
// RUN: cat %t.rank0 %t.rank1 | FileCheck %s --check-prefix=TWO
//
// The exchange compiled for 2 ranks but run on 1 is an error, not an
// out-of-bounds write: the runtime says so and returns zeros.
// RUN: mlir-runner %t.mlir -e two_ranks -entry-point-result=void \
// RUN:   -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils \
// RUN:   -shared-libs=%qopt_dp_runtime 2>&1 | FileCheck %s --check-prefix=MISMATCH

// ONE: [1,  -2,  0.375,  1,  57344,  0]
// ONE: [2.5]
// TWO: [2,  -4,  0.75,  2,  114688,  0]
// TWO: [5]
// TWO: [2,  -4,  0.75,  2,  114688,  0]
// TWO: [5]
// MISMATCH: qopt-dp: rank 0: the step was compiled for 2 ranks, but the run has 1 (mpirun -np 2)
// MISMATCH: [0,  0,  0,  0,  0,  0]

func.func private @printMemrefF32(tensor<*xf32>)

func.func @one_rank() {
  %x = arith.constant dense<[1.0, -2.0, 0.375, 1.1, 57344.0, 0.0]> : tensor<6xf32>
  %q = qopt.quantize %x to <fp8_e5m2> component <grad> : tensor<6xf32>
  %s = qopt.all_gather_sum %q as <fp8_e5m2> ranks 1 : tensor<6xf32>
  %u = tensor.cast %s : tensor<6xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  %l = arith.constant dense<2.5> : tensor<f32>
  %ls = qopt.all_gather_sum %l ranks 1 : tensor<f32>
  %lu = tensor.cast %ls : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%lu) : (tensor<*xf32>) -> ()
  return
}

func.func @two_ranks() {
  %x = arith.constant dense<[1.0, -2.0, 0.375, 1.1, 57344.0, 0.0]> : tensor<6xf32>
  %q = qopt.quantize %x to <fp8_e5m2> component <grad> : tensor<6xf32>
  %s = qopt.all_gather_sum %q as <fp8_e5m2> ranks 2 : tensor<6xf32>
  %u = tensor.cast %s : tensor<6xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  %l = arith.constant dense<2.5> : tensor<f32>
  %ls = qopt.all_gather_sum %l ranks 2 : tensor<f32>
  %lu = tensor.cast %ls : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%lu) : (tensor<*xf32>) -> ()
  return
}
