//===- qopt-run.cpp - run training steps through the qopt compiler --------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Takes a module with a @train_step (contract in TrainStep.h and
// docs/Runner.md), applies the qopt passes chosen on the command line
// (which components to quantize, their mantissa bits or the theorem's choice
// for T iterations, the rounding), compiles it once with the CPU pipeline and
// the ExecutionEngine, and runs the iterations, feeding state and data and
// recording loss, gradient norm and (for classifiers) test accuracy as CSV.
// Quantized state is stored narrow (--storage=narrow: each state buffer in
// its format's container); runs save and resume self-describing checkpoints
// (Checkpoint.h) and can write their final state for bitwise comparisons.
//
//===----------------------------------------------------------------------===//

#include "Checkpoint.h"
#include "IdxDataset.h"
#include "InitFile.h"
#include "MasterProbe.h"
#include "TextCorpus.h"
#include "TrainStep.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/Storage.h"
#include "qopt/InitQOpt.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#ifdef QOPT_HAVE_MPI
#include "QOptDataParallel.h"
#endif

#include <chrono>
#include <cmath>
#include <csignal>
#include <fcntl.h>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace mlir;
using namespace mlir::qopt;
using namespace qoptrun;
namespace cl = llvm::cl;

static cl::OptionCategory runCategory("qopt-run options");
static cl::opt<std::string> inputFile(cl::Positional, cl::Required,
                                      cl::desc("<training-step module>"),
                                      cl::cat(runCategory));
static cl::opt<int64_t> iterations("iterations", cl::Required,
                                   cl::desc("Number of training iterations T"),
                                   cl::cat(runCategory));
static cl::opt<std::string>
    quantize("quantize", cl::init("all"),
             cl::desc("Components to quantize: all, none, or a comma list "
                      "of weight, grad, first_moment, second_moment (w, g, "
                      "m, v)"),
             cl::cat(runCategory));
static cl::opt<int> manBits("man-bits", cl::init(23),
                            cl::desc("Mantissa bits of every quantized "
                                     "component (0..23)"),
                            cl::cat(runCategory));
static cl::opt<int> manBitsW("man-bits-w", cl::init(-1),
                             cl::desc("Mantissa bits of the weights"),
                             cl::cat(runCategory));
static cl::opt<int> manBitsG("man-bits-g", cl::init(-1),
                             cl::desc("Mantissa bits of the gradients"),
                             cl::cat(runCategory));
static cl::opt<int> manBitsM("man-bits-m", cl::init(-1),
                             cl::desc("Mantissa bits of the first moment"),
                             cl::cat(runCategory));
static cl::opt<int> manBitsV("man-bits-v", cl::init(-1),
                             cl::desc("Mantissa bits of the second moment"),
                             cl::cat(runCategory));
static cl::opt<int> expBits("exp-bits", cl::init(8),
                            cl::desc("Exponent bits of the simulated formats "
                                     "(2..8; 8 keeps f32's range, as in the "
                                     "paper)"),
                            cl::cat(runCategory));
static cl::opt<std::string>
    rounding("rounding", cl::init("stochastic"),
             cl::desc("nearest_even, toward_zero or stochastic (the "
                      "paper's choice)"),
             cl::cat(runCategory));
static cl::opt<bool> assignPrecision(
    "assign-precision", cl::init(false),
    cl::desc("Choose the formats with --qopt-assign-precision for the "
             "planned iterations instead of --man-bits"),
    cl::cat(runCategory));
static cl::opt<std::string> assignOptions(
    "assign-options", cl::init(""),
    cl::desc("Extra options of qopt-assign-precision (e.g. \"snap=hardware\")"),
    cl::cat(runCategory));
static cl::opt<int64_t> seed("seed", cl::init(1),
                             cl::desc("Seed of the stochastic rounding, the "
                                      "initialisation and the batch order"),
                             cl::cat(runCategory));
static cl::opt<std::string> csvFile("csv", cl::init(""),
                                    cl::desc("Write per-iteration CSV here"),
                                    cl::cat(runCategory));
static cl::opt<std::string>
    dataDir("data-dir", cl::init("/usr/share/datasets/fashion-mnist"),
            cl::desc("Directory of the IDX files (train-images-idx3-ubyte"
                     "[.gz] and friends)"),
            cl::cat(runCategory));
static cl::opt<std::string>
    textCorpus("text", cl::init("/usr/share/games/fortunes"),
               cl::desc("Text a qopt.data = \"tokens\" argument reads, one "
                        "token per byte: a file, or a directory whose files "
                        "without an extension are concatenated (Debian's "
                        "fortunes by default)"),
               cl::cat(runCategory));
static cl::opt<std::string> initDir(
    "init-dir", cl::init(""),
    cl::desc("Directory against which a relative qopt.init side file is "
             "resolved (default: the module's directory)"),
    cl::cat(runCategory));
static cl::opt<int64_t> evalEvery("eval-every", cl::init(0),
                                  cl::desc("Evaluate test accuracy every N "
                                           "iterations (0: at the end only)"),
                                  cl::cat(runCategory));
static cl::opt<int64_t> evalExamples("eval-examples", cl::init(10000),
                                     cl::desc("Test examples per evaluation"),
                                     cl::cat(runCategory));
static cl::opt<bool> progress("progress", cl::init(false),
                              cl::desc("Report progress on stderr (on by "
                                       "default for runs over 10 s)"),
                              cl::cat(runCategory));
static cl::opt<double> lrOverride(
    "lr", cl::init(0.0),
    cl::desc("Learning rate of every optimizer update (0: keep the IR's)"),
    cl::cat(runCategory));
static cl::opt<double> beta2Override(
    "beta2", cl::init(0.0),
    cl::desc("beta2 of every Adam update (0: keep the IR's); the theorem "
             "takes 1 - beta2 = Theta(1/T)"),
    cl::cat(runCategory));
static cl::opt<int64_t> probeEvery(
    "probe-every", cl::init(1),
    cl::desc("Evaluate the loss and gradient norm at the master (unquantized) "
             "weights at iteration 1, every N iterations after it and at the "
             "last (CSV columns master_loss, master_grad_norm)"),
    cl::cat(runCategory));
static cl::opt<bool> errorBudget(
    "error-budget", cl::init(false),
    cl::desc("At each probe, measure per component the realized relative "
             "quantization error (max, RMS) beside 2^-M, and count underflows "
             "to zero and overflows"),
    cl::cat(runCategory));
static cl::opt<bool> printIR("print-ir", cl::init(false),
                             cl::desc("Print the step after the qopt passes"),
                             cl::cat(runCategory));
static cl::opt<std::string> storage(
    "storage", cl::init("narrow"),
    cl::desc("Storage of the quantized state: narrow (the smallest container "
             "that holds its format exactly, --qopt-narrow-storage) or f32 "
             "(every state in f32, the simulation layout)"),
    cl::cat(runCategory));
static cl::opt<std::string> storageOptions(
    "storage-options", cl::init(""),
    cl::desc("Options of qopt-narrow-storage with --storage=narrow (e.g. "
             "\"containers=second_moment=f16\", \"quantized-weights\", "
             "\"master-format=bf16\")"),
    cl::cat(runCategory));
static cl::opt<std::string>
    finalStateFile("final-state", cl::init(""),
                   cl::desc("Write every state tensor at the end, decoded to "
                            "f32, in state order, as raw little-endian "
                            "float32"),
                   cl::cat(runCategory));
static cl::opt<std::string>
    saveFile("save", cl::init(""),
             cl::desc("Save a checkpoint here at the end (and every "
                      "--save-every iterations)"),
             cl::cat(runCategory));
static cl::opt<int64_t>
    saveEvery("save-every", cl::init(0),
              cl::desc("Also save the checkpoint every N iterations"),
              cl::cat(runCategory));
static cl::opt<std::string>
    resumeFile("resume", cl::init(""),
               cl::desc("Continue the run saved in this checkpoint (at its "
                        "iteration + 1, up to --iterations)"),
               cl::cat(runCategory));
static cl::opt<unsigned> threads(
    "cpu-threads", cl::init(QOPT_OPENMP_RUNTIME[0] ? 0 : 1),
    cl::desc("Threads of the compiled step (--qopt-lower-to-llvm="
             "\"num-threads=N\"): 0 (the default where qopt was built with "
             "libomp) uses OMP_NUM_THREADS or else every core, 1 compiles "
             "sequential code, N > 1 uses N threads. Results do not depend "
             "on it"),
    cl::cat(runCategory));
static cl::opt<int64_t> testKillDuringSave(
    "test-kill-during-save", cl::init(0), cl::Hidden,
    cl::desc("Fault injection for the tests: SIGKILL after writing half of "
             "the K-th checkpoint's temporary file"),
    cl::cat(runCategory));
static cl::opt<int64_t> testKillAtIteration(
    "test-kill-at-iteration", cl::init(0), cl::Hidden,
    cl::desc("Fault injection for the tests: SIGKILL once the CSV row of "
             "iteration K is written and flushed (with --data-parallel: "
             "rank --test-kill-rank, before the step of iteration K)"),
    cl::cat(runCategory));
static cl::opt<int64_t> testKillRank(
    "test-kill-rank", cl::init(0), cl::Hidden,
    cl::desc("With --data-parallel, the rank that --test-kill-at-iteration "
             "kills"),
    cl::cat(runCategory));
static cl::opt<bool> testStopInstead(
    "test-stop-instead", cl::init(false), cl::Hidden,
    cl::desc("With --data-parallel, --test-kill-at-iteration stops the rank "
             "(SIGSTOP: alive, silent) instead of killing it"),
    cl::cat(runCategory));
static cl::opt<std::string> dataParallel(
    "data-parallel", cl::init(""),
    cl::desc("Run data-parallel over the MPI ranks of mpirun -np N: allreduce "
             "(each rank computes the gradient of its B/N shard of the batch, "
             "the gradients are exchanged as G's codes and summed, every rank "
             "updates; docs/DataParallel.md) or master-worker (rank 0 sums "
             "the gradients, updates and broadcasts Q_W(W) as W's codes)"),
    cl::cat(runCategory));
static cl::opt<double> dpTimeout(
    "dp-timeout", cl::init(300),
    cl::desc("With --data-parallel, seconds an exchange may wait for the "
             "other ranks before the run stops with an error"),
    cl::cat(runCategory));

