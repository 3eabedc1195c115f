//===- Checkpoint.cpp - qopt-run's self-describing checkpoints ------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Checkpoint.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <unistd.h>

using namespace llvm;
using namespace qoptrun;

static constexpr StringLiteral magic = "qopt-checkpoint ";
static constexpr StringLiteral endOfHeader = "end-header";
static constexpr StringLiteral checksumKey = "checksum.xxh3=";
/// "checksum.xxh3=" + 16 hex digits + "\n".
static constexpr size_t trailerSize = checksumKey.size() + 16 + 1;

/// Header values are single lines.
static std::string oneLine(StringRef value) {
  std::string line = value.str();
  for (char &c : line)
    if (c == '\n' || c == '\r')
      c = '?';
  return line;
}

static std::string tensorKey(size_t index, StringRef field) {
  return ("tensor." + Twine(index) + "." + field).str();
}

std::string qoptrun::serializeCheckpoint(const Checkpoint &checkpoint) {
  std::string out;
  raw_string_ostream os(out);
  os << magic << Checkpoint::version << "\n";
  os << "module=" << oneLine(checkpoint.module) << "\n";
  os << "iteration=" << checkpoint.iteration << "\n";
  os << "seed=" << checkpoint.seed << "\n";
  for (const auto &[name, value] : checkpoint.options)
    os << "option." << name << "=" << oneLine(value) << "\n";
  os << "formats=" << oneLine(checkpoint.formats) << "\n";
  os << "rng.mt19937=" << oneLine(checkpoint.rng) << "\n";
  os << "data.examples=" << checkpoint.dataOrder.size() << "\n";
  os << "data.cursor=" << checkpoint.dataCursor << "\n";
  os << "tensors=" << checkpoint.tensors.size() << "\n";
  uint64_t payload = 8 * checkpoint.dataOrder.size();
  for (size_t k = 0; k < checkpoint.tensors.size(); ++k) {
    const CheckpointTensor &t = checkpoint.tensors[k];
    os << tensorKey(k, "name") << "=" << oneLine(t.name) << "\n";
    os << tensorKey(k, "argument") << "=" << t.argument << "\n";
    os << tensorKey(k, "shape") << "=" << oneLine(t.shape) << "\n";
    os << tensorKey(k, "format") << "=" << oneLine(t.format) << "\n";
    os << tensorKey(k, "container") << "=" << oneLine(t.container) << "\n";
    os << tensorKey(k, "rounding") << "=" << oneLine(t.rounding) << "\n";
    os << tensorKey(k, "bytes") << "=" << checkpoint.data[k].size() << "\n";
    payload += checkpoint.data[k].size();
  }
  os << "payload=" << payload << "\n";
  os << endOfHeader << "\n";
  for (int64_t example : checkpoint.dataOrder) {
    char word[8];
    support::endian::write64le(word, static_cast<uint64_t>(example));
    os.write(word, sizeof(word));
  }
  for (ArrayRef<uint8_t> data : checkpoint.data)
    os.write(reinterpret_cast<const char *>(data.data()), data.size());
  uint64_t checksum = xxh3_64bits(StringRef(out));
  os << checksumKey << format_hex_no_prefix(checksum, 16) << "\n";
  return out;
}

static Error errnoError(const Twine &message) {
  std::error_code code(errno, std::generic_category());
  return createStringError(code, message + ": " + code.message());
}

/// write(2) until done, through interruptions and short writes.
static bool writeAll(int fd, const char *data, size_t size) {
  while (size > 0) {
    ssize_t written = ::write(fd, data, size);
    if (written < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    data += written;
    size -= static_cast<size_t>(written);
  }
  return true;
}

Error qoptrun::writeFileAtomically(StringRef path, StringRef bytes,
                                   bool killHalfway) {
  std::string target = path.str();
  std::string temporary = target + ".tmp";
  int fd =
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return errnoError("cannot create " + temporary);
  size_t size = killHalfway ? bytes.size() / 2 : bytes.size();
  if (!writeAll(fd, bytes.data(), size)) {
    Error error = errnoError("cannot write " + temporary);
    ::close(fd);
    return error;
  }
  if (killHalfway) {
    // Fault injection: the run dies in the middle of a save.
    ::raise(SIGKILL);
  }
  if (::fsync(fd) != 0) {
    Error error = errnoError("cannot fsync " + temporary);
    ::close(fd);
    return error;
  }
  if (::close(fd) != 0)
    return errnoError("cannot close " + temporary);
  if (::rename(temporary.c_str(), target.c_str()) != 0)
    return errnoError("cannot rename " + temporary + " to " + target);
  // The rename is durable once the directory is.
  std::string directory = sys::path::parent_path(target).str();
  if (directory.empty())
    directory = ".";
  int dirFd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd < 0)
    return errnoError("cannot open directory " + directory);
  if (::fsync(dirFd) != 0) {
    Error error = errnoError("cannot fsync directory " + directory);
    ::close(dirFd);
    return error;
  }
  ::close(dirFd);
  return Error::success();
}

