//===- llvm-poisoning-off.h - no ASan poisoning in LLVM's headers -*- C -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Included first in every file of a sanitized build (QOPT_SANITIZE, see
// CMakeLists.txt). Compiled with AddressSanitizer, LLVM's headers poison the
// unused part of a BumpPtrAllocator slab and unpoison each allocation; the
// uninstrumented libMLIR.so allocates from the same allocators (the
// context's storage uniquer) without unpoisoning, so that its own writes
// read as use-after-poison. qopt's code is compiled as libMLIR was: the
// poisoning calls of the headers do nothing. Every other check of ASan
// stays.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_UTILS_SANITIZERS_LLVM_POISONING_OFF_H
#define QOPT_UTILS_SANITIZERS_LLVM_POISONING_OFF_H

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define __asan_poison_memory_region(addr, size) ((void)(addr), (void)(size))
#define __asan_unpoison_memory_region(addr, size) ((void)(addr), (void)(size))
#endif
#endif

#endif // QOPT_UTILS_SANITIZERS_LLVM_POISONING_OFF_H