namespace {

/// Checks every option that has a range before anything is read or
/// compiled; each refusal names the option, the range and the value.
LogicalResult validateOptions() {
  auto refuse = [](StringRef option) -> llvm::raw_ostream & {
    return llvm::errs() << "qopt-run: --" << option << " ";
  };
  if (iterations < 1) {
    refuse("iterations") << "must be at least 1, got " << iterations << "\n";
    return failure();
  }
  if (!dataParallel.empty()) {
    if (dataParallel != "allreduce" && dataParallel != "master-worker") {
      refuse("data-parallel") << "must be allreduce or master-worker, got '"
                              << dataParallel << "'\n";
      return failure();
    }
    if (!(dpTimeout > 0) || !std::isfinite(dpTimeout)) {
      refuse("dp-timeout") << "must be a positive number of seconds, got "
                           << dpTimeout << "\n";
      return failure();
    }
    // The probe's master evaluation would run on the rank's shard only.
    if (probeEvery.getNumOccurrences() || errorBudget) {
      refuse("data-parallel") << "does not support --probe-every and "
                                 "--error-budget yet\n";
      return failure();
    }
#ifndef QOPT_HAVE_MPI
    refuse("data-parallel") << "needs MPI: this qopt-run was built without "
                               "it (install mpich and libmpich-dev, then "
                               "rebuild)\n";
    return failure();
#endif
  } else if (dpTimeout.getNumOccurrences()) {
    refuse("dp-timeout") << "needs --data-parallel\n";
    return failure();
  }
  if (manBits < 0 || manBits > 23) {
    refuse("man-bits") << "(mantissa bits) must be in [0, 23], got " << manBits
                       << "\n";
    return failure();
  }
  for (const cl::opt<int> *option :
       {&manBitsW, &manBitsG, &manBitsM, &manBitsV}) {
    if (*option == -1 || (*option >= 0 && *option <= 23))
      continue;
    refuse(option->ArgStr) << "(mantissa bits) must be in [0, 23], or -1 to "
                              "take --man-bits, got "
                           << option->getValue() << "\n";
    return failure();
  }
  if (threads > 1024) {
    refuse("cpu-threads") << "must be in [0, 1024], got " << threads << "\n";
    return failure();
  }
  if (threads != 1 && !QOPT_OPENMP_RUNTIME[0]) {
    refuse("cpu-threads") << "must be 1: qopt was built without an OpenMP "
                             "runtime (libomp-dev), got "
                          << threads << "\n";
    return failure();
  }
  if (expBits < 2 || expBits > 8) {
    refuse("exp-bits") << "(exponent bits) must be in [2, 8], got " << expBits
                       << "\n";
    return failure();
  }
  if (!llvm::is_contained({"nearest_even", "toward_zero", "stochastic"},
                          StringRef(rounding))) {
    refuse("rounding") << "must be nearest_even, toward_zero or stochastic, "
                          "got '"
                       << rounding << "'\n";
    return failure();
  }
  if (assignPrecision) {
    for (const cl::opt<int> *option :
         {&manBits, &manBitsW, &manBitsG, &manBitsM, &manBitsV, &expBits})
      if (option->getNumOccurrences()) {
        refuse(option->ArgStr) << "has no effect with --assign-precision, "
                                  "which chooses the formats\n";
        return failure();
      }
  } else if (!assignOptions.empty()) {
    refuse("assign-options") << "needs --assign-precision\n";
    return failure();
  }
  // A hyper-parameter is an f32 attribute: it must stay finite, in range and
  // non-zero once rounded to f32.
  auto checkHyperParameter = [&](StringRef name, double value,
                                 bool belowOne) -> LogicalResult {
    float narrow = static_cast<float>(value);
    if (value == 0.0)
      return success();
    if (std::isfinite(value) && value > 0 && std::isfinite(narrow) &&
        narrow > 0 && (!belowOne || narrow < 1.0f))
      return success();
    refuse(name) << "must be "
                 << (belowOne ? "in (0, 1)" : "positive and finite")
                 << " as an f32 (or 0 to keep the module's), got "
                 << llvm::format("%.10g", value) << "\n";
    return failure();
  };
  if (failed(checkHyperParameter("lr", lrOverride, /*belowOne=*/false)) ||
      failed(checkHyperParameter("beta2", beta2Override, /*belowOne=*/true)))
    return failure();
  if (seed < 0 || seed > int64_t(std::numeric_limits<uint32_t>::max())) {
    refuse("seed") << "must be in [0, 4294967295] (it seeds a 32-bit "
                      "generator), got "
                   << seed << "\n";
    return failure();
  }
  if (probeEvery < 1) {
    refuse("probe-every") << "must be at least 1, got " << probeEvery << "\n";
    return failure();
  }
  if (evalEvery < 0) {
    refuse("eval-every") << "must be at least 0, got " << evalEvery << "\n";
    return failure();
  }
  if (evalExamples < 1) {
    refuse("eval-examples")
        << "must be at least 1, got " << evalExamples << "\n";
    return failure();
  }
  if (saveEvery < 0 || (saveEvery > 0 && saveFile.empty())) {
    refuse("save-every") << "needs --save=FILE and a positive N, got "
                         << saveEvery << "\n";
    return failure();
  }
  if (storage != "narrow" && storage != "f32") {
    refuse("storage") << "must be narrow or f32, got '" << storage << "'\n";
    return failure();
  }
  if (!storageOptions.empty() && storage != "narrow") {
    refuse("storage-options") << "needs --storage=narrow\n";
    return failure();
  }
  // Two outputs of one path would write the same temporary file.
  std::pair<StringRef, StringRef> outputs[] = {
      {"csv", csvFile}, {"final-state", finalStateFile}, {"save", saveFile}};
  for (unsigned i = 0; i < 3; ++i)
    for (unsigned j = i + 1; j < 3; ++j)
      if (!outputs[i].second.empty() &&
          outputs[i].second == outputs[j].second) {
        refuse(outputs[i].first)
            << "and --" << outputs[j].first << " name the same file "
            << outputs[i].second << "\n";
        return failure();
      }
  if (quantize.empty()) {
    refuse("quantize") << "needs all, none or a list of components\n";
    return failure();
  }
  return success();
}

/// Maps the --quantize list to the pass's component names.
FailureOr<std::string> componentList() {
  if (quantize == "all")
    return std::string("weight,grad,first_moment,second_moment");
  if (quantize == "none")
    return std::string();
  std::string result;
  SmallVector<StringRef> parts;
  StringRef(quantize).split(parts, ',');
  for (StringRef part : parts) {
    StringRef name = llvm::StringSwitch<StringRef>(part.trim())
                         .Cases({"w", "weight"}, "weight")
                         .Cases({"g", "grad"}, "grad")
                         .Cases({"m", "first_moment"}, "first_moment")
                         .Cases({"v", "second_moment"}, "second_moment")
                         .Default("");
    if (name.empty()) {
      llvm::errs() << "qopt-run: unknown component '" << part
                   << "' in --quantize\n";
      return failure();
    }
    result += (result.empty() ? "" : ",") + name.str();
  }
  return result;
}

int bitsFor(Component component) {
  int specific = -1;
  switch (component) {
  case Component::weight:
    specific = manBitsW;
    break;
  case Component::grad:
    specific = manBitsG;
    break;
  case Component::first_moment:
    specific = manBitsM;
    break;
  case Component::second_moment:
    specific = manBitsV;
    break;
  }
  return specific >= 0 ? specific : manBits;
}

/// The quantization passes the command line asks for, as a textual
/// pipeline anchored on builtin.module (without a builtin.module(...)
/// wrapper, which would nest and silently match nothing).
std::string quantizationPipeline(StringRef components) {
  std::string pipeline =
      "qopt-insert-quantization{components=" + components.str() +
      " rounding=" + rounding + "}";
  if (assignPrecision)
    pipeline +=
        ",qopt-assign-precision{iterations=" + std::to_string(iterations) +
        (assignOptions.empty() ? "" : " " + assignOptions) + "}";
  return pipeline;
}

/// The narrow-storage pass with --storage-options.
std::string narrowStoragePipeline() {
  std::string pipeline = "qopt-narrow-storage";
  if (!storageOptions.empty())
    pipeline += "{" + storageOptions + "}";
  return pipeline;
}

/// Parses a pipeline that options built; an error (an unknown option of a
/// pass, a bad value) names the option it came from.
LogicalResult parseOptionPipeline(StringRef option, StringRef pipeline,
                                  OpPassManager &pm) {
  std::string message;
  llvm::raw_string_ostream os(message);
  if (succeeded(parsePassPipeline(pipeline, pm, os)))
    return success();
  SmallVector<StringRef> lines;
  StringRef(message).split(lines, '\n', -1, /*KeepEmpty=*/false);
  llvm::errs() << "qopt-run: --" << option << ": cannot configure '" << pipeline
               << "': " << llvm::join(lines, "; ") << "\n";
  return failure();
}

/// Checks, before anything is read, that the pipelines the options build
/// parse.
LogicalResult checkOptionPipelines(StringRef components) {
  OpPassManager quantizationPM(ModuleOp::getOperationName());
  if (!components.empty() &&
      failed(parseOptionPipeline(
          assignPrecision ? "assign-options" : "quantize",
          quantizationPipeline(components), quantizationPM)))
    return failure();
  OpPassManager storagePM(ModuleOp::getOperationName());
  if (storage == "narrow" &&
      failed(parseOptionPipeline("storage-options", narrowStoragePipeline(),
                                 storagePM)))
    return failure();
  return success();
}

/// Applies the qopt passes chosen on the command line to the module.
LogicalResult applyQuantizationPasses(ModuleOp module) {
  FailureOr<std::string> components = componentList();
  if (failed(components))
    return failure();
  if (components->empty())
    return success();
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  if (failed(
          parseOptionPipeline(assignPrecision ? "assign-options" : "quantize",
                              quantizationPipeline(*components), pm)) ||
      failed(pm.run(module)))
    return failure();
  if (assignPrecision)
    return success();
  // Fixed formats: e<exp-bits>m<bits of the component>.
  WalkResult result = module.walk([&](QuantizeOp op) {
    if (!op.getComponent())
      return WalkResult::advance();
    auto emitError = [&]() { return op.emitError(); };
    auto format = FloatFormatAttr::getChecked(
        emitError, op.getContext(), static_cast<unsigned>(expBits.getValue()),
        static_cast<unsigned>(bitsFor(*op.getComponent())),
        SubnormalPolicy::keep, OverflowPolicy::inf, SpecialEncoding::ieee);
    if (!format)
      return WalkResult::interrupt();
    op.setFormatAttr(format);
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

/// With --storage=narrow, gives the quantized state the smallest containers
/// that hold its formats exactly (--qopt-narrow-storage), once the formats
/// are set.
LogicalResult applyNarrowStorage(ModuleOp module) {
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  if (failed(
          parseOptionPipeline("storage-options", narrowStoragePipeline(), pm)))
    return failure();
  return pm.run(module);
}

std::string toString(Attribute attr) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << attr;
  return text;
}

/// What the runner knows of one state tensor.
struct StateInfo {
  unsigned argument = 0;
  RankedTensorType type;
  /// Layout of the codes in a narrow container (nullopt: f32 storage).
  std::optional<StorageLayout> layout;
  /// The format of its values (`#qopt.format<...>`) or "f32", and the
  /// rounding that writes them ("none" when not quantized).
  std::string format = "f32";
  std::string rounding = "none";
  unsigned elementBytes = 4;
  int64_t elements = 0;

  std::string name(unsigned k) const { return "state" + std::to_string(k); }
  std::string shape() const {
    if (type.getRank() == 0)
      return "scalar";
    std::string text;
    for (int64_t size : type.getShape())
      text += (text.empty() ? "" : "x") + std::to_string(size);
    return text;
  }
  std::string container() const {
    return getContainerName(type.getElementType());
  }
};

/// Element `i` of a state buffer, decoded to f32.
float loadElement(const MemRefDescriptor &d,
                  const std::optional<StorageLayout> &layout, int64_t i) {
  const uint8_t *p = d.bytes() + i * d.elementBytes;
  if (!layout) {
    float value;
    std::memcpy(&value, p, sizeof(value));
    return value;
  }
  if (d.elementBytes == 1)
    return decodeStorage(*p, *layout);
  uint16_t code;
  std::memcpy(&code, p, sizeof(code));
  return decodeStorage(code, *layout);
}

/// Stores `code` in element `i` of a narrow buffer (host byte order, as the
/// compiled code reads it).
void storeCode(MemRefDescriptor &d, int64_t i, uint32_t code) {
  uint8_t *p = d.bytes() + i * d.elementBytes;
  if (d.elementBytes == 1) {
    *p = static_cast<uint8_t>(code);
    return;
  }
  uint16_t narrow = static_cast<uint16_t>(code);
  std::memcpy(p, &narrow, sizeof(narrow));
}

bool sameBits(float a, float b) {
  return storageFloatBits(a) == storageFloatBits(b);
}

/// Checks that a `qopt.init` attribute fits the state.
LogicalResult checkInit(Attribute init, const StateInfo &state) {
  if (auto file = dyn_cast_or_null<DictionaryAttr>(init)) {
    auto ref = parseInitFileRef(file);
    if (!ref) {
      llvm::errs() << "qopt-run: qopt.init of state argument #"
                   << state.argument << " is " << init << ": "
                   << llvm::toString(ref.takeError()) << "\n";
      return failure();
    }
    return success();
  }
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(init)) {
    if (!dense.getElementType().isF32() ||
        dense.getType().getShape() != state.type.getShape()) {
      llvm::errs() << "qopt-run: qopt.init of state argument #"
                   << state.argument << " is " << dense.getType()
                   << "; expected values of the state's shape, "
                   << RankedTensorType::get(
                          state.type.getShape(),
                          Float32Type::get(state.type.getContext()))
                   << "\n";
      return failure();
    }
    return success();
  }
  auto name = dyn_cast_or_null<StringAttr>(init);
  if (init && (!name || !llvm::is_contained({"zeros", "ones", "glorot"},
                                            name.getValue()))) {
    llvm::errs() << "qopt-run: qopt.init of state argument #" << state.argument
                 << " is " << init
                 << "; expected dense values, \"zeros\", \"ones\", "
                    "\"glorot\" or a side file {file = ...}\n";
    return failure();
  }
  return success();
}

/// Produces the initial f32 values of a state from its `qopt.init`
/// attribute, in element order, with the same draws from `rng` whatever
/// its storage; stops early when `store` returns false.
void initialValues(const StateInfo &state, Attribute init, std::mt19937 &rng,
                   llvm::function_ref<bool(int64_t, float)> store) {
  int64_t n = state.elements;
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(init)) {
    auto values = dense.getValues<float>();
    for (int64_t i = 0; i < n; ++i)
      if (!store(i, dense.isSplat() ? dense.getSplatValue<float>() : values[i]))
        return;
    return;
  }
  StringRef kind = "zeros";
  if (auto name = dyn_cast_or_null<StringAttr>(init))
    kind = name.getValue();
  if (kind == "glorot") {
    // An empty state draws nothing (and its fans may be 0).
    if (n == 0)
      return;
    RankedTensorType type = state.type;
    int64_t fanIn = type.getRank() >= 2 ? type.getDimSize(0) : n;
    int64_t fanOut = type.getRank() >= 2 ? type.getDimSize(1) : n;
    float limit = std::sqrt(6.0f / float(fanIn + fanOut));
    std::uniform_real_distribution<float> uniform(-limit, limit);
    for (int64_t i = 0; i < n; ++i)
      if (!store(i, uniform(rng)))
        return;
    return;
  }
  float value = kind == "ones" ? 1.0f : 0.0f;
  for (int64_t i = 0; i < n; ++i)
    if (!store(i, value))
      return;
}

/// Initialises a state buffer: the f32 values, encoded into the container
/// when it is narrow. Fails when a value is not one of the storage format's
/// (narrow storage would then change the run).
LogicalResult initialise(MemRefDescriptor &d, const StateInfo &state,
                         unsigned k, Attribute init, std::mt19937 &rng) {
  bool ok = true;
  initialValues(state, init, rng, [&](int64_t i, float value) {
    if (!state.layout) {
      d.data()[i] = value;
      return true;
    }
    uint32_t code = encodeStorage(value, *state.layout);
    float decoded = decodeStorage(code, *state.layout);
    if (!sameBits(decoded, value)) {
      llvm::errs() << llvm::format("qopt-run: state argument #%u (%s): "
                                   "initial value %.9g (element %lld) is not "
                                   "a value of ",
                                   state.argument, state.name(k).c_str(), value,
                                   (long long)i)
                   << state.format << ", stored in " << state.container()
                   << " (it would read back as "
                   << llvm::format("%.9g", decoded)
                   << "): narrow storage would change the run; use "
                      "--storage=f32 or initial values the format holds\n";
      ok = false;
      return false;
    }
    storeCode(d, i, code);
    return true;
  });
  return success(ok);
}

struct DataFeed {
  IdxDataset train, test;
  std::vector<int64_t> order;
  int64_t cursor = 0;
  /// The corpus of a tokens argument (empty otherwise).
  std::string text;

