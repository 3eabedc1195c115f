//===- qopt-plugin.cpp - qopt as a plugin of the upstream mlir-opt --------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Load with `mlir-opt --load-dialect-plugin=QOptPlugin.so` for the dialect and
// `--load-pass-plugin=QOptPlugin.so` for the passes and pipelines. Plugin
// passes are registered after the command line is parsed, so name them in
// `--pass-pipeline="builtin.module(convert-qopt-to-linalg)"`.
//
//===----------------------------------------------------------------------===//

#include "qopt/InitQOpt.h"
#include "qopt/Pipelines/GPUPipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"

extern "C" LLVM_ATTRIBUTE_WEAK mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "QOpt", LLVM_VERSION_STRING,
          [](mlir::DialectRegistry *registry) {
            mlir::qopt::registerQOptDialects(*registry);
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "QOptPasses", LLVM_VERSION_STRING,
          []() { mlir::qopt::registerAllQOptPassesAndPipelines(); }};
}
