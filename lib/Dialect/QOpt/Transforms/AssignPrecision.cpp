//===- AssignPrecision.cpp - the qopt-assign-precision pass ---------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The precision policy: the mantissa bits of every component-tagged
// qopt.quantize follow from the planned number of iterations T and the
// convergence theorems of low-precision Adam (q_G, q_M = O(1/T),
// q_W, q_V = O(1/T^2)) and Muon (q = O(T^-1/2)).
//
//===----------------------------------------------------------------------===//

#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/Storage.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cmath>
#include <map>
#include <tuple>

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_ASSIGNPRECISIONPASS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;
using namespace mlir::qopt;

static constexpr llvm::StringLiteral kIterationsAttr = "qopt.iterations";
static constexpr llvm::StringLiteral kMinExponentBitsAttr =
    "qopt.min_exponent_bits";

/// Largest mantissa a qopt format (and f32 storage) has.
static constexpr int kMaxMantissaBits = 23;

namespace {
enum class Optimizer { adam = 0, muon = 1 };

/// One native format of the `hardware` snap, cheapest first.
struct NativeFormat {
  unsigned expBits;
  unsigned manBits;
  SpecialEncoding encoding;
};

/// The constants c, indexed by optimizer then component.
using ConstantTable = double[2][4];
/// Where each constant came from ("defaults", "calibration file 'F'",
/// "option adam-c-grad"), for the remarks and the report.
using SourceTable = std::string[2][4];

/// What the policy decided for one op, kept for the report.
struct Decision {
  Optimizer optimizer;
  Component component;
  RoundingMode rounding;
  double c;
  std::string source;  // where c came from
  double requiredBits; // log2(1/q)
  int theoryBits;      // before clamping
  FloatFormatAttr format;
  std::optional<int64_t> elements;
};
} // namespace

static constexpr NativeFormat kNativeFormats[] = {
    {5, 2, SpecialEncoding::ieee},  // fp8_e5m2
    {4, 3, SpecialEncoding::fn},    // fp8_e4m3
    {8, 7, SpecialEncoding::ieee},  // bf16
    {5, 10, SpecialEncoding::ieee}, // fp16
    {8, 23, SpecialEncoding::ieee}, // fp32
};

static StringRef optimizerName(Optimizer optimizer) {
  return optimizer == Optimizer::adam ? "adam" : "muon";
}

/// The exponent k of T in the theorem's bound q = O(T^-k).
static double theoremExponent(Optimizer optimizer, Component component) {
  if (optimizer == Optimizer::muon)
    return 0.5;
  return component == Component::weight || component == Component::second_moment
             ? 2.0
             : 1.0;
}

/// The named spelling of `format` (fp16, ...) or e<E>m<M>.
static std::string formatName(FloatFormatAttr format) {
  if (StringRef name = format.getName(); !name.empty())
    return name.str();
  return llvm::formatv("e{0}m{1}", format.getExpBits(), format.getManBits())
      .str();
}

/// The optimizer whose update `op` feeds, or an error on `op`.
static FailureOr<Optimizer> findOptimizer(QuantizeOp op) {
  Component component = *op.getComponent();
  bool adam = false, muon = false;
  auto note = [&](Operation *user) {
    adam |= isa<AdamUpdateOp>(user);
    muon |= isa<MuonUpdateOp>(user);
  };
  switch (component) {
  case Component::weight:
    // Reads the master weight of an update.
    for (OpOperand &use : op.getInput().getUses())
      if (isa<AdamUpdateOp, MuonUpdateOp>(use.getOwner()) &&
          use.getOperandNumber() == 0)
        note(use.getOwner());
    break;
  case Component::grad:
    // Produces the gradient operand of an update.
    for (OpOperand &use : op.getResult().getUses())
      if (isa<AdamUpdateOp, MuonUpdateOp>(use.getOwner()) &&
          use.getOperandNumber() == 1)
        note(use.getOwner());
    break;
  case Component::first_moment:
  case Component::second_moment: {
    // Reads a stored moment: result 1 (m', B') or 2 (v'). Any result of a
    // Muon update tagged second_moment is noted, to be rejected below.
    auto result = dyn_cast<OpResult>(op.getInput());
    if (!result)
      break;
    unsigned index = component == Component::first_moment ? 1 : 2;
    Operation *owner = result.getOwner();
    if (result.getResultNumber() == index ||
        (isa<MuonUpdateOp>(owner) && component == Component::second_moment))
      note(owner);
    break;
  }
  }
  if (component == Component::second_moment && muon && !adam)
    return op.emitOpError("is tagged second_moment but reads a result of "
                          "qopt.muon_update, which has no second moment");
  if (!adam && !muon)
    return op.emitOpError()
           << "is tagged " << stringifyComponent(component)
           << " but feeds no qopt.adam_update or qopt.muon_update in its "
              "function, so no convergence theorem applies";
  if (adam && muon)
    return op.emitOpError() << "is tagged " << stringifyComponent(component)
                            << " and feeds both an Adam and a Muon update; "
                               "their theorems disagree";
  return adam ? Optimizer::adam : Optimizer::muon;
}

