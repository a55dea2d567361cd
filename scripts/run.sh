#!/usr/bin/env bash
# Sets doppel up (scripts/setup.sh), builds it, and runs the main job on seeds/ with the default
# models, keeping the store in store/ (SQLite + FAISS files):
#   index the seeds, list them (language, paragraphs, other languages), and link the versions of
#   one article in other languages (doppel translations).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
STORE=${DOPPEL_STORE:-store}
echo "== doppel index --store $STORE seeds/" >&2
build/doppel index --store "$STORE" seeds/
echo "== doppel list --store $STORE" >&2
build/doppel list --store "$STORE"
echo "== doppel translations --store $STORE" >&2
build/doppel translations --store "$STORE"
