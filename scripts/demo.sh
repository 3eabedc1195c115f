#!/usr/bin/env bash
# README command 1: install what is missing, build qopt, run the main job.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
qopt_install_missing
qopt_build
"$QOPT_ROOT/scripts/run-demo.sh" "$QOPT_BUILD"