/// An integer attribute `name` on `func`, else on `module`.
static IntegerAttr lookupIntAttr(Operation *func, ModuleOp module,
                                 StringRef name) {
  if (auto attr = func->getAttrOfType<IntegerAttr>(name))
    return attr;
  return module->getAttrOfType<IntegerAttr>(name);
}

/// Reads the calibration file into `table`; entries it lacks are left alone.
static LogicalResult readCalibration(ModuleOp module, StringRef path,
                                     ConstantTable &table,
                                     SourceTable &sources) {
  std::string message;
  std::unique_ptr<llvm::MemoryBuffer> file = openInputFile(path, &message);
  if (!file)
    return module.emitError()
           << "cannot open calibration file '" << path << "': " << message;
  llvm::Expected<llvm::json::Value> parsed =
      llvm::json::parse(file->getBuffer());
  if (!parsed)
    return module.emitError() << "malformed calibration file '" << path
                              << "': " << llvm::toString(parsed.takeError());
  const llvm::json::Object *root = parsed->getAsObject();
  if (!root)
    return module.emitError() << "malformed calibration file '" << path
                              << "': expected a JSON object at the top";
  for (const auto &[key, value] : *root) {
    // Keys that start with "_" are notes (qopt-calibrate writes how it
    // measured the constants there).
    if (StringRef(key).starts_with("_"))
      continue;
    Optimizer optimizer;
    if (key == "adam")
      optimizer = Optimizer::adam;
    else if (key == "muon")
      optimizer = Optimizer::muon;
    else
      return module.emitError()
             << "calibration file '" << path << "': unknown optimizer '"
             << key.str() << "' (expected adam or muon)";
    const llvm::json::Object *entries = value.getAsObject();
    if (!entries)
      return module.emitError() << "calibration file '" << path << "': '"
                                << key.str() << "' must be an object";
    for (const auto &[name, constant] : *entries) {
      std::optional<Component> component = symbolizeComponent(name.str());
      if (!component || (optimizer == Optimizer::muon &&
                         *component == Component::second_moment))
        return module.emitError()
               << "calibration file '" << path << "': unknown component '"
               << name.str() << "' for " << key.str();
      std::optional<double> number = constant.getAsNumber();
      if (!number || !std::isfinite(*number))
        return module.emitError()
               << "calibration file '" << path << "': " << key.str() << "."
               << name.str() << " must be a finite number";
      table[static_cast<int>(optimizer)][static_cast<int>(*component)] =
          *number;
      sources[static_cast<int>(optimizer)][static_cast<int>(*component)] =
          ("calibration file '" + path + "'").str();
    }
  }
  return success();
}

/// Bound on |c|: beyond it no T gives a mantissa width in [0, 23].
static constexpr double kMaxConstant = 1000.0;

