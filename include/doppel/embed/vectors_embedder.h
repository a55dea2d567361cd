// doppel: the "vectors" embedder: aligned word vectors averaged over a text.
//
// Word vectors in fastText's text format (.vec: a "COUNT DIM" line, then "word v1 ... vD" per
// line, most frequent words first) or binary format (.bin, read with libfasttext, which also
// gives vectors of unseen words from subwords). With aligned vectors (fastText's
// wiki.XX.align.vec: 44 languages in one space) texts of different languages become comparable.
//
// A text's vector is the weighted mean of its words' vectors (words normalized and split as
// everywhere in doppel), each weighted by a / (a + p(w)) ("smooth inverse frequency", Arora et
// al. 2017) with p(w) estimated from the word's rank r in the file (Zipf: p = 1 / ((r + 1) ln N)),
// then L2-normalized. Words not in the vocabulary are skipped.
//
// Spec: "vectors:path=FILE,max_words=200000,a=0.001". FILE may hold "{lang}" (replaced by the
// text's language, e.g. "wiki.{lang}.align.vec"), so one file per language is loaded on
// first use. Only the first max_words words of a .vec file are read. A binary cache
// (FILE.dcache: magic "DPWV", format version, max_words, source size and mtime, words, floats)
// is written beside a .vec file on first load and used while it matches, so a 2-million-word
// file is parsed once.
//
// Thread safety: NOT safe for concurrent use (files are loaded lazily).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "doppel/embed/embedder.h"

namespace doppel {

struct VectorsEmbedderOptions {
    std::string path;               // .vec or .bin file; may contain {lang}
    std::size_t max_words = 200000; // vocabulary cap (words beyond are not read)
    float a = 1e-3f;                // smoothing of the frequency weight
    bool cache = true;              // write / read FILE.dcache for .vec files
};

class VectorsEmbedder : public Embedder {
public:
    // Loads nothing yet when path holds {lang}; otherwise loads the file now (throws
    // doppel::Error if it is missing or malformed).
    explicit VectorsEmbedder(VectorsEmbedderOptions options);
    ~VectorsEmbedder() override;
    static VectorsEmbedderOptions parse_spec(const std::string& spec);

    std::size_t dim() const override;
    std::string describe() const override;
    void embed_documents(std::size_t n, const AnalyzedDocument* docs, float* out) override;
    void embed_sentences(std::size_t n, const std::string_view* texts, const std::string* langs,
                         float* out) override;

    // Loads the vectors of `lang` now (the file for it when path holds {lang}) and returns
    // dim(), which is 0 until a file is loaded. Throws doppel::Error when the file is missing
    // or malformed.
    std::size_t load(const std::string& lang);

    // Number of words loaded for a language ("" for a single file).
    std::size_t vocabulary_size(const std::string& lang = "");

private:
    struct Table;
    struct Impl;
    Table& table(const std::string& lang);
    void embed_text(std::string_view text, const std::string& lang, float* acc, float weight);
    VectorsEmbedderOptions options_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace doppel
