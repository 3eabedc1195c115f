// The stock mlir-opt is not instrumented: in a sanitized build it loads the
// instrumented plugin with the ASan runtime preloaded (%sanitizer_preload).
// UNSUPPORTED: address-sanitizer && !sanitizer-preload
// RUN: %sanitizer_preload mlir-opt %s --load-dialect-plugin=%qopt_libs/QOptPlugin%shlibext \
// RUN:   | FileCheck %s --check-prefix=DIALECT
// RUN: %sanitizer_preload mlir-opt %s --load-dialect-plugin=%qopt_libs/QOptPlugin%shlibext \
// RUN:   --load-pass-plugin=%qopt_libs/QOptPlugin%shlibext \
// RUN:   --pass-pipeline="builtin.module(convert-qopt-to-linalg)" \
// RUN:   | FileCheck %s --check-prefix=PASS
// RUN: %sanitizer_preload mlir-opt %s --load-dialect-plugin=%qopt_libs/QOptPlugin%shlibext \
// RUN:   --load-pass-plugin=%qopt_libs/QOptPlugin%shlibext \
// RUN:   --pass-pipeline="builtin.module(qopt-lower-to-llvm)" \
// RUN:   | FileCheck %s --check-prefix=PIPELINE

/// The upstream mlir-opt (linked against libMLIR.so) loads qopt as a plugin:
/// the dialect parses and prints, the passes and pipelines run.

// DIALECT-LABEL: func.func @plugin
// DIALECT: qopt.quantize %{{.*}} to <fp8_e4m3> rounding <toward_zero> component <weight> : tensor<16xf32>

// PASS-LABEL: func.func @plugin
// PASS-NOT: qopt.quantize
// PASS: linalg.generic
// PASS: arith.bitcast %{{.*}} : f32 to i32

// PIPELINE-LABEL: llvm.func @plugin
// PIPELINE-NOT: qopt.
// PIPELINE: llvm.bitcast %{{.*}} : f32 to i32
func.func @plugin(%x: tensor<16xf32>) -> tensor<16xf32> {
  %0 = qopt.quantize %x to <fp8_e4m3> rounding <toward_zero> component <weight> : tensor<16xf32>
  return %0 : tensor<16xf32>
}