namespace {
struct AssignPrecisionPass
    : qopt::impl::AssignPrecisionPassBase<AssignPrecisionPass> {
  using Base::Base;

  void runOnOperation() override;

private:
  /// The constants after defaults, calibration file and explicit options.
  LogicalResult resolveConstants(ConstantTable &table);
  /// Where each constant of the table came from.
  SourceTable constantSources;
  /// Chooses the format of `op`; records it in `decision`.
  FloatFormatAttr chooseFormat(QuantizeOp op, int64_t iterations,
                               unsigned minExpBits, const ConstantTable &table,
                               Optimizer optimizer, Decision &decision);
};

/// `--assign-precision`: the same pass under the short flag of the issue
/// tracker and the docs.
struct AssignPrecisionAliasPass : AssignPrecisionPass {
  using AssignPrecisionPass::AssignPrecisionPass;
  StringRef getArgument() const override { return "assign-precision"; }
  std::unique_ptr<Pass> clonePass() const override {
    return std::make_unique<AssignPrecisionAliasPass>(*this);
  }
};
} // namespace

LogicalResult AssignPrecisionPass::resolveConstants(ConstantTable &table) {
  // Defaults (the option defaults), then the file, then explicit options.
  const Pass::Option<double> *options[2][4] = {
      {&adamCWeight, &adamCGrad, &adamCFirstMoment, &adamCSecondMoment},
      {&muonCWeight, &muonCGrad, &muonCFirstMoment, nullptr}};
  for (int o = 0; o < 2; ++o)
    for (int c = 0; c < 4; ++c) {
      table[o][c] = options[o][c] ? options[o][c]->getValue() : 0.0;
      constantSources[o][c] = "the defaults";
    }
  if (!calibrationFile.empty() &&
      failed(readCalibration(getOperation(), calibrationFile, table,
                             constantSources)))
    return failure();
  // An option overrides the file when it differs from its default. Set
  // from C++, every field of the options struct counts as given, so "given"
  // alone would let the defaults hide the file; this way the textual
  // pipeline and C++ behave alike.
  auto isExplicit = [](const Pass::Option<double> &option) {
    const auto &defaultValue = option.getDefault();
    return option.hasValue() && defaultValue.hasValue() &&
           option.getValue() != defaultValue.getValue();
  };
  for (int o = 0; o < 2; ++o)
    for (int c = 0; c < 4; ++c)
      if (options[o][c] && isExplicit(*options[o][c])) {
        table[o][c] = options[o][c]->getValue();
        constantSources[o][c] = "option " + options[o][c]->getArgStr().str();
      }
  // The bits come from ceil(slope * log2 T + c): a NaN, infinite or huge c
  // would make that meaningless (and overflow the conversion to int).
  static const char *const optimizerNames[2] = {"adam", "muon"};
  static const char *const componentNames[4] = {
      "weight", "grad", "first_moment", "second_moment"};
  for (int o = 0; o < 2; ++o)
    for (int c = 0; c < 4; ++c) {
      if (!options[o][c])
        continue;
      double value = table[o][c];
      if (!std::isfinite(value) || std::fabs(value) > kMaxConstant)
        return getOperation().emitError()
               << "qopt-assign-precision: the constant c of "
               << optimizerNames[o] << " " << componentNames[c] << " is "
               << value << "; it must be finite and in ["
               << -int64_t(kMaxConstant) << ", " << int64_t(kMaxConstant)
               << "] (the mantissa bits are "
               << "ceil(slope * log2 T + c), between 0 and 23)";
    }
  return success();
}