namespace {

/// The `key=value` lines between the magic line and `end-header`.
struct Header {
  StringMap<StringRef> fields;
  /// Offset of the payload (just after `end-header\n`); 0 when the header
  /// is incomplete.
  size_t payloadStart = 0;
  /// A malformed line, if any.
  std::string problem;
};

} // namespace

static Header parseHeader(StringRef bytes, size_t start) {
  Header header;
  size_t position = start;
  unsigned lineNumber = 1;
  while (position < bytes.size()) {
    ++lineNumber;
    size_t end = bytes.find('\n', position);
    if (end == StringRef::npos)
      return header;
    StringRef line = bytes.slice(position, end);
    position = end + 1;
    if (line == endOfHeader) {
      header.payloadStart = position;
      return header;
    }
    auto [key, value] = line.split('=');
    if (key.size() == line.size() || key.empty()) {
      header.problem =
          ("header line " + Twine(lineNumber) + " is not key=value").str();
      return header;
    }
    if (!header.fields.try_emplace(key, value).second) {
      header.problem =
          ("header line " + Twine(lineNumber) + " repeats '" + key + "'").str();
      return header;
    }
  }
  return header;
}

/// True when the last bytes are a well-formed checksum line; sets `value`.
static bool readTrailer(StringRef bytes, size_t minimumStart, uint64_t &value) {
  if (bytes.size() < minimumStart + trailerSize)
    return false;
  StringRef trailer = bytes.take_back(trailerSize);
  if (!trailer.starts_with(checksumKey) || !trailer.ends_with("\n"))
    return false;
  StringRef digits = trailer.drop_front(checksumKey.size()).drop_back();
  if (!llvm::all_of(digits, llvm::isHexDigit))
    return false;
  return !digits.getAsInteger(16, value);
}

