#!/usr/bin/env bash
# Sets doppel up (scripts/setup.sh), builds it, and runs the main job on seeds/ with the default
# models, keeping the store in store/ (SQLite + FAISS files):
#   index the seeds; list them (language, paragraphs, other languages); near-duplicate pairs;
#   cross-language versions; an HTML report in store/report.html.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
STORE=${DOPPEL_STORE:-store}
run() {
    echo "== doppel $*" >&2
    build/doppel "$@"
}
run index --store "$STORE" seeds/*.txt
run list --store "$STORE"
run dedup --store "$STORE"
run translations --store "$STORE"
run report --store "$STORE" --html "$STORE/report.html"