FloatFormatAttr AssignPrecisionPass::chooseFormat(
    QuantizeOp op, int64_t iterations, unsigned minExpBits,
    const ConstantTable &table, Optimizer optimizer, Decision &decision) {
  Component component = *op.getComponent();
  RoundingMode rounding = op.getRounding();
  double c = table[static_cast<int>(optimizer)][static_cast<int>(component)];
  double required =
      theoremExponent(optimizer, component) * std::log2(double(iterations)) + c;
  // q = 2^-M (toward zero, stochastic) or 2^-(M+1) (nearest even); the
  // epsilon keeps log2 of exact powers of two from rounding up a bit.
  int bits = static_cast<int>(std::ceil(required - 1e-9));
  if (rounding == RoundingMode::nearest_even)
    bits -= 1;
  decision = {
      optimizer,
      component,
      rounding,
      c,
      constantSources[static_cast<int>(optimizer)][static_cast<int>(component)],
      required,
      bits,
      {},
      {}};
  if (bits > kMaxMantissaBits)
    op.emitWarning() << "the theory asks for " << bits
                     << " mantissa bits for the " << optimizerName(optimizer)
                     << " " << stringifyComponent(component)
                     << " at T = " << iterations
                     << ", more than f32 has; clamped to " << kMaxMantissaBits;
  int manBits = std::clamp(bits, 0, kMaxMantissaBits);

  MLIRContext *ctx = op.getContext();
  if (snap == "none")
    return FloatFormatAttr::get(ctx, 8, manBits, SubnormalPolicy::keep,
                                OverflowPolicy::inf, SpecialEncoding::ieee);
  for (const NativeFormat &native : kNativeFormats)
    if (native.manBits >= static_cast<unsigned>(manBits) &&
        native.expBits >= minExpBits)
      return FloatFormatAttr::get(ctx, native.expBits, native.manBits,
                                  SubnormalPolicy::keep, OverflowPolicy::inf,
                                  native.encoding);
  llvm_unreachable("fp32 satisfies every request");
}

void AssignPrecisionPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (snap != "none" && snap != "hardware") {
    module.emitError() << "qopt-assign-precision: invalid snap '" << snap
                       << "' (expected none or hardware)";
    return signalPassFailure();
  }
  if (iterations < 0) {
    module.emitError() << "qopt-assign-precision: iterations must be "
                          "positive, got "
                       << iterations.getValue();
    return signalPassFailure();
  }
  if (minExponentBits > 8) {
    module.emitError() << "qopt-assign-precision: min-exponent-bits must be "
                          "at most 8 (f32's), got "
                       << minExponentBits.getValue();
    return signalPassFailure();
  }
  ConstantTable table;
  if (failed(resolveConstants(table)))
    return signalPassFailure();

  llvm::json::Array functions;
  bool failedAny = false;
  for (auto func : module.getOps<FunctionOpInterface>()) {
    SmallVector<QuantizeOp> ops;
    func.walk([&](QuantizeOp op) {
      if (op.getComponent())
        ops.push_back(op);
    });
    if (ops.empty())
      continue;

    int64_t planned = iterations;
    if (planned == 0) {
      IntegerAttr attr = lookupIntAttr(func, module, kIterationsAttr);
      if (!attr) {
        func.emitError() << "needs the planned number of iterations: pass "
                            "iterations=<T> or set "
                         << kIterationsAttr << " on the function or module";
        failedAny = true;
        continue;
      }
      planned = attr.getInt();
      if (planned < 1) {
        func.emitError() << kIterationsAttr << " must be at least 1, got "
                         << planned;
        failedAny = true;
        continue;
      }
    }
    unsigned minExpBits = minExponentBits;
    if (minExpBits == 0)
      if (IntegerAttr attr = lookupIntAttr(func, module, kMinExponentBitsAttr))
        minExpBits =
            static_cast<unsigned>(std::clamp<int64_t>(attr.getInt(), 0, 8));

    // Report entries keyed by (optimizer, component, rounding), in order.
    std::map<std::tuple<int, int, int>, std::pair<Decision, int64_t>> groups;
    std::map<std::tuple<int, int, int>, int> opCounts;
    for (QuantizeOp op : ops) {
      FailureOr<Optimizer> optimizer = findOptimizer(op);
      if (failed(optimizer)) {
        failedAny = true;
        continue;
      }
      Decision decision;
      FloatFormatAttr format =
          chooseFormat(op, planned, minExpBits, table, *optimizer, decision);
      decision.format = format;
      op.setFormatAttr(format);
      auto type = cast<RankedTensorType>(op.getType());
      if (type.hasStaticShape())
        decision.elements = type.getNumElements();

      // At the op's location only: attaching the op would print it (and
      // its function, for a block argument's quantize) with every remark,
      // which made remarks dominate compile time on large steps.
      mlir::emitRemark(op.getLoc()) << llvm::formatv(
          "{0} {1}: T = {2}, c = {3}, q <= 2^-{4:F2} ({5:E2}) under {6} -> "
          "{7} mantissa bits -> {8} ({9} container, {10} bytes/element); c "
          "from {11}",
          optimizerName(*optimizer), stringifyComponent(*op.getComponent()),
          planned, decision.c, decision.requiredBits,
          std::exp2(-decision.requiredBits),
          stringifyRoundingMode(op.getRounding()),
          std::clamp(decision.theoryBits, 0, kMaxMantissaBits),
          formatName(format),
          getContainerName(getStorageChoice(format).elementType),
          getStorageChoice(format).bytes, decision.source);

      auto key = std::make_tuple(static_cast<int>(*optimizer),
                                 static_cast<int>(*op.getComponent()),
                                 static_cast<int>(op.getRounding()));
      auto [it, inserted] =
          groups.try_emplace(key, decision, decision.elements.value_or(0));
      if (!inserted) {
        // A dynamic shape anywhere makes the group's byte count unknown.
        if (!decision.elements || !it->second.first.elements)
          it->second.first.elements.reset();
        else
          it->second.second += *decision.elements;
      }
      ++opCounts[key];
    }

    if (reportFile.empty())
      continue;
    llvm::json::Array entries;
    for (auto &[key, group] : groups) {
      const Decision &d = group.first;
      StorageChoice storage = getStorageChoice(d.format);
      // Optimizer state crosses steps; --qopt-narrow-storage stores it in
      // the container. W and G are per-step copies.
      bool stateComponent = d.component == Component::first_moment ||
                            d.component == Component::second_moment;
      llvm::json::Object entry{
          {"optimizer", optimizerName(d.optimizer)},
          {"component", stringifyComponent(d.component)},
          {"rounding", stringifyRoundingMode(d.rounding)},
          {"c", d.c},
          {"c_source", d.source},
          {"required_bits", d.requiredBits},
          {"q", std::exp2(-d.requiredBits)},
          {"theory_mantissa_bits", d.theoryBits},
          {"format", formatName(d.format)},
          {"exp_bits", d.format.getExpBits()},
          {"man_bits", d.format.getManBits()},
          {"container", getContainerName(storage.elementType)},
          {"bytes_per_element", storage.bytes},
          {"optimizer_state", stateComponent},
          {"ops", opCounts[key]},
      };
      if (d.elements) {
        entry["elements"] = group.second;
        entry["stored_bytes"] = group.second * storage.bytes;
        entry["f32_bytes"] = group.second * 4;
      }
      entries.push_back(std::move(entry));
    }
    functions.push_back(llvm::json::Object{
        {"function", func.getName()},
        {"iterations", planned},
        {"components", std::move(entries)},
    });
  }
  if (failedAny)
    return signalPassFailure();
  if (reportFile.empty())
    return;

  llvm::json::Value report = llvm::json::Object{
      {"snap", snap},
      {"functions", std::move(functions)},
  };
  std::string message;
  std::unique_ptr<llvm::ToolOutputFile> out =
      openOutputFile(reportFile, &message);
  if (!out) {
    module.emitError() << "cannot write report file '" << reportFile
                       << "': " << message;
    return signalPassFailure();
  }
  out->os() << llvm::formatv("{0:2}", report) << "\n";
  out->os().flush();
  if (std::error_code error = out->os().error()) {
    // An unchecked stream error would abort the process when the file is
    // closed ("IO failure on output stream").
    out->os().clear_error();
    // A partial report is removed, but never a device (/dev/full) or pipe.
    if (!llvm::sys::fs::is_regular_file(reportFile))
      out->keep();
    module.emitError() << "cannot write report file '" << reportFile
                       << "': " << error.message();
    return signalPassFailure();
  }
  out->keep();
}

void mlir::qopt::registerAssignPrecisionAlias() {
  ::mlir::registerPass([]() -> std::unique_ptr<Pass> {
    return std::make_unique<AssignPrecisionAliasPass>();
  });
}