Expected<Checkpoint>
qoptrun::readCheckpoint(StringRef path, std::unique_ptr<MemoryBuffer> &buffer) {
  auto file = MemoryBuffer::getFile(path, /*IsText=*/false,
                                    /*RequiresNullTerminator=*/false);
  if (!file)
    return createStringError(file.getError(), "cannot read " + path + ": " +
                                                  file.getError().message());
  buffer = std::move(*file);
  StringRef bytes = buffer->getBuffer();
  auto fail = [&](const Twine &message) -> Error {
    return createStringError(inconvertibleErrorCode(), path + ": " + message);
  };

  // Magic and version.
  if (!bytes.starts_with(magic)) {
    if (StringRef(magic).starts_with(bytes))
      return fail("file is truncated: " + Twine(bytes.size()) +
                  " bytes, not even the magic line");
    return fail("bad magic: not a qopt-run checkpoint (it does not start "
                "with '" +
                StringRef(magic).rtrim() + "')");
  }
  size_t firstLineEnd = bytes.find('\n');
  if (firstLineEnd == StringRef::npos)
    return fail("file is truncated: " + Twine(bytes.size()) +
                " bytes, inside the magic line");
  StringRef versionText = bytes.slice(magic.size(), firstLineEnd);
  unsigned version = 0;
  if (versionText.getAsInteger(10, version) || version != Checkpoint::version)
    return fail("unsupported checkpoint version '" + versionText +
                "' (this qopt-run reads version " + Twine(Checkpoint::version) +
                ")");

  // The checksum first, when the file ends with one: nothing else in a
  // corrupted file is to be trusted.
  uint64_t stored = 0;
  bool hasTrailer = readTrailer(bytes, firstLineEnd + 1, stored);
  if (hasTrailer && xxh3_64bits(bytes.drop_back(trailerSize)) != stored)
    return fail("checksum mismatch: file is corrupted");

  Header header = parseHeader(bytes, firstLineEnd + 1);
  if (!header.problem.empty())
    return fail("malformed header: " + header.problem);
  if (!header.payloadStart) {
    if (hasTrailer)
      return fail("malformed header: no end-header line");
    return fail("file is truncated: " + Twine(bytes.size()) +
                " bytes, inside the header");
  }

  auto field = [&](StringRef key, StringRef &value) -> Error {
    auto it = header.fields.find(key);
    if (it == header.fields.end())
      return fail("malformed header: no '" + key + "' field");
    value = it->second;
    return Error::success();
  };
  // A non-negative integer field, at most `limit`.
  auto number = [&](StringRef key, uint64_t limit, uint64_t &value) -> Error {
    StringRef text;
    if (Error error = field(key, text))
      return error;
    if (text.getAsInteger(10, value) || value > limit)
      return fail("malformed header: '" + key + "' is '" + text +
                  "', expected an integer in [0, " + Twine(limit) + "]");
    return Error::success();
  };

  // The size the header announces, before anything else from it.
  uint64_t payload = 0;
  if (Error error = number("payload", bytes.size(), payload)) {
    if (hasTrailer)
      return std::move(error);
    consumeError(std::move(error));
    return fail("file is truncated or corrupted: its header has no valid "
                "payload size");
  }
  uint64_t expected = header.payloadStart + payload + trailerSize;
  if (bytes.size() < expected)
    return fail("file is truncated: " + Twine(bytes.size()) +
                " bytes, its header announces " + Twine(expected));
  if (!hasTrailer)
    return fail("checksum line missing or damaged: file is corrupted");
  if (bytes.size() != expected)
    return fail("malformed file: " + Twine(bytes.size()) +
                " bytes, its header announces " + Twine(expected));

  Checkpoint checkpoint;
  StringRef text;
  uint64_t value = 0;
  const uint64_t maxInt = std::numeric_limits<int64_t>::max();
  if (Error error = field("module", text))
    return std::move(error);
  checkpoint.module = text.str();
  if (Error error = number("iteration", maxInt, value))
    return std::move(error);
  checkpoint.iteration = static_cast<int64_t>(value);
  if (Error error = field("seed", text))
    return std::move(error);
  if (text.getAsInteger(10, checkpoint.seed))
    return fail("malformed header: 'seed' is '" + text + "'");
  for (const auto &entry : header.fields) {
    StringRef key = entry.getKey();
    if (key.consume_front("option."))
      checkpoint.options.emplace_back(key.str(), entry.getValue().str());
  }
  llvm::sort(checkpoint.options);
  if (Error error = field("formats", text))
    return std::move(error);
  checkpoint.formats = text.str();
  if (Error error = field("rng.mt19937", text))
    return std::move(error);
  checkpoint.rng = text.str();

  // Payload: the data order, then the tensors.
  uint64_t examples = 0, tensors = 0;
  if (Error error = number("data.examples", payload / 8, examples))
    return std::move(error);
  if (Error error = number("data.cursor", examples, value))
    return std::move(error);
  checkpoint.dataCursor = static_cast<int64_t>(value);
  // Each tensor takes header lines: the header's size bounds their count.
  if (Error error = number("tensors", header.payloadStart, tensors))
    return std::move(error);
  const uint8_t *data =
      reinterpret_cast<const uint8_t *>(bytes.data()) + header.payloadStart;
  uint64_t used = 8 * examples;
  checkpoint.dataOrder.resize(examples);
  for (uint64_t i = 0; i < examples; ++i)
    checkpoint.dataOrder[i] =
        static_cast<int64_t>(support::endian::read64le(data + 8 * i));
  for (uint64_t k = 0; k < tensors; ++k) {
    CheckpointTensor t;
    if (Error error = field(tensorKey(k, "name"), text))
      return std::move(error);
    t.name = text.str();
    if (Error error = number(tensorKey(k, "argument"), 1u << 20, value))
      return std::move(error);
    t.argument = static_cast<unsigned>(value);
    for (auto [key, member] : {std::make_pair("shape", &t.shape),
                               std::make_pair("format", &t.format),
                               std::make_pair("container", &t.container),
                               std::make_pair("rounding", &t.rounding)}) {
      if (Error error = field(tensorKey(k, key), text))
        return std::move(error);
      *member = text.str();
    }
    if (Error error = number(tensorKey(k, "bytes"), payload - used, t.bytes))
      return std::move(error);
    checkpoint.data.emplace_back(data + used, t.bytes);
    used += t.bytes;
    checkpoint.tensors.push_back(std::move(t));
  }
  if (used != payload)
    return fail("malformed header: payload is " + Twine(payload) +
                " bytes, its parts add up to " + Twine(used));
  return checkpoint;
}
