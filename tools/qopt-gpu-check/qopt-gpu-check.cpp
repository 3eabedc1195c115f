//===- qopt-gpu-check.cpp - qopt kernels on the GPU against the CPU -------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Compiles one set of destination-passing kernels twice, with the CPU
// pipeline (--qopt-lower-to-llvm) and the GPU pipeline (--qopt-lower-to-nvvm),
// JIT-compiles both with MLIR's ExecutionEngine, runs them on the same inputs
// (GPU buffers through qopt's CUDA runtime) and compares: quantize and the
// fused quantized Adam step bit for bit, Muon (Newton-Schulz) to 1e-5
// relative, a whole Muon step normwise to 1e-5. `--bench` times the fused Adam
// step on the GPU and reports its bandwidth as a fraction of the device's peak.
// `--emulate` runs the same checks without a GPU: the GPU side is compiled with
// --qopt-lower-to-gpu-emulation (the very kernels of the GPU path, their
// threads run as host loops) on host buffers.
//
//===----------------------------------------------------------------------===//

#include "qopt/InitQOpt.h"
#include "qopt/Numerics/CounterHash.h"
#include "qopt/Pipelines/GPUPipelines.h"
#include "qopt/Pipelines/Pipelines.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <dlfcn.h>

/// Entry points of qopt's CUDA runtime, resolved with dlopen so that this
/// tool starts (and --compile-only and --emulate work) on machines without a
/// driver; --emulate points them at host memory instead.
namespace {
void *(*mgpuMemAlloc)(uint64_t sizeBytes, void *stream, bool isHostShared);
void (*mgpuMemFree)(void *pointer, void *stream);
void (*qoptCopyToDevice)(void *dst, const void *src, size_t sizeBytes);
void (*qoptCopyToHost)(void *dst, const void *src, size_t sizeBytes);
void (*qoptDeviceSynchronize)();
double (*qoptDevicePeakBandwidthGBs)();

bool loadRuntime() {
#ifndef QOPT_CUDA_RUNTIME_PATH
  llvm::errs() << "qopt-gpu-check: built without CUDA (no /usr/local/cuda at "
                  "configure time): only --compile-only and --emulate work\n";
  return false;
#else
  void *library = dlopen(QOPT_CUDA_RUNTIME_PATH, RTLD_NOW | RTLD_GLOBAL);
  if (!library) {
    llvm::errs() << "qopt-gpu-check: cannot load the CUDA runtime ("
                 << dlerror() << "): is an NVIDIA driver installed?\n";
    return false;
  }
  auto get = [&](auto &function, const char *name) {
    function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(
        dlsym(library, name));
    return function != nullptr;
  };
  return get(mgpuMemAlloc, "mgpuMemAlloc") && get(mgpuMemFree, "mgpuMemFree") &&
         get(qoptCopyToDevice, "qoptCopyToDevice") &&
         get(qoptCopyToHost, "qoptCopyToHost") &&
         get(qoptDeviceSynchronize, "qoptDeviceSynchronize") &&
         get(qoptDevicePeakBandwidthGBs, "qoptDevicePeakBandwidthGBs");
#endif
}

/// Emulated device memory is host memory.
void useHostMemory() {
  mgpuMemAlloc = [](uint64_t sizeBytes, void *, bool) {
    return std::malloc(sizeBytes);
  };
  mgpuMemFree = [](void *pointer, void *) { std::free(pointer); };
  qoptCopyToDevice = [](void *dst, const void *src, size_t sizeBytes) {
    std::memcpy(dst, src, sizeBytes);
  };
  qoptCopyToHost = qoptCopyToDevice;
  qoptDeviceSynchronize = [] {};
}

/// Where the "GPU" side of a comparison runs.
enum class Target { CPU, GPU, EmulatedGPU };

const char *targetName(Target target) {
  switch (target) {
  case Target::CPU:
    return "CPU";
  case Target::GPU:
    return "GPU";
  case Target::EmulatedGPU:
    return "emulated GPU";
  }
  return "";
}
} // namespace

using namespace mlir;

