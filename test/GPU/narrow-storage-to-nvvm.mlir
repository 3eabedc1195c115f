// RUN: qopt-opt %s --qopt-lower-to-gpu | FileCheck %s --check-prefix=GPU
// REQUIRES: ptxas
// RUN: qopt-opt %s --qopt-lower-to-nvvm > %t.mlir
// RUN: %python %qopt_src/utils/extract-ptx.py %t.mlir %t.ptx
// RUN: %ptxas -arch=sm_90 %t.ptx -o %t.cubin
// RUN: FileCheck %s --check-prefix=PTX --input-file=%t.ptx

/// Narrow state on the device: the fused Adam kernel reads the first moment as
/// f8E4M3FN codes and the second as bf16 codes (8 and 16 bits per element),
/// decodes, updates, rounds, encodes and writes them back in place; one
/// kernel, no host allocation.

// GPU-LABEL: func.func @adam_narrow_state
// GPU-NOT: memref.alloc
// GPU: gpu.launch_func @[[MOD:[a-z0-9_]*]]::@{{[a-z0-9_]*}} blocks
// GPU-NOT: gpu.launch_func
// GPU: gpu.module @[[MOD]]
// GPU: gpu.func @{{.*}}(%{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: memref<?xf32>, %[[M:[a-z0-9]*]]: memref<?xf8E4M3FN>, %[[V:[a-z0-9]*]]: memref<?xbf16>, {{.*}}) kernel
// GPU-DAG: memref.load %[[M]]
// GPU-DAG: memref.load %[[V]]
// GPU: math.sqrt
// GPU-DAG: memref.store %{{.*}}, %[[M]]
// GPU-DAG: memref.store %{{.*}}, %[[V]]
// GPU: gpu.return

/// Byte and 16-bit loads and stores of the codes.
// PTX: .visible .entry adam_narrow_state_kernel(
// PTX-DAG: ld.global.b8
// PTX-DAG: ld.global.b16
// PTX: sqrt.rn.f32
// PTX-DAG: st.global.b8
// PTX-DAG: st.global.b16
func.func @adam_narrow_state(%w: memref<?xf32>, %g: memref<?xf32>,
                             %m: memref<?xf8E4M3FN>, %v: memref<?xbf16>,
                             %step: i64) {
  %tw = bufferization.to_tensor %w restrict writable : memref<?xf32> to tensor<?xf32>
  %tg = bufferization.to_tensor %g restrict : memref<?xf32> to tensor<?xf32>
  %tm = bufferization.to_tensor %m restrict writable : memref<?xf8E4M3FN> to tensor<?xf8E4M3FN>
  %tv = bufferization.to_tensor %v restrict writable : memref<?xbf16> to tensor<?xbf16>
  %md = qopt.decode %tm as <fp8_e4m3> : tensor<?xf8E4M3FN> to tensor<?xf32>
  %vd = qopt.decode %tv as <e8m3> : tensor<?xbf16> to tensor<?xf32>
  %w1, %m1, %v1 = qopt.adam_update %tw, %tg, %md, %vd, %step
      {lr = 1.0e-3 : f32} : tensor<?xf32>
  %mq = qopt.quantize %m1 to <fp8_e4m3> component <first_moment> : tensor<?xf32>
  %vq = qopt.quantize %v1 to <e8m3> component <second_moment> : tensor<?xf32>
  %me = qopt.encode %mq as <fp8_e4m3> : tensor<?xf32> to tensor<?xf8E4M3FN>
  %ve = qopt.encode %vq as <e8m3> : tensor<?xf32> to tensor<?xbf16>
  bufferization.materialize_in_destination %w1 in restrict writable %w
      : (tensor<?xf32>, memref<?xf32>) -> ()
  bufferization.materialize_in_destination %me in restrict writable %m
      : (tensor<?xf8E4M3FN>, memref<?xf8E4M3FN>) -> ()
  bufferization.materialize_in_destination %ve in restrict writable %v
      : (tensor<?xbf16>, memref<?xbf16>) -> ()
  return
}
