//===- TextCorpus.cpp - a byte-level text corpus --------------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "TextCorpus.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <vector>

using namespace qoptrun;

static llvm::Error fail(const std::string &path, const llvm::Twine &what) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 path + ": " + what);
}

static llvm::Error append(const std::string &path, std::string &text) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail(path, buffer.getError().message());
  text += (*buffer)->getBuffer();
  return llvm::Error::success();
}

llvm::Expected<std::string> qoptrun::loadTextCorpus(const std::string &path) {
  llvm::sys::fs::file_status status;
  if (std::error_code error = llvm::sys::fs::status(path, status))
    return fail(path, error.message());
  std::string text;
  if (llvm::sys::fs::is_directory(status)) {
    std::vector<std::string> files;
    std::error_code error;
    for (llvm::sys::fs::directory_iterator it(path, error), end;
         it != end && !error; it.increment(error)) {
      llvm::StringRef name = llvm::sys::path::filename(it->path());
      // Links (fortunes' .u8 names) would repeat a file; indexes are binary.
      if (it->type() == llvm::sys::fs::file_type::regular_file &&
          !name.contains('.'))
        files.push_back(it->path());
    }
    if (error)
      return fail(path, error.message());
    std::sort(files.begin(), files.end());
    for (const std::string &file : files)
      if (llvm::Error e = append(file, text))
        return std::move(e);
  } else if (llvm::Error e = append(path, text)) {
    return std::move(e);
  }
  if (text.empty())
    return fail(path, "no text (a directory is read for its regular files "
                      "without an extension)");
  return text;
}