/// Destination-passing kernels: inputs are read through to_tensor, results
/// written into the caller's buffers, so the GPU build allocates nothing.
static const char *const kKernels = R"mlir(
func.func @quantize_bf16(%x: memref<?xf32>, %y: memref<?xf32>) {
  %t = bufferization.to_tensor %x restrict : memref<?xf32> to tensor<?xf32>
  %q = qopt.quantize %t to <bf16> : tensor<?xf32>
  bufferization.materialize_in_destination %q in restrict writable %y : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}
func.func @quantize_e4m3_toward_zero(%x: memref<?xf32>, %y: memref<?xf32>) {
  %t = bufferization.to_tensor %x restrict : memref<?xf32> to tensor<?xf32>
  %q = qopt.quantize %t to <fp8_e4m3, subnormals = flush> rounding <toward_zero> : tensor<?xf32>
  bufferization.materialize_in_destination %q in restrict writable %y : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}
func.func @quantize_stochastic(%x: memref<?xf32>, %y: memref<?xf32>, %seed: i64, %step: i64) {
  %t = bufferization.to_tensor %x restrict : memref<?xf32> to tensor<?xf32>
  %q = qopt.quantize %t to <e5m4> rounding <stochastic> seed %seed step %step : tensor<?xf32>
  bufferization.materialize_in_destination %q in restrict writable %y : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}
func.func @quantize_stochastic_bf16(%x: memref<?xf32>, %y: memref<?xf32>, %seed: i64, %step: i64) {
  %t = bufferization.to_tensor %x restrict : memref<?xf32> to tensor<?xf32>
  %q = qopt.quantize %t to <bf16> rounding <stochastic> seed %seed step %step stream 5 : tensor<?xf32>
  bufferization.materialize_in_destination %q in restrict writable %y : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}
func.func @adam_step(%w: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xf32>, %v: memref<?xf32>, %step: i64) {
  // In place, as a training loop keeps its state: no buffer is allocated.
  %tw = bufferization.to_tensor %w restrict writable : memref<?xf32> to tensor<?xf32>
  %tg = bufferization.to_tensor %g restrict : memref<?xf32> to tensor<?xf32>
  %tm = bufferization.to_tensor %m restrict writable : memref<?xf32> to tensor<?xf32>
  %tv = bufferization.to_tensor %v restrict writable : memref<?xf32> to tensor<?xf32>
  %gq = qopt.quantize %tg to <bf16> component <grad> : tensor<?xf32>
  %w1, %m1, %v1 = qopt.adam_update %tw, %gq, %tm, %tv, %step {lr = 1.0e-3 : f32, weight_decay = 1.0e-2 : f32} : tensor<?xf32>
  %mq = qopt.quantize %m1 to <bf16> component <first_moment> : tensor<?xf32>
  %vq = qopt.quantize %v1 to <fp16> component <second_moment> : tensor<?xf32>
  bufferization.materialize_in_destination %w1 in restrict writable %w : (tensor<?xf32>, memref<?xf32>) -> ()
  bufferization.materialize_in_destination %mq in restrict writable %m : (tensor<?xf32>, memref<?xf32>) -> ()
  bufferization.materialize_in_destination %vq in restrict writable %v : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}
func.func @muon_step(%w: memref<96x40xf32>, %g: memref<96x40xf32>, %b: memref<96x40xf32>) {
  // A whole Muon step on a tall weight (momentum, norm, 5 Newton-Schulz
  // steps on the transpose, update), in place; its temporaries live in
  // device memory on the GPU.
  %tw = bufferization.to_tensor %w restrict writable : memref<96x40xf32> to tensor<96x40xf32>
  %tg = bufferization.to_tensor %g restrict : memref<96x40xf32> to tensor<96x40xf32>
  %tb = bufferization.to_tensor %b restrict writable : memref<96x40xf32> to tensor<96x40xf32>
  %w1, %b1 = qopt.muon_update %tw, %tg, %tb {lr = 2.0e-2 : f32, weight_decay = 1.0e-2 : f32} : tensor<96x40xf32>
  bufferization.materialize_in_destination %w1 in restrict writable %w : (tensor<96x40xf32>, memref<96x40xf32>) -> ()
  bufferization.materialize_in_destination %b1 in restrict writable %b : (tensor<96x40xf32>, memref<96x40xf32>) -> ()
  return
}
func.func @newton_schulz_matmul(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) {
  // C += A B, the product Newton-Schulz iterates (register-blocked on GPUs).
  linalg.matmul ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>)
  return
}
)mlir";

