//===- QOptDataParallel.h - qopt's MPI runtime for data parallelism -*- C
//-*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The C entry points of libqopt_dp_runtime.so: the exchange that the
// lowering of qopt.all_gather_sum calls from compiled code, and the set-up,
// status and counters that a driver (qopt-run) calls. The library wraps MPI
// (MPICH); see docs/DataParallel.md.
//
// Errors never abort inside compiled code: a failed or timed-out exchange
// prints one message on stderr, zero-fills the receive buffer, and makes
// every later exchange a no-op; the driver checks qopt_dp_failed() after
// each step and exits with an error.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_RUNTIME_MPI_QOPTDATAPARALLEL_H
#define QOPT_RUNTIME_MPI_QOPTDATAPARALLEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Initialises MPI (once; later calls only return the status), with
/// MPI_ERRORS_RETURN on MPI_COMM_WORLD, and sets the exchange timeout in
/// seconds (<= 0 keeps the default: $QOPT_DP_TIMEOUT or 300). Returns 0 on
/// success. The exchange initialises MPI itself when nobody did (a
/// singleton run, e.g. under mlir-runner).
int qopt_dp_init(int *argc, char ***argv, double timeoutSeconds);

/// This process's rank and the number of ranks (0 and 1 before init).
int qopt_dp_rank(void);
int qopt_dp_size(void);

/// The exchange of qopt.all_gather_sum: gathers `bytes` bytes at `send`
/// from every rank into `recv` (ranks x bytes, in rank order). `elements`
/// is the number of values the bytes encode (for the f32 comparison of the
/// counters); `ranks` the number of ranks the code was compiled for, which
/// must be the run's.
void qopt_dp_all_gather(int64_t send, int64_t recv, int64_t bytes,
                        int64_t elements, int64_t ranks);

/// The exchange of qopt.gather_sum: gathers `bytes` bytes at `send` from
/// every rank into `recv` (ranks x bytes, in rank order) on rank 0; on the
/// other ranks `recv` is zero-filled. Arguments as qopt_dp_all_gather.
void qopt_dp_gather(int64_t send, int64_t recv, int64_t bytes, int64_t elements,
                    int64_t ranks);

/// The exchange of qopt.broadcast: rank 0's `bytes` bytes at `send` land
/// in `recv` on every rank (rank 0 included). Arguments as
/// qopt_dp_all_gather.
void qopt_dp_broadcast(int64_t send, int64_t recv, int64_t bytes,
                       int64_t elements, int64_t ranks);

/// Non-zero once an exchange failed; the message says why.
int qopt_dp_failed(void);
const char *qopt_dp_error(void);

/// Counters since init, this rank: bytes it sent (an all-gather of P bytes
/// sends (ranks - 1) P from each rank, a gather P from each rank but 0, a
/// broadcast (ranks - 1) P from rank 0), what f32 values would have needed,
/// the number of exchanges and the seconds spent in them (waiting for the
/// other ranks included).
void qopt_dp_counters(int64_t *bytesSent, int64_t *f32Bytes, int64_t *exchanges,
                      double *seconds);

/// The part of the counters of qopt_dp_counters in each direction of the
/// master/worker exchanges: what this rank sent to rank 0 (gathers) and
/// what it sent as rank 0 to the others (broadcasts), with their f32
/// equivalents.
void qopt_dp_direction_counters(int64_t *gatherBytes, int64_t *gatherF32Bytes,
                                int64_t *broadcastBytes,
                                int64_t *broadcastF32Bytes);

/// Gathers `count` doubles from every rank into `all` (ranks x count, in
/// rank order), on every rank. Returns 0 on success.
int qopt_dp_gather_doubles(const double *mine, int64_t count, double *all);

/// Ends MPI after a successful run (collective: every rank calls it).
void qopt_dp_finalize(void);

#ifdef __cplusplus
}
#endif

#endif // QOPT_RUNTIME_MPI_QOPTDATAPARALLEL_H
