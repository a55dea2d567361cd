// Uses the installed doppel library as an outside program would: normalizes two texts, signs
// their shingles with MinHash, stores a document, and catches a coded error.
#include <doppel/error.h>
#include <doppel/normalize/normalizer.h>
#include <doppel/normalize/segmenter.h>
#include <doppel/sketch/min_hash.h>
#include <doppel/sketch/shingler.h>
#include <doppel/store/store.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: consumer EMPTY_DIR\n");
        return 2;
    }
    doppel::Normalizer normalizer;
    const std::string a = normalizer.normalize_text("Hà Nội, ngày ٢٠٢٤ THÁNG 7 — the Working Group met");
    const std::string b = normalizer.normalize_text("Hà Nội, ngày 2024 tháng 7 — the working group met");
    if (a != b) {
        std::fprintf(stderr, "normalized texts differ: '%s' / '%s'\n", a.c_str(), b.c_str());
        return 1;
    }
    auto shingler = doppel::Shingler::from_spec("word:n=2");
    auto minhash = doppel::MinHash::from_spec("minhash:perms=64,seed=1");
    doppel::Segmenter segmenter;
    std::vector<uint64_t> ha, hb;
    shingler->shingle(a, segmenter, &ha);
    shingler->shingle(b, segmenter, &hb);
    const auto sa = minhash->sign(ha);
    const auto sb = minhash->sign(hb);
    std::printf("estimated jaccard %.2f\n", minhash->estimate(sa.data(), sb.data()));

    doppel::Store store(argv[1]);
    std::printf("store %s holds %zu documents\n", store.dir().c_str(), store.size());
    try {
        doppel::Store missing(std::string(argv[1]) + "/missing", doppel::StoreOptions{false, true});
        return 1;
    } catch (const doppel::Error& e) {
        std::printf("error %s: %s\n", doppel::error_code_name(e.code()), e.what());
        return e.code() == doppel::ErrorCode::kNotFound ? 0 : 1;
    }
}