namespace {

/// A 1-D f32 buffer as the LLVM lowering of memref<?xf32> passes it.
struct Buffer1D {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t size;
  int64_t stride;
};

/// Owns a compiled module and calls its functions with packed arguments.
struct CompiledKernels {
  std::unique_ptr<ExecutionEngine> engine;

  /// Calls `name` with the expanded arguments (each pointer points at one
  /// scalar of the lowered signature).
  bool call(StringRef name, SmallVector<void *> args) {
    if (llvm::Error error = engine->invokePacked(name, args)) {
      llvm::errs() << "qopt-gpu-check: calling " << name
                   << " failed: " << llvm::toString(std::move(error)) << "\n";
      return false;
    }
    return true;
  }
};

/// A 2-D f32 buffer as the LLVM lowering of memref<?x?xf32> passes it.
struct Buffer2D {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
};

void pushBuffer2D(SmallVector<void *> &args, Buffer2D &buffer) {
  args.append({&buffer.allocated, &buffer.aligned, &buffer.offset,
               &buffer.sizes[0], &buffer.sizes[1], &buffer.strides[0],
               &buffer.strides[1]});
}

/// Appends the five fields of `buffer` to `args`.
void pushBuffer(SmallVector<void *> &args, Buffer1D &buffer) {
  args.append({&buffer.allocated, &buffer.aligned, &buffer.offset, &buffer.size,
               &buffer.stride});
}

/// Parses the kernels and runs the pipeline of `target` on them.
OwningOpRef<ModuleOp> lower(MLIRContext &context, Target target) {
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(kKernels, &context);
  if (!module)
    return nullptr;
  PassManager pm(&context, ModuleOp::getOperationName());
  switch (target) {
  case Target::CPU:
    qopt::buildLowerToLLVMPipeline(pm, qopt::LowerToLLVMOptions());
    break;
  case Target::GPU:
    qopt::buildLowerToNVVMPipeline(pm, qopt::LowerToGPUOptions());
    break;
  case Target::EmulatedGPU:
    qopt::buildLowerToGPUEmulationPipeline(pm, qopt::LowerToGPUOptions());
    break;
  }
  if (failed(pm.run(*module))) {
    llvm::errs() << "qopt-gpu-check: the " << targetName(target)
                 << " pipeline failed\n";
    return nullptr;
  }
  return module;
}

std::unique_ptr<CompiledKernels> compile(MLIRContext &context, Target target) {
  OwningOpRef<ModuleOp> module = lower(context, target);
  if (!module)
    return nullptr;
  ExecutionEngineOptions options;
  // Kept in a local: the options hold only a reference to it.
  std::function<llvm::Error(llvm::Module *)> transformer =
      makeOptimizingTransformer(3, 0, nullptr);
  options.transformer = transformer;
  SmallVector<StringRef> libs;
#ifdef QOPT_CUDA_RUNTIME_PATH
  if (target == Target::GPU)
    libs.push_back(QOPT_CUDA_RUNTIME_PATH);
#endif
  options.sharedLibPaths = libs;
  auto engine = ExecutionEngine::create(*module, options);
  if (!engine) {
    llvm::errs() << "qopt-gpu-check: JIT failed: "
                 << llvm::toString(engine.takeError()) << "\n";
    return nullptr;
  }
  auto kernels = std::make_unique<CompiledKernels>();
  kernels->engine = std::move(*engine);
  // Runs the global constructors, which load the GPU binary (PTX) into the
  // CUDA context before the first launch looks its kernels up.
  kernels->engine->initialize();
  return kernels;
}

/// Host and device copies of one array.
struct Array {
  std::vector<float> host;
  float *device = nullptr;
  explicit Array(size_t n) : host(n) {
    device = static_cast<float *>(mgpuMemAlloc(n * 4, nullptr, false));
  }
  ~Array() { mgpuMemFree(device, nullptr); }
  Buffer1D hostBuffer() {
    return {host.data(), host.data(), 0, static_cast<int64_t>(host.size()), 1};
  }
  Buffer1D deviceBuffer() {
    return {device, device, 0, static_cast<int64_t>(host.size()), 1};
  }
  /// The array as a row-major rows x cols matrix, host or device copy.
  Buffer2D matrix(bool onDevice, int64_t rows, int64_t cols) {
    float *data = onDevice ? device : host.data();
    return {data, data, 0, {rows, cols}, {cols, 1}};
  }
  void upload() { qoptCopyToDevice(device, host.data(), host.size() * 4); }
  std::vector<float> download() {
    std::vector<float> result(host.size());
    qoptCopyToHost(result.data(), device, host.size() * 4);
    return result;
  }
};

/// A matrix argument: an array and its shape.
struct MatrixArg {
  Array *array;
  int64_t rows, cols;
};

/// Calls `name` on the CPU with the host copies of `matrices` and on the
/// other side with their device copies.
bool callOnBoth(CompiledKernels &cpu, CompiledKernels &gpu, StringRef name,
                ArrayRef<MatrixArg> matrices) {
  // Owns the descriptors the packed arguments point into.
  std::vector<Buffer2D> buffers;
  buffers.reserve(2 * matrices.size());
  SmallVector<void *> cpuArgs, gpuArgs;
  for (bool onDevice : {false, true})
    for (const MatrixArg &arg : matrices) {
      buffers.push_back(arg.array->matrix(onDevice, arg.rows, arg.cols));
      pushBuffer2D(onDevice ? gpuArgs : cpuArgs, buffers.back());
    }
  return cpu.call(name, cpuArgs) && gpu.call(name, gpuArgs);
}

uint32_t bitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  return bits;
}