  /// Fills each row of `tokens` (B x L) with the L bytes of the text from an
  /// offset drawn uniformly with `rng`, as f32 values 0..255.
  void nextTokens(MemRefDescriptor &tokens, std::mt19937 &rng) {
    int64_t batch = tokens.sizesAndStrides[0];
    int64_t length = tokens.sizesAndStrides[1];
    std::uniform_int_distribution<int64_t> offsets(0, int64_t(text.size()) -
                                                          length);
    for (int64_t b = 0; b < batch; ++b) {
      int64_t offset = offsets(rng);
      float *row = tokens.data() + b * length;
      for (int64_t t = 0; t < length; ++t)
        row[t] = float(uint8_t(text[offset + t]));
    }
  }

  /// Copies the next batch (images, one-hot labels) into the descriptors.
  void nextBatch(MemRefDescriptor &images, MemRefDescriptor &labels,
                 std::mt19937 &rng) {
    int64_t batch = images.sizesAndStrides[0];
    for (int64_t b = 0; b < batch; ++b) {
      if (cursor == int64_t(order.size())) {
        std::shuffle(order.begin(), order.end(), rng);
        cursor = 0;
      }
      copyExample(train, order[cursor++], b, images, labels);
    }
  }

  static void copyExample(const IdxDataset &set, int64_t example, int64_t row,
                          MemRefDescriptor &images, MemRefDescriptor &labels) {
    int64_t pixels = set.pixelsPerImage();
    std::copy_n(set.images.data() + example * pixels, pixels,
                images.data() + row * pixels);
    int64_t classes = labels.sizesAndStrides[1];
    float *oneHot = labels.data() + row * classes;
    std::fill(oneHot, oneHot + classes, 0.0f);
    oneHot[set.labels[example]] = 1.0f;
  }
};

std::string formatDouble(double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%.17g", value);
  return text;
}

/// The options that change the numerics, as a checkpoint records them
/// (sorted by name).
std::vector<std::pair<std::string, std::string>> numericsOptions() {
  auto number = [](int64_t value) { return std::to_string(value); };
  return {
      {"assign-options", assignOptions},
      {"assign-precision", assignPrecision ? "true" : "false"},
      {"beta2", formatDouble(beta2Override)},
      {"exp-bits", number(expBits)},
      {"lr", formatDouble(lrOverride)},
      {"man-bits", number(manBits)},
      {"man-bits-g", number(manBitsG)},
      {"man-bits-m", number(manBitsM)},
      {"man-bits-v", number(manBitsV)},
      {"man-bits-w", number(manBitsW)},
      {"quantize", quantize},
      {"rounding", rounding},
      {"storage", storage},
      {"storage-options", storageOptions},
  };
}

/// Checks a checkpoint's options against this run's; `seedValue` becomes
/// the checkpoint's seed.
LogicalResult checkResumeOptions(const Checkpoint &checkpoint,
                                 int64_t &seedValue) {
  auto fail = [&]() -> llvm::raw_ostream & {
    return llvm::errs() << "qopt-run: --resume: " << resumeFile << " ";
  };
  std::vector<std::pair<std::string, std::string>> expected = numericsOptions();
  for (const auto &option : expected) {
    const std::string &name = option.first, &value = option.second;
    auto it = llvm::find_if(checkpoint.options, [&](const auto &entry) {
      return entry.first == name;
    });
    if (it == checkpoint.options.end()) {
      fail() << "does not record --" << name << "\n";
      return failure();
    }
    if (it->second != value) {
      fail() << "was written with --" << name << "=" << it->second
             << ", this run has --" << name << "=" << value << "\n";
      return failure();
    }
  }
  if (checkpoint.options.size() != expected.size()) {
    fail() << "records options this qopt-run does not know\n";
    return failure();
  }
  if (seed.getNumOccurrences() && seed != checkpoint.seed) {
    fail() << "was written with --seed=" << checkpoint.seed
           << ", this run has --seed=" << seed << "\n";
    return failure();
  }
  seedValue = checkpoint.seed;
  if (checkpoint.iteration >= iterations) {
    fail() << "is at iteration " << checkpoint.iteration
           << ": --iterations (the total) must be larger, got " << iterations
           << "\n";
    return failure();
  }
  return success();
}

/// Checks that a checkpoint's tensors are this module's state.
LogicalResult checkResumeTensors(const Checkpoint &checkpoint,
                                 StringRef formats,
                                 ArrayRef<StateInfo> states) {
  auto fail = [&]() -> llvm::raw_ostream & {
    return llvm::errs() << "qopt-run: --resume: " << resumeFile << " ";
  };
  if (checkpoint.tensors.size() != states.size()) {
    fail() << "holds " << checkpoint.tensors.size()
           << " state tensors, the module has " << states.size() << "\n";
    return failure();
  }
  for (unsigned k = 0; k < states.size(); ++k) {
    const CheckpointTensor &t = checkpoint.tensors[k];
    const StateInfo &s = states[k];
    std::string name = s.name(k);
    auto compare = [&](StringRef what, StringRef saved,
                       StringRef wanted) -> LogicalResult {
      if (saved == wanted)
        return success();
      fail() << "does not match the module: " << name << " has " << what << " "
             << saved << " in the checkpoint, " << wanted << " in the module\n";
      return failure();
    };
    std::optional<int64_t> bytes =
        getTensorBytes(s.type.getShape(), s.elementBytes);
    if (failed(compare("name", t.name, name)) ||
        failed(compare("argument", std::to_string(t.argument),
                       std::to_string(s.argument))) ||
        failed(compare("shape", t.shape, s.shape())) ||
        failed(compare("format", t.format, s.format)) ||
        failed(compare("container", t.container, s.container())) ||
        failed(compare("rounding", t.rounding, s.rounding)) ||
        failed(compare("size (bytes)", std::to_string(t.bytes),
                       std::to_string(bytes.value_or(-1)))))
      return failure();
  }
  // The quantization points: the first one that differs.
  if (checkpoint.formats != formats) {
    SmallVector<StringRef> saved, wanted;
    StringRef(checkpoint.formats).split(saved, "; ", -1, false);
    StringRef(formats).split(wanted, "; ", -1, false);
    size_t i = 0;
    while (i < saved.size() && i < wanted.size() && saved[i] == wanted[i])
      ++i;
    fail() << "was written with other quantization points: point #" << i
           << " is '" << (i < saved.size() ? saved[i] : "none")
           << "' in the checkpoint, '"
           << (i < wanted.size() ? wanted[i] : "none") << "' in this run\n";
    return failure();
  }
  return success();
}

/// An output file that appears under its name only once it is complete:
/// written to FILE.tmp, closed, checked and renamed to FILE by commit(). A
/// run that stops early (an error, a signal, SIGKILL) leaves at most
/// FILE.tmp; a previous FILE is removed when the new one is opened, so an
/// existing FILE is always the output of a finished run. A FILE that exists
/// and is not a regular file (a device such as /dev/full, a pipe) is
/// written directly. Write errors (a full disk) are reported by name, never
/// left to the stream's destructor (which would abort).
class OutputFile {
public:
  static std::unique_ptr<OutputFile> open(StringRef path, StringRef what) {
    auto file = std::unique_ptr<OutputFile>(new OutputFile(path, what));
    llvm::sys::fs::file_status status;
    bool exists = !llvm::sys::fs::status(file->path, status) &&
                  llvm::sys::fs::exists(status);
    file->direct =
        exists && status.type() != llvm::sys::fs::file_type::regular_file;
    if (!file->direct) {
      file->writePath = file->path + ".tmp";
      if (std::error_code error = llvm::sys::fs::remove(file->path)) {
        llvm::errs() << "qopt-run: cannot remove the previous " << what << " "
                     << file->path << ": " << error.message() << "\n";
        return nullptr;
      }
    } else {
      file->writePath = file->path;
    }
    std::error_code error;
    file->stream = std::make_unique<llvm::raw_fd_ostream>(
        file->writePath, error, llvm::sys::fs::OF_Text);
    if (error) {
      llvm::errs() << "qopt-run: cannot write the " << what << " "
                   << file->writePath << ": " << error.message() << "\n";
      file->stream->clear_error();
      file->stream.reset();
      return nullptr;
    }
    return file;
  }

