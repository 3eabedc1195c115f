//===- TextCorpus.h - a byte-level text corpus ------------------*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The text a `qopt.data = "tokens"` argument reads, one token per byte: a
// file, or a directory whose regular files without an extension (no '.' in
// the name) are concatenated in name order. The directory form takes
// Debian's fortunes (/usr/share/games/fortunes: about 2.5 MB of text beside
// its .dat indexes and .u8 links) as it is installed. Errors name the path.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TOOLS_QOPTRUN_TEXTCORPUS_H
#define QOPT_TOOLS_QOPTRUN_TEXTCORPUS_H

#include "llvm/Support/Error.h"

#include <string>

namespace qoptrun {

/// The bytes of the corpus at `path` (a file or a directory).
llvm::Expected<std::string> loadTextCorpus(const std::string &path);

} // namespace qoptrun

#endif // QOPT_TOOLS_QOPTRUN_TEXTCORPUS_H