/// Stochastic rounding to bf16 with the random bits `random`: add their low
/// 16 bits below the kept bits and truncate (a carry into the exponent
/// overflows to infinity); NaN gives the quiet NaN of its sign.
float stochasticBf16(float x, uint32_t random) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  uint32_t sign = bits & 0x80000000u, abs = bits & 0x7fffffffu;
  uint32_t out = abs > 0x7f800000u ? 0x7fc00000u
                                   : (abs + (random & 0xffffu)) & 0xffff0000u;
  out |= sign;
  std::memcpy(&x, &out, 4);
  return x;
}

/// Counts elements whose bits differ (any two NaNs count as equal).
size_t countBitMismatches(const std::vector<float> &a,
                          const std::vector<float> &b) {
  size_t mismatches = 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (!(std::isnan(a[i]) && std::isnan(b[i])) && bitsOf(a[i]) != bitsOf(b[i]))
      ++mismatches;
  return mismatches;
}

/// `x` rounded to `semantics` by APFloat (the independent oracle) and back to
/// f32; subnormal results become zeros of the same sign if `flush`.
float roundWithAPFloat(float x, const llvm::fltSemantics &semantics,
                       llvm::RoundingMode mode, bool flush) {
  llvm::APFloat value(x);
  bool losesInfo;
  value.convert(semantics, mode, &losesInfo);
  if (flush && value.isDenormal())
    value = llvm::APFloat::getZero(semantics, value.isNegative());
  value.convert(llvm::APFloat::IEEEsingle(),
                llvm::RoundingMode::NearestTiesToEven, &losesInfo);
  return value.convertToFloat();
}

std::vector<float> randomInputs(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> values(n);
  for (float &value : values)
    value = normal(rng);
  return values;
}

