#!/usr/bin/env bash
# README command 2: install what is missing, build qopt, run every test
# (lit: dialect, passes, pipelines, execution, plugin, install; GoogleTest
# unit tests of the numerics run from lit as well).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
qopt_install_missing
qopt_build
cmake --build "$QOPT_BUILD" --target check-qopt