  ~OutputFile() {
    if (committed || !stream)
      return;
    stream->close();
    stream->clear_error();
    if (!direct)
      llvm::sys::fs::remove(writePath);
  }

  llvm::raw_fd_ostream &os() { return *stream; }

  /// Reports a write error so far (the stream's buffer flushed); the run
  /// stops at the first one.
  LogicalResult check() {
    if (!stream->has_error())
      return success();
    return report(stream->error());
  }

  /// Flushes, closes and checks the file, then gives it its name.
  LogicalResult commit() {
    stream->close();
    if (stream->has_error())
      return report(stream->error());
    committed = true;
    if (direct)
      return success();
    if (std::error_code error = llvm::sys::fs::rename(writePath, path)) {
      llvm::errs() << "qopt-run: cannot rename " << writePath << " to " << path
                   << ": " << error.message() << "\n";
      llvm::sys::fs::remove(writePath);
      return failure();
    }
    return success();
  }

private:
  OutputFile(StringRef path, StringRef what)
      : path(path.str()), what(what.str()) {}

  LogicalResult report(std::error_code error) {
    llvm::errs() << "qopt-run: cannot write the " << what << " " << writePath
                 << ": " << error.message() << "\n";
    stream->clear_error();
    return failure();
  }

  std::string path, writePath, what;
  std::unique_ptr<llvm::raw_fd_ostream> stream;
  bool direct = false;
  bool committed = false;
};

/// MLIR's lowering of memref.get_global marks the allocated pointer of a
/// constant buffer with this value: it is not malloc'ed.
static void *const kGlobalBufferMarker = reinterpret_cast<void *>(0xdeadbeef);

/// Makes the buffers that @train_step returned the new state. A result is
/// normally a buffer the step allocated, but it may also be an argument's
/// own buffer (updated in place or passed through), the buffer of another
/// result, a data buffer or a constant global: those are copied into a
/// buffer of their own, so that each argument owns exactly one malloc'ed
/// buffer. Old state buffers that no result kept are freed. Fails (without
/// leaking) when a result is not a contiguous buffer of the state's shape.
LogicalResult adoptStepResults(std::vector<MemRefDescriptor> &args,
                               ArrayRef<ArgKind> kinds,
                               ArrayRef<StateInfo> states,
                               std::vector<MemRefDescriptor> fresh) {
  llvm::DenseSet<void *> argBuffers, dataBuffers;
  for (unsigned i = 0; i < args.size(); ++i) {
    if (!args[i].allocated)
      continue;
    argBuffers.insert(args[i].allocated);
    if (kinds[i] == ArgKind::Images || kinds[i] == ArgKind::Labels ||
        kinds[i] == ArgKind::Tokens)
      dataBuffers.insert(args[i].allocated);
  }
  auto isNewAllocation = [&](void *p) {
    return p && p != kGlobalBufferMarker && !argBuffers.contains(p);
  };
  for (unsigned k = 0; k < states.size(); ++k) {
    const MemRefDescriptor &d = fresh[k];
    ArrayRef<int64_t> shape = states[k].type.getShape();
    bool contiguous = d.aligned != nullptr;
    int64_t stride = 1;
    for (int i = int(d.rank) - 1; i >= 0 && contiguous; --i) {
      contiguous = d.sizesAndStrides[i] == shape[i] &&
                   (shape[i] == 1 || d.sizesAndStrides[d.rank + i] == stride);
      stride *= shape[i];
    }
    if (contiguous)
      continue;
    llvm::errs() << "qopt-run: @train_step returned state #" << k
                 << " as a buffer that is not a contiguous " << states[k].type
                 << "\n";
    llvm::DenseSet<void *> freed;
    for (MemRefDescriptor &r : fresh)
      if (isNewAllocation(r.allocated) && freed.insert(r.allocated).second)
        r.release();
    return failure();
  }
  llvm::DenseSet<void *> claimed;
  std::vector<MemRefDescriptor> adopted(states.size());
  LogicalResult result = success();
  for (unsigned k = 0; k < states.size(); ++k) {
    MemRefDescriptor &d = fresh[k];
    void *p = d.allocated;
    if (p && p != kGlobalBufferMarker && !dataBuffers.contains(p) &&
        claimed.insert(p).second) {
      adopted[k] = d;
      continue;
    }
    std::optional<MemRefDescriptor> copy = MemRefDescriptor::allocate(
        states[k].type.getShape(), states[k].elementBytes);
    if (!copy) {
      llvm::errs() << "qopt-run: cannot allocate a copy of state #" << k << " ("
                   << states[k].type << ")\n";
      result = failure();
      continue;
    }
    std::memcpy(copy->bytes(), d.bytes(), copy->numBytes());
    adopted[k] = *copy;
  }
  // Old state buffers that no result kept, then the new state.
  for (unsigned k = 0; k < states.size(); ++k) {
    MemRefDescriptor &old = args[states[k].argument];
    if (!claimed.contains(old.allocated))
      old.release();
  }
  for (unsigned k = 0; k < states.size(); ++k)
    args[states[k].argument] = adopted[k];
  return result;
}

} // namespace

static int runMain(int argc, char **argv) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  qopt::registerAllQOptPassesAndPipelines();
  cl::HideUnrelatedOptions(runCategory);
  cl::ParseCommandLineOptions(argc, argv,
                              "qopt-run: train through the qopt compiler\n");
  if (failed(validateOptions()))
    return 1;
  FailureOr<std::string> components = componentList();
  if (failed(components) || failed(checkOptionPipelines(*components)))
    return 1;

  // Data parallelism: every rank runs this program on its shard of each
  // batch; rank 0 writes the outputs.
  bool dp = !dataParallel.empty();
  int dpRank = 0, dpSize = 1;
#ifdef QOPT_HAVE_MPI
  if (dp) {
    if (qopt_dp_init(nullptr, nullptr, dpTimeout) != 0) {
      llvm::errs() << "qopt-run: cannot initialise MPI: " << qopt_dp_error()
                   << "\n";
      return 1;
    }
    dpRank = qopt_dp_rank();
    dpSize = qopt_dp_size();
    if (dpRank != 0) {
      csvFile = "";
      finalStateFile = "";
      saveFile = "";
      int null = ::open("/dev/null", O_WRONLY);
      if (null >= 0) {
        ::dup2(null, STDOUT_FILENO);
        ::close(null);
      }
    }
  }