int runChecks(CompiledKernels &cpu, CompiledKernels &gpu, Target target) {
  const size_t n = 1 << 20;
  int failures = 0;
  auto report = [&](const char *what, size_t mismatches) {
    llvm::outs() << what << ": " << mismatches << " of " << n
                 << " elements differ between " << targetName(target)
                 << " and CPU\n";
    failures += mismatches != 0;
  };

  // Unary quantize kernels, each also against APFloat, so that two equally
  // wrong (or untouched) outputs cannot pass.
  struct Oracle {
    const char *name;
    const llvm::fltSemantics &semantics;
    llvm::RoundingMode mode;
    bool flush;
  };
  for (const Oracle &oracle :
       {Oracle{"quantize_bf16", llvm::APFloat::BFloat(),
               llvm::RoundingMode::NearestTiesToEven, false},
        Oracle{"quantize_e4m3_toward_zero", llvm::APFloat::Float8E4M3FN(),
               llvm::RoundingMode::TowardZero, true}}) {
    const char *name = oracle.name;
    Array x(n), yCpu(n), yGpu(n);
    x.host = randomInputs(n, 7, 100.0f);
    x.upload();
    Buffer1D xh = x.hostBuffer(), yh = yCpu.hostBuffer();
    Buffer1D xd = x.deviceBuffer(), yd = yGpu.deviceBuffer();
    SmallVector<void *> cpuArgs, gpuArgs;
    pushBuffer(cpuArgs, xh);
    pushBuffer(cpuArgs, yh);
    pushBuffer(gpuArgs, xd);
    pushBuffer(gpuArgs, yd);
    if (!cpu.call(name, cpuArgs) || !gpu.call(name, gpuArgs))
      return 1;
    report(name, countBitMismatches(yCpu.host, yGpu.download()));
    std::vector<float> expected(n);
    for (size_t i = 0; i < n; ++i)
      expected[i] = roundWithAPFloat(x.host[i], oracle.semantics, oracle.mode,
                                     oracle.flush);
    size_t wrong = countBitMismatches(yCpu.host, expected);
    llvm::outs() << name << ": " << wrong << " of " << n
                 << " CPU results differ from APFloat\n";
    failures += wrong != 0;
  }

  // Stochastic rounding: the same (seed, step, stream, index) hash on both;
  // for bf16 also the host's (CounterHash.h, stream 5 as the kernel says).
  for (const char *name : {"quantize_stochastic", "quantize_stochastic_bf16"}) {
    Array x(n), yCpu(n), yGpu(n);
    x.host = randomInputs(n, 11, 1.0f);
    x.upload();
    int64_t seed = 1234, step = 17;
    Buffer1D xh = x.hostBuffer(), yh = yCpu.hostBuffer();
    Buffer1D xd = x.deviceBuffer(), yd = yGpu.deviceBuffer();
    SmallVector<void *> cpuArgs, gpuArgs;
    pushBuffer(cpuArgs, xh);
    pushBuffer(cpuArgs, yh);
    cpuArgs.append({&seed, &step});
    pushBuffer(gpuArgs, xd);
    pushBuffer(gpuArgs, yd);
    gpuArgs.append({&seed, &step});
    if (!cpu.call(name, cpuArgs) || !gpu.call(name, gpuArgs))
      return 1;
    report(name, countBitMismatches(yCpu.host, yGpu.download()));
    if (std::strcmp(name, "quantize_stochastic_bf16") != 0)
      continue;
    const uint64_t key = qopt::stochasticKey(seed, step, /*stream=*/5);
    std::vector<float> expected(n);
    for (size_t i = 0; i < n; ++i)
      expected[i] =
          stochasticBf16(x.host[i], qopt::stochasticBitsForKey(key, i));
    size_t wrong = countBitMismatches(yCpu.host, expected);
    llvm::outs() << name << ": " << wrong << " of " << n
                 << " CPU results differ from the host hash\n";
    failures += wrong != 0;
  }

  // Fused quantized Adam, in place, three steps.
  {
    Array w(n), g(n), m(n), v(n);
    w.host = randomInputs(n, 1, 1.0f);
    m.host.assign(n, 0.0f);
    v.host.assign(n, 0.0f);
    for (Array *a : {&w, &m, &v})
      a->upload();
    for (int64_t step = 1; step <= 3; ++step) {
      g.host = randomInputs(n, 100 + step, 0.1f);
      g.upload();
      Buffer1D hw = w.hostBuffer(), hg = g.hostBuffer(), hm = m.hostBuffer(),
               hv = v.hostBuffer();
      Buffer1D dw = w.deviceBuffer(), dg = g.deviceBuffer(),
               dm = m.deviceBuffer(), dv = v.deviceBuffer();
      SmallVector<void *> cpuArgs, gpuArgs;
      for (Buffer1D *b : {&hw, &hg, &hm, &hv})
        pushBuffer(cpuArgs, *b);
      cpuArgs.push_back(&step);
      for (Buffer1D *b : {&dw, &dg, &dm, &dv})
        pushBuffer(gpuArgs, *b);
      gpuArgs.push_back(&step);
      if (!cpu.call("adam_step", cpuArgs) || !gpu.call("adam_step", gpuArgs))
        return 1;
    }
    // The step must have done something: most weights moved.
    std::vector<float> initial = randomInputs(n, 1, 1.0f);
    size_t moved = countBitMismatches(initial, w.host);
    llvm::outs() << "adam_step: " << moved << " of " << n
                 << " weights changed over 3 steps\n";
    failures += moved < n / 2;
    size_t mismatches = countBitMismatches(w.host, w.download()) +
                        countBitMismatches(m.host, m.download()) +
                        countBitMismatches(v.host, v.download());
    report("adam_step (w, m, v over 3 steps)", mismatches);
  }
  // Newton-Schulz matmul, a tall and a wide shape (edges not multiples of
  // the 64x64 tiles): relative error at most 1e-5 (summation order differs).
  for (auto [rows, inner, cols] : {std::array<int64_t, 3>{300, 200, 300},
                                   std::array<int64_t, 3>{100, 1000, 70}}) {
    Array a(rows * inner), b(inner * cols), c(rows * cols);
    a.host = randomInputs(a.host.size(), 21, 1.0f);
    b.host = randomInputs(b.host.size(), 22, 1.0f);
    c.host.assign(c.host.size(), 0.0f);
    for (Array *x : {&a, &b, &c})
      x->upload();
    if (!callOnBoth(cpu, gpu, "newton_schulz_matmul",
                    {{&a, rows, inner}, {&b, inner, cols}, {&c, rows, cols}}))
      return 1;
    std::vector<float> gpuResult = c.download();
    // An independent double-precision product checks the CPU side too.
    std::vector<double> reference(rows * cols, 0.0);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t p = 0; p < inner; ++p)
        for (int64_t j = 0; j < cols; ++j)
          reference[i * cols + j] +=
              double(a.host[i * inner + p]) * b.host[p * cols + j];
    double worst = 0, worstCpu = 0;
    for (size_t i = 0; i < gpuResult.size(); ++i) {
      // Relative to the magnitude of the row of products (sqrt(inner)).
      double scale = std::max(1.0, std::sqrt(double(inner)));
      worst =
          std::max(worst, std::abs(double(gpuResult[i]) - c.host[i]) / scale);
      worstCpu = std::max(worstCpu, std::abs(c.host[i] - reference[i]) / scale);
    }
    llvm::outs() << "newton_schulz_matmul " << rows << "x" << inner << "x"
                 << cols << ": max relative difference " << worst
                 << " (CPU vs a double-precision product: " << worstCpu
                 << ")\n";
    failures += worst > 1e-5 || worstCpu > 1e-5;
  }

  // Whole Muon steps, in place: the momentum buffer is elementwise (bit for
  // bit); the weight goes through the norm and Newton-Schulz, whose sums run
  // in another order on each side, so it is compared normwise to 1e-5.
  {
    const int64_t rows = 96, cols = 40, size = rows * cols;
    Array w(size), g(size), b(size);
    w.host = randomInputs(size, 31, 0.1f);
    b.host.assign(size, 0.0f);
    std::vector<float> initial = w.host;
    for (Array *x : {&w, &b})
      x->upload();
    for (int step = 0; step < 3; ++step) {
      g.host = randomInputs(size, 40 + step, 1.0f);
      g.upload();
      if (!callOnBoth(cpu, gpu, "muon_step",
                      {{&w, rows, cols}, {&g, rows, cols}, {&b, rows, cols}}))
        return 1;
    }
    std::vector<float> gpuWeight = w.download();
    double diff = 0, norm = 0, update = 0;
    for (int64_t i = 0; i < size; ++i) {
      diff += std::pow(double(gpuWeight[i]) - w.host[i], 2);
      norm += std::pow(double(w.host[i]), 2);
      update += std::pow(double(w.host[i]) - initial[i], 2);
    }
    double relative = std::sqrt(diff / norm);
    llvm::outs() << "muon_step: buffer "
                 << countBitMismatches(b.host, b.download()) << " of " << size
                 << " elements differ; weight normwise relative difference "
                 << relative << " (the 3 steps moved it by "
                 << std::sqrt(update / norm) << ")\n";
    failures += countBitMismatches(b.host, b.download()) != 0 ||
                relative > 1e-5 || std::sqrt(update / norm) < 1e-3;
  }
  llvm::outs() << (failures ? "FAILED" : "PASSED") << "\n";
  return failures ? 1 : 0;
}

