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
//
//===----------------------------------------------------------------------===//

#include "IdxDataset.h"
#include "TrainStep.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
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
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
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
static cl::opt<bool> printIR("print-ir", cl::init(false),
                             cl::desc("Print the step after the qopt passes"),
                             cl::cat(runCategory));

namespace {

/// Maps the --quantize list to the pass's component names.
FailureOr<std::string> componentList() {
  if (quantize == "all" || quantize.empty())
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

/// Applies the qopt passes chosen on the command line to the module.
LogicalResult applyQuantizationPasses(ModuleOp module) {
  FailureOr<std::string> components = componentList();
  if (failed(components))
    return failure();
  if (components->empty())
    return success();
  // Anchored on builtin.module, the textual pipeline without a wrapper (a
  // builtin.module(...) wrapper would nest and silently match nothing).
  std::string pipeline = "qopt-insert-quantization{components=" + *components +
                         " rounding=" + rounding + "}";
  if (assignPrecision)
    pipeline +=
        ",qopt-assign-precision{iterations=" + std::to_string(iterations) +
        (assignOptions.empty() ? "" : " " + assignOptions) + "}";
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  if (failed(parsePassPipeline(pipeline, pm, llvm::errs())) ||
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

/// Fills a state tensor from its `qopt.init` attribute.
void initialise(MemRefDescriptor &d, RankedTensorType type, Attribute init,
                std::mt19937 &rng) {
  float *data = d.data();
  int64_t n = d.numElements();
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(init)) {
    auto values = dense.getValues<float>();
    for (int64_t i = 0; i < n; ++i)
      data[i] = dense.isSplat() ? dense.getSplatValue<float>() : values[i];
    return;
  }
  StringRef kind = "zeros";
  if (auto name = dyn_cast_or_null<StringAttr>(init))
    kind = name.getValue();
  if (kind == "glorot") {
    int64_t fanIn = type.getRank() >= 2 ? type.getDimSize(0) : n;
    int64_t fanOut = type.getRank() >= 2 ? type.getDimSize(1) : n;
    float limit = std::sqrt(6.0f / float(fanIn + fanOut));
    std::uniform_real_distribution<float> uniform(-limit, limit);
    for (int64_t i = 0; i < n; ++i)
      data[i] = uniform(rng);
    return;
  }
  float value = kind == "ones" ? 1.0f : 0.0f;
  std::fill(data, data + n, value);
}

struct DataFeed {
  IdxDataset train, test;
  std::vector<int64_t> order;
  int64_t cursor = 0;

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

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  qopt::registerAllQOptPassesAndPipelines();
  cl::HideUnrelatedOptions(runCategory);
  cl::ParseCommandLineOptions(argc, argv,
                              "qopt-run: train through the qopt compiler\n");
  if (iterations < 1) {
    llvm::errs() << "qopt-run: --iterations must be at least 1\n";
    return 1;
  }

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  qopt::registerQOptDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

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
  bool stochastic = rounding == "stochastic" && quantize != "none";
  addSeedAndStepArguments(step, stochastic, stochastic);
  if (failed(addGradientNormResult(step)))
    return 1;
  StepSignature signature, evalSignature;
  if (failed(analyzeStepFunction(step, /*isTrainStep=*/true, signature)) ||
      (evaluate && failed(analyzeStepFunction(evaluate, /*isTrainStep=*/false,
                                              evalSignature))))
    return 1;

  // Hyper-parameter overrides, for sweeps that scale them with T.
  Builder builder(&context);
  module->walk([&](Operation *op) {
    if (auto adam = dyn_cast<AdamUpdateOp>(op)) {
      if (lrOverride > 0)
        adam.setLrAttr(builder.getF32FloatAttr(lrOverride));
      if (beta2Override > 0)
        adam.setBeta2Attr(builder.getF32FloatAttr(beta2Override));
    } else if (auto muon = dyn_cast<MuonUpdateOp>(op)) {
      if (lrOverride > 0)
        muon.setLrAttr(builder.getF32FloatAttr(lrOverride));
    }
  });
  if (failed(applyQuantizationPasses(*module)) || failed(verify(*module)))
    return 1;
  // The formats in force, for the record.
  step.walk([&](QuantizeOp op) {
    if (op.getComponent())
      llvm::outs() << "# " << stringifyComponent(*op.getComponent())
                   << " quantized to " << op.getFormat() << " rounding "
                   << stringifyRoundingMode(op.getRounding()) << "\n";
  });
  if (printIR)
    module->print(llvm::outs());

  // The qopt.* argument markers have served; LLVM would warn about them.
  module->walk([](func::FuncOp func) {
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      for (StringRef name :
           {"qopt.init", "qopt.data", "qopt.seed", "qopt.step"})
        func.removeArgAttr(i, name);
  });
  FunctionType stepType = step.getFunctionType();
  FunctionType evalType = evaluate ? evaluate.getFunctionType() : nullptr;
  PassManager lower(&context, ModuleOp::getOperationName());
  qopt::buildLowerToLLVMPipeline(lower, qopt::LowerToLLVMOptions());
  if (failed(lower.run(*module)))
    return 1;
  ExecutionEngineOptions engineOptions;
  std::function<llvm::Error(llvm::Module *)> transformer =
      makeOptimizingTransformer(3, 0, nullptr);
  engineOptions.transformer = transformer;
  // memrefCopy and friends, which lowered copies between buffers call.
  SmallVector<StringRef> sharedLibs = {QOPT_C_RUNNER_UTILS};
  engineOptions.sharedLibPaths = sharedLibs;
  auto engine = ExecutionEngine::create(*module, engineOptions);
  if (!engine) {
    llvm::errs() << "qopt-run: JIT compilation failed: "
                 << llvm::toString(engine.takeError()) << "\n";
    return 1;
  }

  std::mt19937 rng(static_cast<uint32_t>(seed));
  // State and data buffers.
  std::vector<MemRefDescriptor> args(signature.args.size());
  bool needsData = false;
  for (unsigned i = 0; i < signature.args.size(); ++i) {
    if (!signature.argTypes[i])
      continue;
    args[i] = MemRefDescriptor::allocate(signature.argTypes[i].getShape());
    if (signature.args[i] == ArgKind::State)
      initialise(args[i], signature.argTypes[i], signature.initAttrs[i], rng);
    else
      needsData = true;
  }
  DataFeed feed;
  if (needsData) {
    auto load = [&](StringRef images,
                    StringRef labels) -> llvm::Expected<IdxDataset> {
      auto pick = [&](StringRef name) {
        std::string plain = dataDir + "/" + name.str();
        return llvm::sys::fs::exists(plain) ? plain : plain + ".gz";
      };
      return loadIdxDataset(pick(images), pick(labels));
    };
    auto train = load("train-images-idx3-ubyte", "train-labels-idx1-ubyte");
    if (!train) {
      llvm::errs() << "qopt-run: " << llvm::toString(train.takeError()) << "\n";
      return 1;
    }
    auto test = load("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");
    if (!test) {
      llvm::errs() << "qopt-run: " << llvm::toString(test.takeError()) << "\n";
      return 1;
    }
    feed.train = std::move(*train);
    feed.test = std::move(*test);
    feed.order.resize(feed.train.count);
    std::iota(feed.order.begin(), feed.order.end(), 0);
    std::shuffle(feed.order.begin(), feed.order.end(), rng);
    for (unsigned i = 0; i < signature.args.size(); ++i) {
      if (signature.args[i] == ArgKind::Images &&
          signature.argTypes[i].getDimSize(1) != feed.train.pixelsPerImage()) {
        llvm::errs() << "qopt-run: the images argument has "
                     << signature.argTypes[i].getDimSize(1)
                     << " pixels per example, the data set "
                     << feed.train.pixelsPerImage() << "\n";
        return 1;
      }
    }
  }

  std::unique_ptr<llvm::ToolOutputFile> csv;
  if (!csvFile.empty()) {
    std::error_code error;
    csv = std::make_unique<llvm::ToolOutputFile>(csvFile, error,
                                                 llvm::sys::fs::OF_Text);
    if (error) {
      llvm::errs() << "qopt-run: cannot write " << csvFile << ": "
                   << error.message() << "\n";
      return 1;
    }
    csv->os() << "iteration,loss,grad_norm,test_accuracy\n";
  }

  // Test accuracy with @evaluate over the first --eval-examples examples.
  auto evaluateAccuracy = [&]() -> double {
    std::vector<MemRefDescriptor> evalArgs(evalSignature.args.size());
    int64_t batch = 0;
    unsigned weight = 0;
    for (unsigned i = 0; i < evalSignature.args.size(); ++i) {
      if (evalSignature.args[i] == ArgKind::State) {
        evalArgs[i] = args[signature.stateArgs[weight++]];
      } else if (evalSignature.argTypes[i]) {
        evalArgs[i] =
            MemRefDescriptor::allocate(evalSignature.argTypes[i].getShape());
        batch = evalSignature.argTypes[i].getDimSize(0);
      }
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
        return NAN;
      }
      correct += result;
      seen += batch;
    }
    for (unsigned i = 0; i < evalSignature.args.size(); ++i)
      if (evalSignature.args[i] != ArgKind::State && evalSignature.argTypes[i])
        evalArgs[i].release();
    return seen ? correct / seen : NAN;
  };

  ResultLayout layout = ResultLayout::get(stepType);
  (void)evalType;
  std::vector<uint8_t> resultStorage(layout.size);
  unsigned numState = signature.stateArgs.size();
  unsigned gradNormIndex = stepType.getNumResults() - 1;
  int64_t stepValue = 0, seedValue = seed;
  float loss = NAN, gradNorm = NAN;
  double accuracy = NAN;
  auto start = std::chrono::steady_clock::now();
  double lastReport = 0;
  for (int64_t iteration = 1; iteration <= iterations; ++iteration) {
    stepValue = iteration;
    MemRefDescriptor *images = nullptr, *labels = nullptr;
    std::vector<void *> packed;
    for (unsigned i = 0; i < signature.args.size(); ++i) {
      switch (signature.args[i]) {
      case ArgKind::Step:
        packed.push_back(&stepValue);
        continue;
      case ArgKind::Seed:
        packed.push_back(&seedValue);
        continue;
      case ArgKind::Images:
        images = &args[i];
        break;
      case ArgKind::Labels:
        labels = &args[i];
        break;
      case ArgKind::State:
        break;
      }
      args[i].appendArgs(packed);
    }
    if (images && labels)
      feed.nextBatch(*images, *labels, rng);
    packed.push_back(resultStorage.data());
    if (llvm::Error error = (*engine)->invokePacked("train_step", packed)) {
      llvm::errs() << "qopt-run: @train_step failed: "
                   << llvm::toString(std::move(error)) << "\n";
      return 1;
    }
    // The new state replaces the old; the step returns buffers it owns.
    for (unsigned s = 0; s < numState; ++s) {
      MemRefDescriptor &old = args[signature.stateArgs[s]];
      old.release();
      old = layout.readMemRef(resultStorage.data(), s);
    }
    loss = layout.readScalar(resultStorage.data(), numState);
    gradNorm = layout.readScalar(resultStorage.data(), gradNormIndex);

    bool evalNow = evaluate && needsData &&
                   ((evalEvery > 0 && iteration % evalEvery == 0) ||
                    iteration == iterations);
    if (evalNow)
      accuracy = evaluateAccuracy();
    if (csv) {
      csv->os() << iteration << ',' << llvm::format("%.9g", loss) << ','
                << llvm::format("%.9g", gradNorm) << ',';
      if (evalNow)
        csv->os() << llvm::format("%.6f", accuracy);
      csv->os() << '\n';
    }
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    if ((progress || elapsed > 10) && elapsed - lastReport >= 5) {
      lastReport = elapsed;
      double eta = elapsed / iteration * (iterations - iteration);
      llvm::errs() << llvm::format(
          "qopt-run: %s: iteration %lld/%lld, loss %.4g, grad norm %.4g, "
          "%.0f s elapsed, about %.0f s left\n",
          inputFile.c_str(), (long long)iteration, (long long)iterations, loss,
          gradNorm, elapsed, eta);
    }
  }
  llvm::outs() << llvm::format("final loss %.6g grad_norm %.6g", loss,
                               gradNorm);
  if (!std::isnan(accuracy))
    llvm::outs() << llvm::format(" test_accuracy %.4f", accuracy);
  llvm::outs() << "\n";
  for (unsigned i = 0; i < args.size(); ++i)
    if (signature.argTypes[i])
      args[i].release();
  if (csv)
    csv->keep();
  return 0;
}
