#!/usr/bin/env bash
# The paper's experiments as one command: installs what is missing (gnuplot
# for the plots, the Fashion-MNIST data), builds qopt and runs
# scripts/experiments.py. Arguments are passed on (e.g. --quick).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
qopt_install_missing gnuplot-nox dataset-fashion-mnist
qopt_build
python3 "$QOPT_ROOT/scripts/experiments.py" --build "$QOPT_BUILD" "$@"
