//===- QOptDataParallel.cpp - qopt's MPI runtime for data parallelism -----===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// See QOptDataParallel.h. The exchange is a non-blocking MPI_Iallgather of
// bytes polled with MPI_Test until it completes, an MPI call fails
// (MPI_ERRORS_RETURN) or the timeout passes: a rank that dies or stops
// making progress turns into an error on the others instead of a hang.
//
//===----------------------------------------------------------------------===//

#include "QOptDataParallel.h"

#include <mpi.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#define QOPT_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

struct State {
  bool initialised = false;
  bool failed = false;
  std::string error;
  int rank = 0;
  int size = 1;
  double timeout = 300;
  int64_t bytesSent = 0;
  int64_t f32Bytes = 0;
  int64_t exchanges = 0;
  double seconds = 0;
  // The master/worker share of bytesSent / f32Bytes.
  int64_t gatherBytes = 0, gatherF32Bytes = 0;
  int64_t broadcastBytes = 0, broadcastF32Bytes = 0;
};

State &state() {
  static State s;
  return s;
}

void fail(const std::string &message) {
  State &s = state();
  if (s.failed)
    return;
  s.failed = true;
  s.error = "rank " + std::to_string(s.rank) + ": " + message;
  std::fprintf(stderr, "qopt-dp: %s\n", s.error.c_str());
  std::fflush(stderr);
}

std::string mpiError(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
    return "MPI error " + std::to_string(code);
  return std::string(text, length);
}

double defaultTimeout() {
  if (const char *env = std::getenv("QOPT_DP_TIMEOUT")) {
    char *end = nullptr;
    double value = std::strtod(env, &end);
    if (end != env && *end == '\0' && value > 0)
      return value;
    std::fprintf(stderr,
                 "qopt-dp: ignoring QOPT_DP_TIMEOUT=%s (not a positive "
                 "number of seconds)\n",
                 env);
  }
  return 300;
}

/// Waits for the collective `start` begins, with the timeout; false (and
/// the state failed) on an error.
template <typename Start> bool complete(Start start) {
  State &s = state();
  MPI_Request request;
  auto begin = std::chrono::steady_clock::now();
  int code = start(&request);
  int done = 0;
  while (code == MPI_SUCCESS) {
    code = MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (code != MPI_SUCCESS || done)
      break;
    double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin)
            .count();
    if (waited > s.timeout) {
      fail("the exchange did not complete within " +
           std::to_string(int64_t(s.timeout)) +
           " s (a rank died or stopped; QOPT_DP_TIMEOUT / --dp-timeout)");
      return false;
    }
    // Ranks may outnumber the cores: give the others the CPU.
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  if (code != MPI_SUCCESS) {
    fail("the exchange failed: " + mpiError(code));
    return false;
  }
  return true;
}

/// All-gathers `bytes` bytes per rank with the timeout.
bool gather(const void *send, void *recv, int64_t bytes) {
  return complete([&](MPI_Request *request) {
    return MPI_Iallgather(send, int(bytes), MPI_BYTE, recv, int(bytes),
                          MPI_BYTE, MPI_COMM_WORLD, request);
  });
}

/// The checks every exchange entry point makes first: MPI initialised (a
/// host that does not know the runtime, such as mlir-runner, gets it
/// initialised here and ended at exit), the compiled rank count and the
/// size. False when the exchange must not run (the state failed); `recv`
/// (`recvBytes`) is then zero-filled.
bool prepare(char *recv, int64_t bytes, int64_t ranks, int64_t recvBytes) {
  State &s = state();
  if (!s.initialised) {
    if (qopt_dp_init(nullptr, nullptr, 0) != 0)
      return false;
    std::atexit(qopt_dp_finalize);
  }
  // The compiled code sized the receive buffer for `ranks` ranks.
  if (ranks != s.size)
    fail("the step was compiled for " + std::to_string(ranks) +
         " ranks, but the run has " + std::to_string(s.size) + " (mpirun -np " +
         std::to_string(ranks) + ")");
  if (bytes < 0 || bytes > INT_MAX)
    fail("an exchange of " + std::to_string(bytes) +
         " bytes per rank is outside MPI's int count");
  if (s.failed) {
    if (recvBytes > 0)
      std::memset(recv, 0, size_t(recvBytes));
    return false;
  }
  return true;
}

/// Adds one exchange that took since `start` to the counters.
void count(std::chrono::steady_clock::time_point start, int64_t sent,
           int64_t f32Sent) {
  State &s = state();
  s.seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  s.bytesSent += sent;
  s.f32Bytes += f32Sent;
  ++s.exchanges;
}

} // namespace

QOPT_EXPORT int qopt_dp_init(int *argc, char ***argv, double timeoutSeconds) {
  State &s = state();
  if (s.initialised)
    return s.failed ? 1 : 0;
  s.initialised = true;
  s.timeout = timeoutSeconds > 0 ? timeoutSeconds : defaultTimeout();
  int already = 0;
  MPI_Initialized(&already);
  if (!already && MPI_Init(argc, argv) != MPI_SUCCESS) {
    fail("MPI_Init failed");
    return 1;
  }
  // Errors come back as codes, so that a failed peer is reported, not an
  // abort deep inside MPI.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &s.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &s.size);
  return 0;
}

