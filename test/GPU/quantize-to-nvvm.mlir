// RUN: qopt-opt %s --qopt-lower-to-gpu | FileCheck %s --check-prefix=GPU
// RUN: qopt-opt %s --qopt-lower-to-gpu \
// RUN:   | qopt-opt --pass-pipeline="builtin.module(gpu.module(convert-gpu-to-nvvm))" \
// RUN:   | FileCheck %s --check-prefix=NVVM
// RUN: qopt-opt %s --qopt-lower-to-nvvm | FileCheck %s --check-prefix=BINARY

/// qopt.quantize for NVIDIA GPUs. The elementwise loop becomes an outlined kernel
/// (256 threads a block by default) holding the rounding arithmetic, then
/// NVVM, then PTX for sm_90 embedded in a gpu.binary.

// GPU-LABEL: func.func @quantize_bf16
// GPU-SAME: (%[[X:[^:]*]]: memref<?xf32>, %[[Y:[^:]*]]: memref<?xf32>)
// GPU: %[[C256:.*]] = arith.constant 256 : index
// GPU: gpu.launch_func @[[MOD:[a-z0-9_]*]]::@{{.*}} blocks in (%{{.*}}, %{{.*}}, %{{.*}}) threads in (%[[C256]], %{{.*}}, %{{.*}}) args(%[[X]] : memref<?xf32>, %{{.*}} : index, %[[Y]] : memref<?xf32>)
// GPU-NOT: qopt.quantize
// GPU: gpu.module @[[MOD]] [#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">]
// GPU: gpu.func @{{.*}} kernel
/// bf16 drops 16 mantissa bits: nearest-even adds 0x7FFF plus the kept
/// LSB (bit 16) and masks with 0xFFFF0000.
// GPU-DAG: arith.constant 16 : i32
// GPU-DAG: arith.constant 32767 : i32
// GPU-DAG: arith.constant -65536 : i32
// GPU-DAG: gpu.block_id x
// GPU-DAG: gpu.thread_id x
// GPU: %[[IN:.*]] = memref.load
// GPU: arith.bitcast %[[IN]] : f32 to i32
// GPU: %[[OUT:.*]] = arith.bitcast %{{.*}} : i32 to f32
// GPU: memref.store %[[OUT]]
// GPU: gpu.return

// NVVM-LABEL: llvm.func @quantize_bf16_kernel
// NVVM-SAME: nvvm.kernel
// NVVM-DAG: nvvm.read.ptx.sreg.ctaid.x
// NVVM-DAG: nvvm.read.ptx.sreg.tid.x
// NVVM: llvm.bitcast %{{.*}} : f32 to i32
// NVVM: llvm.bitcast %{{.*}} : i32 to f32

// BINARY-LABEL: llvm.func @quantize_bf16
// BINARY: gpu.launch_func @quantize_bf16_kernel::@quantize_bf16_kernel
// BINARY: gpu.binary @quantize_bf16_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, {{.*}}assembly = "{{.*}}.target sm_90
func.func @quantize_bf16(%x: memref<?xf32>, %y: memref<?xf32>) {
  %t = bufferization.to_tensor %x restrict : memref<?xf32> to tensor<?xf32>
  %q = qopt.quantize %t to <bf16> : tensor<?xf32>
  bufferization.materialize_in_destination %q in restrict writable %y
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}