int runBenchmark(CompiledKernels &gpu) {
  const size_t n = 16u << 20;
  Array w(n), g(n), m(n), v(n);
  w.host = randomInputs(n, 1, 1.0f);
  g.host = randomInputs(n, 2, 0.1f);
  m.host.assign(n, 0.0f);
  v.host.assign(n, 0.0f);
  for (Array *a : {&w, &g, &m, &v})
    a->upload();
  Buffer1D dw = w.deviceBuffer(), dg = g.deviceBuffer(), dm = m.deviceBuffer(),
           dv = v.deviceBuffer();
  std::vector<double> seconds;
  for (int64_t step = 1; step <= 30; ++step) {
    SmallVector<void *> args;
    for (Buffer1D *b : {&dw, &dg, &dm, &dv})
      pushBuffer(args, *b);
    args.push_back(&step);
    qoptDeviceSynchronize();
    auto start = std::chrono::steady_clock::now();
    if (!gpu.call("adam_step", args))
      return 1;
    qoptDeviceSynchronize();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(seconds.begin(), seconds.end());
  double median = seconds[seconds.size() / 2];
  // w, g, m, v read; w, m, v written.
  double gbPerSecond = 7.0 * 4.0 * n / median / 1e9;
  double peak = qoptDevicePeakBandwidthGBs();
  llvm::outs() << "fused quantized Adam step, " << n << " parameters: median "
               << median * 1e3 << " ms (launch and sync included), "
               << gbPerSecond << " GB/s = " << gbPerSecond / peak
               << " of the device's " << peak << " GB/s peak\n";
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (argc > 2 || (!mode.empty() && mode != "--bench" && mode != "--emulate" &&
                   mode != "--compile-only")) {
    llvm::errs() << "usage: qopt-gpu-check [--bench | --emulate | "
                    "--compile-only]\n";
    return 2;
  }
  bool bench = mode == "--bench";
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registerAllGPUToLLVMIRTranslations(registry);
  qopt::registerQOptDialects(registry);
  MLIRContext context(registry);

  // Both pipelines on the kernels, without running anything: what a machine
  // without a GPU can check.
  if (mode == "--compile-only") {
    bool ok = lower(context, Target::GPU) && lower(context, Target::CPU);
    llvm::outs() << (ok ? "compiled for GPU and CPU\n" : "FAILED\n");
    return ok ? 0 : 1;
  }
  Target target = mode == "--emulate" ? Target::EmulatedGPU : Target::GPU;
  if (target == Target::EmulatedGPU)
    useHostMemory();
  else if (!loadRuntime())
    return 1;
  auto gpu = compile(context, target);
  if (!gpu)
    return 1;
  if (bench)
    return runBenchmark(*gpu);
  auto cpu = compile(context, Target::CPU);
  if (!cpu)
    return 1;
  return runChecks(*cpu, *gpu, target);
}