QOPT_EXPORT int qopt_dp_rank(void) { return state().rank; }
QOPT_EXPORT int qopt_dp_size(void) { return state().size; }
QOPT_EXPORT int qopt_dp_failed(void) { return state().failed ? 1 : 0; }
QOPT_EXPORT const char *qopt_dp_error(void) { return state().error.c_str(); }

QOPT_EXPORT void qopt_dp_counters(int64_t *bytesSent, int64_t *f32Bytes,
                                  int64_t *exchanges, double *seconds) {
  const State &s = state();
  *bytesSent = s.bytesSent;
  *f32Bytes = s.f32Bytes;
  *exchanges = s.exchanges;
  *seconds = s.seconds;
}

QOPT_EXPORT void qopt_dp_all_gather(int64_t send, int64_t recv, int64_t bytes,
                                    int64_t elements, int64_t ranks) {
  auto *out = reinterpret_cast<char *>(recv);
  if (!prepare(out, bytes, ranks, bytes * ranks))
    return;
  auto start = std::chrono::steady_clock::now();
  if (!gather(reinterpret_cast<const void *>(send), out, bytes)) {
    std::memset(out, 0, size_t(bytes) * size_t(ranks));
    return;
  }
  count(start, (ranks - 1) * bytes, (ranks - 1) * elements * 4);
}

QOPT_EXPORT void qopt_dp_gather(int64_t send, int64_t recv, int64_t bytes,
                                int64_t elements, int64_t ranks) {
  State &s = state();
  auto *out = reinterpret_cast<char *>(recv);
  if (!prepare(out, bytes, ranks, bytes * ranks))
    return;
  // Only rank 0 receives; the workers' buffer is zeros (their result is
  // +0.0, as qopt.gather_sum specifies).
  if (s.rank != 0)
    std::memset(out, 0, size_t(bytes) * size_t(ranks));
  auto start = std::chrono::steady_clock::now();
  bool done = complete([&](MPI_Request *request) {
    return MPI_Igather(reinterpret_cast<const void *>(send), int(bytes),
                       MPI_BYTE, out, int(bytes), MPI_BYTE, /*root=*/0,
                       MPI_COMM_WORLD, request);
  });
  if (!done) {
    std::memset(out, 0, size_t(bytes) * size_t(ranks));
    return;
  }
  int64_t sent = s.rank == 0 ? 0 : bytes;
  int64_t f32Sent = s.rank == 0 ? 0 : elements * 4;
  count(start, sent, f32Sent);
  s.gatherBytes += sent;
  s.gatherF32Bytes += f32Sent;
}

QOPT_EXPORT void qopt_dp_broadcast(int64_t send, int64_t recv, int64_t bytes,
                                   int64_t elements, int64_t ranks) {
  State &s = state();
  auto *out = reinterpret_cast<char *>(recv);
  if (!prepare(out, bytes, ranks, bytes))
    return;
  if (s.rank == 0 && bytes > 0)
    std::memcpy(out, reinterpret_cast<const void *>(send), size_t(bytes));
  auto start = std::chrono::steady_clock::now();
  bool done = complete([&](MPI_Request *request) {
    return MPI_Ibcast(out, int(bytes), MPI_BYTE, /*root=*/0, MPI_COMM_WORLD,
                      request);
  });
  if (!done) {
    std::memset(out, 0, size_t(bytes));
    return;
  }
  // What rank 0 sends: its payload to each other rank (MPICH's tree or
  // scatter/all-gather algorithms spread the forwarding over the ranks,
  // but the payload each worker receives is the same).
  int64_t sent = s.rank == 0 ? (ranks - 1) * bytes : 0;
  int64_t f32Sent = s.rank == 0 ? (ranks - 1) * elements * 4 : 0;
  count(start, sent, f32Sent);
  s.broadcastBytes += sent;
  s.broadcastF32Bytes += f32Sent;
}

QOPT_EXPORT void qopt_dp_direction_counters(int64_t *gatherBytes,
                                            int64_t *gatherF32Bytes,
                                            int64_t *broadcastBytes,
                                            int64_t *broadcastF32Bytes) {
  const State &s = state();
  *gatherBytes = s.gatherBytes;
  *gatherF32Bytes = s.gatherF32Bytes;
  *broadcastBytes = s.broadcastBytes;
  *broadcastF32Bytes = s.broadcastF32Bytes;
}

QOPT_EXPORT int qopt_dp_gather_doubles(const double *mine, int64_t count,
                                       double *all) {
  State &s = state();
  if (!s.initialised || s.failed)
    return 1;
  return gather(mine, all, count * int64_t(sizeof(double))) ? 0 : 1;
}

QOPT_EXPORT void qopt_dp_finalize(void) {
  State &s = state();
  int already = 0;
  MPI_Finalized(&already);
  if (s.initialised && !s.failed && !already)
    MPI_Finalize();
}
