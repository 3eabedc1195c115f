#!/usr/bin/env bash
# Regenerates docs/ from the ODS descriptions (add_mlir_doc targets) and
# copies the pages into the source tree. test/Docs/docs-up-to-date.test fails
# when the committed pages differ from what ODS generates.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
qopt_install_missing
qopt_build --target mlir-doc
mkdir -p "$QOPT_ROOT/docs/generated/Dialects"
cp "$QOPT_BUILD/docs/Dialects/QOptDialect.md" "$QOPT_ROOT/docs/generated/Dialects/"
for page in "$QOPT_BUILD"/docs/QOpt*Passes.md; do
  cp "$page" "$QOPT_ROOT/docs/generated/"
done
echo "qopt: docs written to $QOPT_ROOT/docs/generated"
