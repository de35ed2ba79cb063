#!/usr/bin/env bash
# Issue 12's acceptance measurement of the document analysis: generated ID documents of every hard case
# (card backs, open booklets, 35-degree perspective, quarter and arbitrary turns, glare over the MRZ,
# old low-contrast blocky scans, small portraits, every layout, flat renders) through DocumentAnalyzer,
# non-documents, and the shared specimens turned in 10-degree steps (docs/documents.md, "Evaluation";
# results in docs/benchmarks.md).
# usage: bench/run_document_eval.sh [BUILD_DIR] [eval_documents options...]
#   BUILD_DIR: a configured build tree (default build); eval_documents is built there first.
#   e.g. bench/run_document_eval.sh /work/build-doc --per-case 20 --save-failures /tmp/doc-failures
# The table (markdown) goes to stdout, progress to stderr. Seeds are fixed: the same build gives the
# same table. Every failing document is listed with the make_id_document command that writes it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
[ $# -gt 0 ] && shift
nice -n 15 cmake --build "$build" -j"${JOBS:-2}" --target eval_documents >&2
exec nice -n 15 "$build/bin/eval_documents" "$@"