#endif

  // A checkpoint to resume from is checked before anything is compiled.
  std::unique_ptr<llvm::MemoryBuffer> checkpointBuffer;
  std::optional<Checkpoint> resumed;
  int64_t seedValue = seed;
  if (!resumeFile.empty()) {
    auto checkpoint = readCheckpoint(resumeFile, checkpointBuffer);
    if (!checkpoint) {
      llvm::errs() << "qopt-run: --resume: "
                   << llvm::toString(checkpoint.takeError()) << "\n";
      return 1;
    }
    resumed = std::move(*checkpoint);
    if (failed(checkResumeOptions(*resumed, seedValue)))
      return 1;
    StringRef moduleName = llvm::sys::path::filename(inputFile);
    if (resumed->module != moduleName)
      llvm::errs() << "qopt-run: warning: " << resumeFile << " was written for "
                   << resumed->module << ", this run is " << moduleName << "\n";
  }

  // The outputs are opened first: a path that cannot be written is an
  // error before any work, and a previous output of the same name is gone
  // (see OutputFile).
  std::unique_ptr<OutputFile> csv, finalState;
  if (!csvFile.empty()) {
    csv = OutputFile::open(csvFile, "CSV");
    if (!csv)
      return 1;
  }
  if (!finalStateFile.empty()) {
    finalState = OutputFile::open(finalStateFile, "final state");
    if (!finalState)
      return 1;
  }

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  qopt::registerQOptDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // A diagnostic names its operation's location; the whole module printed
  // after it would bury the message.
  context.printOpOnDiagnostic(false);

  llvm::SourceMgr sourceMgr;
  std::string errorMessage;
  auto file = openInputFile(inputFile, &errorMessage);
  if (!file) {
    llvm::errs() << "qopt-run: " << errorMessage << "\n";
    return 1;
  }
  sourceMgr.AddNewSourceBuffer(std::move(file), SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  // The precision remarks of --qopt-assign-precision are for --print-ir;
  // a training run reports the chosen formats in one line each instead.
  context.getDiagEngine().registerHandler([](Diagnostic &diagnostic) {
    return success(!printIR &&
                   diagnostic.getSeverity() == DiagnosticSeverity::Remark);
  });
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;
  // Drivers of their own (a @main) are not needed here.
  if (auto mainFunc = module->lookupSymbol<func::FuncOp>("main"))
    mainFunc.erase();

  auto step = module->lookupSymbol<func::FuncOp>("train_step");
  if (!step) {
    llvm::errs() << "qopt-run: " << inputFile << " has no @train_step\n";
    return 1;
  }
  auto evaluate = module->lookupSymbol<func::FuncOp>("evaluate");
  {
    // The module as written follows the contract, before the runner adds
    // its arguments and the gradient norm result.
    StepSignature written, writtenEval;
    if (failed(analyzeStepFunction(step, /*isTrainStep=*/true, written)) ||
        (evaluate && failed(analyzeStepFunction(evaluate, /*isTrainStep=*/false,
                                                writtenEval))))
      return 1;
    bool stepTakesData = llvm::is_contained(written.args, ArgKind::Images);
    if (evaluate && !stepTakesData) {
      llvm::errs() << "qopt-run: @evaluate needs a data set, but @train_step "
                      "takes no qopt.data arguments\n";
      return 1;
    }
    if (!evaluate &&
        (evalEvery.getNumOccurrences() || evalExamples.getNumOccurrences()))
      llvm::errs() << "qopt-run: warning: " << inputFile
                   << " has no @evaluate: --eval-every and --eval-examples "
                      "have no effect\n";
  }
  bool stochastic = rounding == "stochastic" && quantize != "none";
  addSeedAndStepArguments(step, stochastic, stochastic);
  // With --data-parallel the norm is that of the summed gradient, added
  // after the exchange.
  if (!dp && failed(addGradientNormResult(step)))
    return 1;
  unsigned gradNormIndex = step.getNumResults() - 1;

  // Hyper-parameter overrides, for sweeps that scale them with T. An
  // override replaces a hyper-parameter given as an operand too.
  Builder builder(&context);
  module->walk([&](Operation *op) {
    if (auto adam = dyn_cast<AdamUpdateOp>(op)) {
      if (lrOverride > 0) {
        adam.getDynamicLrMutable().clear();
        adam.setLrAttr(builder.getF32FloatAttr(lrOverride));
      }
      if (beta2Override > 0) {
        adam.getDynamicBeta2Mutable().clear();
        adam.setBeta2Attr(builder.getF32FloatAttr(beta2Override));
      }
    } else if (auto muon = dyn_cast<MuonUpdateOp>(op)) {
      if (lrOverride > 0) {
        muon.getDynamicLrMutable().clear();
        muon.setLrAttr(builder.getF32FloatAttr(lrOverride));
      }
    }
  });
  if (failed(applyQuantizationPasses(*module)) || failed(verify(*module)))
    return 1;
  // The formats in force, for the record (before narrow storage rewrites
  // the quantization of the state).
  std::vector<std::string> formatLines;
  std::string formats;
  step.walk([&](QuantizeOp op) {
    if (!op.getComponent())
      return;
    std::string component = stringifyComponent(*op.getComponent()).str();
    std::string mode = stringifyRoundingMode(op.getRounding()).str();
    formatLines.push_back("# " + component + " quantized to " +
                          toString(op.getFormat()) + " rounding " + mode);
    formats += (formats.empty() ? "" : "; ") + component + " " +
               toString(op.getFormat()) + " " + mode;
  });
  // The format and rounding of each state result the step quantizes.
  unsigned numWrittenState = 0;
  for (BlockArgument arg : step.getArguments())
    if (isa<RankedTensorType>(arg.getType()) &&
        !step.getArgAttr(arg.getArgNumber(), "qopt.data"))
      ++numWrittenState;
  std::vector<std::pair<std::string, std::string>> stateFormats(
      numWrittenState, {"f32", "none"});
  auto stepReturn = cast<func::ReturnOp>(step.getBody().back().getTerminator());
  for (unsigned k = 0; k < numWrittenState; ++k)
    if (auto op = stepReturn.getOperand(k).getDefiningOp<QuantizeOp>())
      stateFormats[k] = {toString(op.getFormat()),
                         stringifyRoundingMode(op.getRounding()).str()};

  if (storage == "narrow" && !components->empty() &&
      (failed(applyNarrowStorage(*module)) || failed(verify(*module))))
    return 1;

  // The evaluation at the master weights (and the error budget), compiled
  // into the step behind its qopt.probe argument.
  ProbeLayout probe;
  // Data parallel: the batch sharded over the ranks and the exchange of the
  // gradients (--qopt-data-parallel), instead of the probe (which would
  // evaluate the master weights on the shard only).
  int64_t dpPayload = 0, dpF32Payload = 0, dpGlobalBatch = 0;
  if (dp) {
    PassManager pm(module->getContext(), ModuleOp::getOperationName());
    std::string pipeline =
        "qopt-data-parallel{ranks=" + std::to_string(dpSize) +
        " mode=" + dataParallel.getValue() + "}";
    if (failed(parseOptionPipeline("data-parallel", pipeline, pm)))
      return 1;
    for (BlockArgument arg : step.getArguments())
      if (step.getArgAttr(arg.getArgNumber(), "qopt.data"))
        dpGlobalBatch = cast<RankedTensorType>(arg.getType()).getDimSize(0);
    if (failed(pm.run(*module)) || failed(addGradientNormResult(step)) ||
        failed(verify(*module)))
      return 1;
    gradNormIndex = step.getNumResults() - 1;
    // What the exchanges of one step send: each rank's payload to every
    // other (all-gathers), each worker's to rank 0 (gathers), rank 0's to
    // each worker (broadcasts).
    auto describe =
        [&](RankedTensorType type, std::optional<FloatFormatAttr> format,
            StringRef direction, int64_t &payload, int64_t &f32Payload) {
          int64_t elements = type.getNumElements();
          unsigned bytes = format ? getStorageChoice(*format).bytes : 4;
          payload += elements * bytes;
          f32Payload += elements * 4;
          llvm::outs() << "# exchange" << direction << ": "
                       << (format ? toString(*format) + " codes"
                                  : std::string("f32 values"))
                       << " of " << type << ", " << elements * bytes
                       << " bytes per rank (f32: " << elements * 4 << ")\n";
        };
    int64_t upPayload = 0, upF32Payload = 0, downPayload = 0,
            downF32Payload = 0;
    step.walk([&](Operation *op) {
      if (auto all = dyn_cast<AllGatherSumOp>(op))
        describe(all.getInput().getType(), all.getFormat(), "", dpPayload,
                 dpF32Payload);
      else if (auto up = dyn_cast<GatherSumOp>(op))
        describe(up.getInput().getType(), up.getFormat(), " to rank 0",
                 upPayload, upF32Payload);
      else if (auto down = dyn_cast<BroadcastOp>(op))
        describe(down.getInput().getType(), down.getFormat(), " from rank 0",
                 downPayload, downF32Payload);
    });
    auto ratio = [](int64_t f32, int64_t bytes) {
      return llvm::format("%.2fx", bytes ? double(f32) / double(bytes) : 1.0);
    };
    llvm::outs() << "data-parallel: " << dpSize << " ranks, "
                 << dataParallel.getValue() << ", global batch "
                 << dpGlobalBatch << " (" << dpGlobalBatch / dpSize
                 << " per rank); ";
    if (dataParallel == "master-worker")
      llvm::outs() << "each worker sends " << upPayload
                   << " bytes to rank 0 (f32: " << upF32Payload << ", "
                   << ratio(upF32Payload, upPayload) << " fewer), rank 0 sends "
                   << downPayload
                   << " bytes to each worker (f32: " << downF32Payload << ", "
                   << ratio(downF32Payload, downPayload)
                   << " fewer) and every rank " << dpPayload
                   << " bytes of scalars to each other per step\n";
    else
      llvm::outs() << "each rank sends " << dpPayload << " bytes to "
                   << "each of the " << dpSize - 1
                   << " others per step (f32: " << dpF32Payload << ", "
                   << ratio(dpF32Payload, dpPayload) << " fewer)\n";
  } else if (failed(
                 addMasterProbe(step, numWrittenState, errorBudget, probe)) ||
             failed(verify(*module))) {
    return 1;
  }

  StepSignature signature, evalSignature;
  if (failed(analyzeStepFunction(step, /*isTrainStep=*/true, signature)) ||
      (evaluate && failed(analyzeStepFunction(evaluate, /*isTrainStep=*/false,
                                              evalSignature))))
    return 1;
  unsigned numState = signature.stateArgs.size();
  if (numState != numWrittenState) {
    llvm::errs() << "qopt-run: narrow storage changed the number of state "
                    "arguments\n";
    return 1;
  }
  std::vector<StateInfo> states(numState);
  for (unsigned k = 0; k < numState; ++k) {
    StateInfo &s = states[k];
    s.argument = signature.stateArgs[k];
    s.type = signature.argTypes[s.argument];
    s.layout = signature.storageLayouts[s.argument];
    s.elementBytes = getElementBytes(s.type.getElementType());
    std::tie(s.format, s.rounding) = stateFormats[k];
    if (FloatFormatAttr format = signature.storageFormats[s.argument]) {
      s.format = toString(format);
      if (s.rounding == "none" && !components->empty())
        s.rounding = rounding;
    }
    std::optional<int64_t> elements = getTensorBytes(s.type.getShape(), 1);
    std::optional<int64_t> bytes =
        getTensorBytes(s.type.getShape(), std::max(s.elementBytes, 4u));
    if (!elements || !bytes) {
      llvm::errs() << "qopt-run: state argument #" << s.argument << " ("
                   << s.type << ") is too large: its size overflows\n";
      return 1;
    }
    s.elements = *elements;
  }
  // @evaluate reads the first states as f32 weights.
  unsigned numWeights = 0;
  for (unsigned i = 0; i < evalSignature.args.size(); ++i) {
    if (evalSignature.args[i] != ArgKind::State)
      continue;
    if (numWeights == numState || evalSignature.argTypes[i].getShape() !=
                                      states[numWeights].type.getShape()) {
      llvm::errs() << "qopt-run: @evaluate argument #" << i << " ("
                   << evalSignature.argTypes[i]
                   << ") does not match state argument #"
                   << (numWeights < numState
                           ? std::to_string(states[numWeights].argument)
                           : std::string("(none)"))
                   << " of @train_step\n";
      return 1;
    }
    ++numWeights;
  }

  for (const std::string &line : formatLines)
    llvm::outs() << line << "\n";
  // The bytes of the state, per narrow state and in all.
  int64_t stateBytes = 0, f32Bytes = 0;
  for (unsigned k = 0; k < numState; ++k) {
    const StateInfo &s = states[k];
    int64_t bytes = s.elements * s.elementBytes;
    // Each state's size fits (checked above); their sum may not.
    if (__builtin_add_overflow(stateBytes, bytes, &stateBytes) ||
        __builtin_add_overflow(f32Bytes, s.elements * 4, &f32Bytes)) {
      llvm::errs() << "qopt-run: the state is too large: its size "
                      "overflows\n";
      return 1;
    }
    if (s.layout)
      llvm::outs() << "# state #" << k << ": " << s.format << " in "
                   << s.container() << " (" << s.elementBytes
                   << " bytes/element, " << bytes << " bytes)\n";
  }
  llvm::outs() << "state memory: " << stateBytes << " bytes (f32: " << f32Bytes
               << " bytes, "
               << llvm::format("-%.1f%%",
                               f32Bytes
                                   ? 100.0 * double(f32Bytes - stateBytes) /
                                         double(f32Bytes)
                                   : 0.0)
               << ")\n";
  if (resumed && failed(checkResumeTensors(*resumed, formats, states)))
    return 1;
  if (printIR)
    module->print(llvm::outs());

  // Every qopt.init is checked, resumed runs included, before anything is
  // allocated.
  for (unsigned k = 0; k < numState; ++k)
    if (failed(checkInit(signature.initAttrs[states[k].argument], states[k])))
      return 1;
  // Side files are read (and checked against the module's CRC-32) before
  // anything is allocated; a resumed run takes its state from the
  // checkpoint and reads none.
  if (!resumed) {
    std::string directory = initDir;
    if (directory.empty() && inputFile != "-")
      directory = llvm::sys::path::parent_path(inputFile).str();
    InitFileCache files;
    for (unsigned k = 0; k < numState; ++k) {
      Attribute &init = signature.initAttrs[states[k].argument];
      auto file = dyn_cast_or_null<DictionaryAttr>(init);
      if (!file)
        continue;
      llvm::Expected<DenseElementsAttr> values = [&] {
        llvm::Expected<InitFileRef> ref = parseInitFileRef(file);
        if (!ref)
          return llvm::Expected<DenseElementsAttr>(ref.takeError());
        return readInitFile(*ref, states[k].type, directory, files);
      }();
      if (!values) {
        llvm::errs() << "qopt-run: qopt.init of state argument #"
                     << states[k].argument << ": "
                     << llvm::toString(values.takeError()) << "\n";
        return 1;
      }
      init = *values;
    }
  }

  // State and data buffers, the state initialised (or resumed).
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::vector<MemRefDescriptor> args(signature.args.size());
  auto releaseAll = [&]() {
    for (MemRefDescriptor &d : args)
      d.release();
  };
  // Every exit, early ones included, frees the buffers (release() is
  // idempotent).
  llvm::scope_exit releaseAtExit([&] { releaseAll(); });
  bool needsData = false;
  for (unsigned i = 0; i < signature.args.size(); ++i) {
    RankedTensorType type = signature.argTypes[i];
    if (!type)
      continue;
    unsigned elementBytes = getElementBytes(type.getElementType());
    std::optional<MemRefDescriptor> buffer =
        MemRefDescriptor::allocate(type.getShape(), elementBytes);
    if (!buffer) {
      std::optional<int64_t> bytes =
          getTensorBytes(type.getShape(), elementBytes);
      llvm::errs() << "qopt-run: cannot allocate argument #" << i << " ("
                   << type << ", "
                   << (bytes ? std::to_string(*bytes) + " bytes"
                             : std::string("size overflows"))
                   << ")\n";
      return 1;
    }
    args[i] = *buffer;
    if (signature.args[i] != ArgKind::State)
      needsData = true;
  }
  // Data parallel: the global batch is drawn (identically on every rank,
  // from the same seed) into these, and the rank's rows copied to its
  // shard.
  std::optional<MemRefDescriptor> globalImages, globalLabels, globalTokens;
  llvm::scope_exit releaseGlobal([&] {
    for (auto *global : {&globalImages, &globalLabels, &globalTokens})
      if (*global)
        (*global)->release();
  });
  if (dp && needsData) {
    for (unsigned i = 0; i < signature.args.size(); ++i) {
      if (signature.args[i] != ArgKind::Images &&
          signature.args[i] != ArgKind::Labels &&
          signature.args[i] != ArgKind::Tokens)
        continue;
      SmallVector<int64_t> shape(signature.argTypes[i].getShape());
      shape[0] = dpGlobalBatch;
      std::optional<MemRefDescriptor> buffer =
          MemRefDescriptor::allocate(shape);
      if (!buffer) {
        llvm::errs() << "qopt-run: cannot allocate the global batch\n";
        return 1;
      }
      (signature.args[i] == ArgKind::Images   ? globalImages
       : signature.args[i] == ArgKind::Labels ? globalLabels
                                              : globalTokens) = *buffer;
    }
  }
  for (unsigned k = 0; k < numState && !resumed; ++k) {
    unsigned i = states[k].argument;
    if (failed(initialise(args[i], states[k], k, signature.initAttrs[i], rng)))
      return 1;
  }
  DataFeed feed;
  std::optional<unsigned> tokensArg;
  for (unsigned i = 0; i < signature.args.size(); ++i)
    if (signature.args[i] == ArgKind::Tokens)
      tokensArg = i;
  if (tokensArg) {
    auto text = loadTextCorpus(textCorpus);
    if (!text) {
      llvm::errs() << "qopt-run: " << llvm::toString(text.takeError()) << "\n";
      return 1;
    }
    int64_t length = signature.argTypes[*tokensArg].getDimSize(1);
    if (int64_t(text->size()) < length) {
      llvm::errs() << "qopt-run: the text " << textCorpus << " has "
                   << text->size() << " bytes, fewer than the " << length
                   << " of a window of the tokens argument #" << *tokensArg
                   << "\n";
      return 1;
    }
    feed.text = std::move(*text);
  } else if (needsData) {
    auto load = [&](StringRef images, StringRef labels,
                    int64_t classes) -> llvm::Expected<IdxDataset> {
      auto pick = [&](StringRef name) {
        std::string plain = dataDir + "/" + name.str();
        return llvm::sys::fs::exists(plain) ? plain : plain + ".gz";
      };
      return loadIdxDataset(pick(images), pick(labels), classes);
    };
    // The classes of the labels arguments bound the labels of each set.
    auto dataShape = [](const StepSignature &signature, ArgKind kind) {
      for (unsigned i = 0; i < signature.args.size(); ++i)
        if (signature.args[i] == kind)
          return signature.argTypes[i].getShape();
      return ArrayRef<int64_t>();
    };
    ArrayRef<int64_t> trainImages = dataShape(signature, ArgKind::Images);
    ArrayRef<int64_t> trainLabels = dataShape(signature, ArgKind::Labels);
    auto train = load("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                      trainLabels[1]);
    if (!train) {
      llvm::errs() << "qopt-run: " << llvm::toString(train.takeError()) << "\n";
      return 1;
    }
    ArrayRef<int64_t> evalImages =
        evaluate ? dataShape(evalSignature, ArgKind::Images) : trainImages;
    ArrayRef<int64_t> evalLabels =
        evaluate ? dataShape(evalSignature, ArgKind::Labels) : trainLabels;
    auto test =
        load("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", evalLabels[1]);
    if (!test) {
      llvm::errs() << "qopt-run: " << llvm::toString(test.takeError()) << "\n";
      return 1;
    }
    feed.train = std::move(*train);
    feed.test = std::move(*test);
    // Each batch copies whole images: the model's input and the data set's
    // must have the same number of pixels, in both directions.
    auto checkPixels = [&](StringRef function, ArrayRef<int64_t> shape,
                           const IdxDataset &set,
                           StringRef setName) -> LogicalResult {
      if (shape[1] == set.pixelsPerImage())
        return success();
      llvm::errs() << "qopt-run: the images argument of @" << function
                   << " has " << shape[1] << " pixels per example, the "
                   << setName << " set " << set.pixelsPerImage() << " ("
                   << set.rows << " x " << set.cols << ")\n";
      return failure();
    };
    if (failed(checkPixels("train_step", trainImages, feed.train, "training")))
      return 1;
    if (evaluate) {
      if (failed(checkPixels("evaluate", evalImages, feed.test, "test")))
        return 1;
      int64_t examples = std::min<int64_t>(evalExamples, feed.test.count);
      if (examples < evalImages[0]) {
        llvm::errs() << "qopt-run: @evaluate takes batches of " << evalImages[0]
                     << " examples, but only " << examples
                     << " test examples are evaluated (--eval-examples="
                     << evalExamples << ", " << feed.test.count
                     << " in the test set)\n";
        return 1;
      }
    }
    feed.order.resize(feed.train.count);
    std::iota(feed.order.begin(), feed.order.end(), 0);
    std::shuffle(feed.order.begin(), feed.order.end(), rng);
  }
  if (resumed) {
    auto fail = [&]() -> llvm::raw_ostream & {
      return llvm::errs() << "qopt-run: --resume: " << resumeFile << " ";
    };
    for (unsigned k = 0; k < numState; ++k) {
      MemRefDescriptor &d = args[states[k].argument];
      std::memcpy(d.bytes(), resumed->data[k].data(), d.numBytes());
    }
    std::istringstream rngText(resumed->rng);
    rngText >> rng;
    if (rngText.fail()) {
      fail() << "has a malformed batch-order RNG state\n";
      return 1;
    }
    int64_t examples = needsData ? int64_t(feed.order.size()) : 0;
    if (int64_t(resumed->dataOrder.size()) != examples) {
      fail() << "was written for a data set of " << resumed->dataOrder.size()
             << " examples, this run has " << examples << "\n";
      return 1;
    }
    for (int64_t example : resumed->dataOrder) {
      if (example < 0 || example >= examples) {
        fail() << "has example " << example
               << " in its data order, outside [0, " << examples << ")\n";
        return 1;
      }
    }
    feed.order = resumed->dataOrder;
    feed.cursor = resumed->dataCursor;
  }

  // The qopt.* argument markers have served; LLVM would warn about them.
  module->walk([](func::FuncOp func) {
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      for (StringRef name : {"qopt.init", "qopt.data", "qopt.seed", "qopt.step",
                             "qopt.storage", "qopt.probe"})
        func.removeArgAttr(i, name);
  });
  FunctionType stepType = step.getFunctionType();
  PassManager lower(&context, ModuleOp::getOperationName());
  qopt::LowerToLLVMOptions lowerOptions;
  lowerOptions.numThreads = threads;
  qopt::buildLowerToLLVMPipeline(lower, lowerOptions);
  if (failed(lower.run(*module)))
    return 1;
  ExecutionEngineOptions engineOptions;
  std::function<llvm::Error(llvm::Module *)> transformer =
      makeOptimizingTransformer(3, 0, nullptr);
  engineOptions.transformer = transformer;
  // memrefCopy and friends, which lowered copies between buffers call.
  // qopt_dp_all_gather, which the data-parallel exchange calls, comes
  // from libqopt_dp_runtime.so, which this program links: the JIT resolves
  // it in the process, so the step and the runner share one MPI state.
  SmallVector<StringRef> sharedLibs = {QOPT_C_RUNNER_UTILS};
  // The OpenMP runtime (__kmpc_fork_call, ...) that the parallel loops call.
  if (threads != 1)
    sharedLibs.push_back(QOPT_OPENMP_RUNTIME);
  engineOptions.sharedLibPaths = sharedLibs;
  auto engine = ExecutionEngine::create(*module, engineOptions);
  if (!engine) {
    llvm::errs() << "qopt-run: JIT compilation failed: "
                 << llvm::toString(engine.takeError()) << "\n";
    return 1;
  }

  // Test accuracy with @evaluate over the first --eval-examples examples.
  // Narrow weights are decoded into f32 buffers for the call.
  auto evaluateAccuracy = [&]() -> std::optional<double> {
    std::vector<MemRefDescriptor> evalArgs(evalSignature.args.size());
    std::vector<bool> owned(evalSignature.args.size(), false);
    auto releaseOwned = [&]() {
      for (unsigned i = 0; i < evalArgs.size(); ++i)
        if (owned[i])
          evalArgs[i].release();
    };
    int64_t batch = 0;
    unsigned weight = 0;
    for (unsigned i = 0; i < evalSignature.args.size(); ++i) {
      if (!evalSignature.argTypes[i])
        continue;
      if (evalSignature.args[i] == ArgKind::State) {
        const StateInfo &s = states[weight];
        MemRefDescriptor &stateBuffer = args[s.argument];
        ++weight;
        // Always a copy: a function may write its arguments in place, and
        // @evaluate must not change the state.
        std::optional<MemRefDescriptor> decoded =
            MemRefDescriptor::allocate(s.type.getShape());
        if (!decoded) {
          llvm::errs() << "qopt-run: cannot allocate an f32 copy of " << s.type
                       << " for @evaluate\n";
          releaseOwned();
          return std::nullopt;
        }
        if (!s.layout)
          std::memcpy(decoded->bytes(), stateBuffer.bytes(),
                      stateBuffer.numBytes());
        else
          for (int64_t e = 0; e < s.elements; ++e)
            decoded->data()[e] = loadElement(stateBuffer, s.layout, e);
        evalArgs[i] = *decoded;
      } else {
        std::optional<MemRefDescriptor> buffer =
            MemRefDescriptor::allocate(evalSignature.argTypes[i].getShape());
        if (!buffer) {
          llvm::errs() << "qopt-run: cannot allocate "
                       << evalSignature.argTypes[i] << " for @evaluate\n";
          releaseOwned();
          return std::nullopt;
        }
        evalArgs[i] = *buffer;
        batch = evalSignature.argTypes[i].getDimSize(0);
      }
      owned[i] = true;
    }
    int64_t examples = std::min<int64_t>(evalExamples, feed.test.count);
    double correct = 0;
    int64_t seen = 0;
    for (int64_t start = 0; start + batch <= examples; start += batch) {
      MemRefDescriptor *images = nullptr, *labels = nullptr;
      for (unsigned i = 0; i < evalSignature.args.size(); ++i) {
        if (evalSignature.args[i] == ArgKind::Images)
          images = &evalArgs[i];
        if (evalSignature.args[i] == ArgKind::Labels)
          labels = &evalArgs[i];
      }
      for (int64_t b = 0; b < batch; ++b)
        DataFeed::copyExample(feed.test, start + b, b, *images, *labels);
      std::vector<void *> packed;
      for (MemRefDescriptor &d : evalArgs)
        d.appendArgs(packed);
      float result = 0;
      packed.push_back(&result);
      if (llvm::Error error = (*engine)->invokePacked("evaluate", packed)) {
        llvm::errs() << "qopt-run: @evaluate failed: "
                     << llvm::toString(std::move(error)) << "\n";
        releaseOwned();
        return std::nullopt;
      }
      correct += result;
      seen += batch;
    }
    releaseOwned();
    return correct / double(seen);
  };

  // Checkpoints: the state in its containers, the RNG and the data order.
  int64_t saves = 0;
  auto saveCheckpoint = [&](int64_t iteration) -> LogicalResult {
    Checkpoint checkpoint;
    checkpoint.iteration = iteration;
    checkpoint.seed = seedValue;
    checkpoint.module = llvm::sys::path::filename(inputFile).str();
    checkpoint.options = numericsOptions();
    checkpoint.formats = formats;
    std::ostringstream rngText;
    rngText << rng;
    checkpoint.rng = rngText.str();
    if (needsData) {
      checkpoint.dataOrder = feed.order;
      checkpoint.dataCursor = feed.cursor;
    }
    for (unsigned k = 0; k < numState; ++k) {
      const StateInfo &s = states[k];
      const MemRefDescriptor &d = args[s.argument];
      CheckpointTensor t;
      t.name = s.name(k);
      t.argument = s.argument;
      t.shape = s.shape();
      t.format = s.format;
      t.container = s.container();
      t.rounding = s.rounding;
      t.bytes = d.numBytes();
      checkpoint.tensors.push_back(std::move(t));
      checkpoint.data.emplace_back(d.bytes(), d.numBytes());
    }
    ++saves;
    if (llvm::Error error =
            writeFileAtomically(saveFile, serializeCheckpoint(checkpoint),
                                /*killHalfway=*/saves == testKillDuringSave)) {
      llvm::errs() << "qopt-run: cannot save the checkpoint: "
                   << llvm::toString(std::move(error)) << "\n";
      return failure();
    }
    return success();
  };

  ResultLayout layout = ResultLayout::get(stepType);
  std::vector<uint8_t> resultStorage(layout.size);
  if (csv) {
    csv->os() << "iteration,loss,grad_norm,test_accuracy,master_loss,"
                 "master_grad_norm,weight_grad_gap";
    for (const BudgetComponent &c : probe.budget)
      for (StringRef column :
           {"_rel_max", "_rel_rms", "_unit", "_underflow", "_overflow"})
        csv->os() << ',' << c.shortName << column;
    if (dp)
      csv->os() << ",bytes_sent,f32_bytes";
    csv->os() << '\n';
  }
  // Averages over the probes (the theorems bound an average over t).
  int64_t probes = 0;
  double masterLossSum = 0, masterGradNormSum = 0;
  float masterLoss = NAN, masterGradNorm = NAN;
  // Per budget component: the largest error seen and the totals of the
  // values outside the model.
  std::vector<double> budgetMax(probe.budget.size(), 0.0);
  std::vector<double> budgetUnder(probe.budget.size(), 0.0);
  std::vector<double> budgetOver(probe.budget.size(), 0.0);
  int64_t probeValue = 0;
  int64_t firstIteration = resumed ? resumed->iteration + 1 : 1;
  int64_t stepValue = 0;
  float loss = NAN, gradNorm = NAN;
  double accuracy = NAN;
  auto start = std::chrono::steady_clock::now();
  double lastReport = 0;
  // Data parallel: this rank's exchange counters and time in the step.
  int64_t dpBytes = 0, dpF32Bytes = 0, dpExchanges = 0;
  double dpSeconds = 0, stepSeconds = 0;
  for (int64_t iteration = firstIteration; iteration <= iterations;
       ++iteration) {
    stepValue = iteration;
    bool probeNow =
        !dp && ((iteration - 1) % probeEvery == 0 || iteration == iterations);
    probeValue = probeNow ? 1 : 0;
    MemRefDescriptor *images = nullptr, *labels = nullptr, *tokens = nullptr;
    std::vector<void *> packed;
    for (unsigned i = 0; i < signature.args.size(); ++i) {
      switch (signature.args[i]) {
      case ArgKind::Step:
        packed.push_back(&stepValue);
        continue;
      case ArgKind::Seed:
        packed.push_back(&seedValue);
        continue;
      case ArgKind::Probe:
        packed.push_back(&probeValue);
        continue;
      case ArgKind::Images:
        images = &args[i];
        break;
      case ArgKind::Labels:
        labels = &args[i];
        break;
      case ArgKind::Tokens:
        tokens = &args[i];
        break;
      case ArgKind::State:
        break;
      }
      args[i].appendArgs(packed);
    }
    // Data parallel: the global batch is drawn on every rank and the
    // rank's contiguous block of rows copied to its shard.
    auto copyShard = [&](const MemRefDescriptor &global,
                         MemRefDescriptor &shard) {
      int64_t elements = shard.numElements();
      std::copy_n(global.data() + dpRank * elements, elements, shard.data());
    };
    if (images && labels && dp) {
      feed.nextBatch(*globalImages, *globalLabels, rng);
      copyShard(*globalImages, *images);
      copyShard(*globalLabels, *labels);
    } else if (images && labels) {
      feed.nextBatch(*images, *labels, rng);
    }
    if (tokens && dp) {
      feed.nextTokens(*globalTokens, rng);
      copyShard(*globalTokens, *tokens);
    } else if (tokens) {
      feed.nextTokens(*tokens, rng);
    }
    packed.push_back(resultStorage.data());
    // Fault injection: a rank dies (or hangs) mid-run.
    if (dp && iteration == testKillAtIteration && dpRank == testKillRank)
      ::raise(testStopInstead ? SIGSTOP : SIGKILL);
    auto stepStart = std::chrono::steady_clock::now();
    if (llvm::Error error = (*engine)->invokePacked("train_step", packed)) {
      llvm::errs() << "qopt-run: @train_step failed: "
                   << llvm::toString(std::move(error)) << "\n";
      return 1;
    }
    stepSeconds += std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - stepStart)
                       .count();
    int64_t stepBytes = 0, stepF32Bytes = 0;
#ifdef QOPT_HAVE_MPI
    if (dp) {
      if (qopt_dp_failed()) {
        llvm::errs() << "qopt-run: iteration " << iteration
                     << ": the data-parallel exchange failed: "
                     << qopt_dp_error() << "\n";
        return 1;
      }
      int64_t bytes, f32Bytes;
      qopt_dp_counters(&bytes, &f32Bytes, &dpExchanges, &dpSeconds);
      stepBytes = bytes - dpBytes;
      stepF32Bytes = f32Bytes - dpF32Bytes;
      dpBytes = bytes;
      dpF32Bytes = f32Bytes;
    }
#endif
    // The new state replaces the old.
    std::vector<MemRefDescriptor> fresh(numState);
    for (unsigned k = 0; k < numState; ++k)
      fresh[k] = layout.readMemRef(resultStorage.data(), k);
    if (failed(
            adoptStepResults(args, signature.args, states, std::move(fresh))))
      return 1;
    loss = layout.readScalar(resultStorage.data(), numState);
    gradNorm = layout.readScalar(resultStorage.data(), gradNormIndex);
    if (probeNow) {
      masterLoss = layout.readScalar(resultStorage.data(), probe.masterLoss);
      masterGradNorm =
          layout.readScalar(resultStorage.data(), probe.masterGradNorm);
      masterLossSum += masterLoss;
      masterGradNormSum += masterGradNorm;
      ++probes;
      for (unsigned c = 0; c < probe.budget.size(); ++c) {
        const BudgetComponent &b = probe.budget[c];
        float under = layout.readScalar(resultStorage.data(), b.underflows);
        float over = layout.readScalar(resultStorage.data(), b.overflows);
        budgetMax[c] = std::max<double>(
            budgetMax[c], layout.readScalar(resultStorage.data(), b.relMax));
        // Values outside the relative-error model are reported when they
        // first happen.
        if ((under > 0 && budgetUnder[c] == 0) ||
            (over > 0 && budgetOver[c] == 0))
          llvm::errs() << llvm::format(
              "qopt-run: iteration %lld: %s: %.0f values underflowed to zero, "
              "%.0f overflowed (outside the relative-error model)\n",
              (long long)iteration, b.name.c_str(), under, over);
        budgetUnder[c] += under;
        budgetOver[c] += over;
      }
    }

    bool evalNow = evaluate && needsData && dpRank == 0 &&
                   ((evalEvery > 0 && iteration % evalEvery == 0) ||
                    iteration == iterations);
    if (evalNow) {
      std::optional<double> evaluated = evaluateAccuracy();
      if (!evaluated)
        return 1;
      accuracy = *evaluated;
    }
    if (csv) {
      csv->os() << iteration << ',' << llvm::format("%.9g", loss) << ','
                << llvm::format("%.9g", gradNorm) << ',';
      if (evalNow)
        csv->os() << llvm::format("%.6f", accuracy);
      csv->os() << ',';
      if (probeNow)
        csv->os() << llvm::format("%.9g", masterLoss) << ','
                  << llvm::format("%.9g", masterGradNorm) << ','
                  << llvm::format("%.9g",
                                  probe.gradGap
                                      ? layout.readScalar(resultStorage.data(),
                                                          *probe.gradGap)
                                      : 0.0f);
      else
        csv->os() << ",,";
      for (const BudgetComponent &b : probe.budget) {
        if (!probeNow) {
          csv->os() << ",,,,,";
          continue;
        }
        csv->os()
            << ','
            << llvm::format("%.6g",
                            layout.readScalar(resultStorage.data(), b.relMax))
            << ','
            << llvm::format("%.6g",
                            layout.readScalar(resultStorage.data(), b.relRms))
            << ',' << llvm::format("%.6g", b.unit) << ','
            << llvm::format("%.0f", layout.readScalar(resultStorage.data(),
                                                      b.underflows))
            << ','
            << llvm::format("%.0f", layout.readScalar(resultStorage.data(),
                                                      b.overflows));
      }
      if (dp)
        csv->os() << ',' << stepBytes << ',' << stepF32Bytes;
      csv->os() << '\n';
      if (failed(csv->check()))
        return 1;
      if (!dp && iteration == testKillAtIteration) {
        // Fault injection: the run dies after this row reached the file.
        csv->os().flush();
        ::raise(SIGKILL);
      }
    }
    if (!saveFile.empty() &&
        ((saveEvery > 0 && iteration % saveEvery == 0) ||
         iteration == iterations) &&
        failed(saveCheckpoint(iteration)))
      return 1;
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    if ((progress || elapsed > 10) && elapsed - lastReport >= 5) {
      lastReport = elapsed;
      int64_t done = iteration - firstIteration + 1;
      double eta = elapsed / done * (iterations - iteration);
      llvm::errs() << llvm::format(
          "qopt-run: %s: iteration %lld/%lld, loss %.4g, grad norm %.4g, "
          "%.0f s elapsed, about %.0f s left\n",
          inputFile.c_str(), (long long)iteration, (long long)iterations, loss,
          gradNorm, elapsed, eta);
    }
  }
  // The outputs are complete before the run reports its end.
  if (csv && failed(csv->commit()))
    return 1;
  // The final state, decoded to f32, as raw little-endian float32.
  if (finalState) {
    for (const StateInfo &s : states) {
      const MemRefDescriptor &d = args[s.argument];
      for (int64_t e = 0; e < s.elements; ++e) {
        char word[4];
        llvm::support::endian::write32le(
            word, storageFloatBits(loadElement(d, s.layout, e)));
        finalState->os().write(word, sizeof(word));
      }
    }
    if (failed(finalState->commit()))
      return 1;
  }
  llvm::outs() << llvm::format("final loss %.6g grad_norm %.6g", loss,
                               gradNorm);
  if (!std::isnan(accuracy))
    llvm::outs() << llvm::format(" test_accuracy %.4f", accuracy);
  if (!dp)
    llvm::outs() << llvm::format(" master_loss %.6g master_grad_norm %.6g",
                                 masterLoss, masterGradNorm);
  llvm::outs() << "\n";
#ifdef QOPT_HAVE_MPI
  if (dp) {
    // Every rank's counters, reported by rank 0.
    int64_t gatherBytes, gatherF32, broadcastBytes, broadcastF32;
    qopt_dp_direction_counters(&gatherBytes, &gatherF32, &broadcastBytes,
                               &broadcastF32);
    std::vector<double> mine = {double(dpBytes),     double(dpF32Bytes),
                                double(dpExchanges), dpSeconds,
                                stepSeconds,         double(gatherBytes),
                                double(gatherF32),   double(broadcastBytes),
                                double(broadcastF32)};
    std::vector<double> all(mine.size() * dpSize);
    if (qopt_dp_gather_doubles(mine.data(), int64_t(mine.size()), all.data()) !=
        0) {
      llvm::errs() << "qopt-run: the data-parallel report failed: "
                   << qopt_dp_error() << "\n";
      return 1;
    }
    for (int r = 0; r < dpSize; ++r) {
      const double *c = &all[r * mine.size()];
      llvm::outs() << llvm::format(
          "data-parallel rank %d: sent %.0f bytes in %.0f exchanges (f32: "
          "%.0f bytes), %.3f s exchanging of %.3f s in the step (%.1f%%), "
          "%.1f MB/s\n",
          r, c[0], c[2], c[1], c[3], c[4], c[4] > 0 ? 100 * c[3] / c[4] : 0.0,
          c[3] > 0 ? c[0] / c[3] / 1e6 : 0.0);
      if (dataParallel == "master-worker")
        llvm::outs() << llvm::format(
            "data-parallel rank %d: to rank 0 %.0f bytes (f32: %.0f), from "
            "rank 0 to the workers %.0f bytes (f32: %.0f)\n",
            r, c[5], c[6], c[7], c[8]);
    }
    llvm::outs().flush();
    qopt_dp_finalize();
  }
#endif
  for (unsigned c = 0; c < probe.budget.size(); ++c)
    llvm::outs() << llvm::format(
        "error budget %s: max relative error %.4g (2^-M = %.4g), "
        "underflows %.0f, overflows %.0f\n",
        probe.budget[c].name.c_str(), budgetMax[c], probe.budget[c].unit,
        budgetUnder[c], budgetOver[c]);
  if (probes > 0)
    llvm::outs() << llvm::format(
        "average over %lld probes: master_loss %.6g master_grad_norm %.6g\n",
        (long long)probes, masterLossSum / double(probes),
        masterGradNormSum / double(probes));
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  int result = runMain(argc, argv);
  // A failed write of the standard output (a full disk, a closed pipe) is
  // an error of the run, not an abort in the stream's destructor.
  llvm::outs().flush();
  if (llvm::outs().has_error()) {
    llvm::errs() << "qopt-run: cannot write the standard output: "
                 << llvm::outs().error().message() << "\n";
    llvm::outs().clear_error();
    return 1;
  }
  return result;
}
