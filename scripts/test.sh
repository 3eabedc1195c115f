#!/usr/bin/env bash
# README command 2: install what is missing, build qopt, run every test
# (lit: dialect, passes, pipelines, execution, plugin, install, the fuzzer
# batches; GoogleTest unit tests of the numerics run from lit as well), then
# the same suite in a second build with AddressSanitizer and
# UndefinedBehaviorSanitizer (build-sanitize/, docs/Faults.md).
# QOPT_SANITIZE_BUILD=/path picks its directory, QOPT_SKIP_SANITIZED=1 skips
# it.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
qopt_install_missing
qopt_build
cmake --build "$QOPT_BUILD" --target check-qopt
if [[ "${QOPT_SKIP_SANITIZED:-0}" != 1 ]]; then
  qopt_check_sanitized
fi
