// doppel translations --store DIR [--format tsv|jsonl]
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/common.h"
#include "doppel/embed/bridge_embedder.h"
#include "doppel/index/embedding_stage.h"
#include "doppel/index/vector_index.h"
#include "doppel/match/matcher.h"
#include "doppel/store/store.h"

namespace doppel::cli {

Command add_translations_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand("translations", "Link stored documents to their versions in other languages");
    struct Args {
        std::string store;
        std::string format = "tsv";
        std::string mode = "one-to-one";
        MatcherOptions m;
        bool no_same_story = false;
        std::string embedder;
    };
    auto args = std::make_shared<Args>();
    cmd->add_option("--store", args->store, "Store folder")->required();
    cmd->add_option("--format", args->format, "tsv or jsonl")->check(CLI::IsMember({"tsv", "jsonl"}))->capture_default_str();
    cmd->add_option("--mode", args->mode, "one-to-one (per language pair) or one-to-many")
        ->check(CLI::IsMember({"one-to-one", "one-to-many"}))->capture_default_str();
    cmd->add_option("--k", args->m.k, "Candidates per document and target language")->capture_default_str();
    cmd->add_option("--min-similarity", args->m.translation_similarity, "Similarity floor for translation/partial")->capture_default_str();
    cmd->add_option("--min-margin", args->m.translation_margin, "Ratio margin needed for translation/partial")->capture_default_str();
    cmd->add_option("--related", args->m.related_similarity, "Similarity floor for reporting a pair at all")->capture_default_str();
    cmd->add_option("--margin-k", args->m.margin_k, "Competitors averaged in the margin")->capture_default_str();
    cmd->add_option("--anchor-weight", args->m.anchor_weight, "Weight of anchor agreement in the score")->capture_default_str();
    cmd->add_option("--long-score", args->m.long_translation_score, "Score floor for long documents")->capture_default_str();
    cmd->add_flag("--no-same-story", args->no_same_story, "List translation and partial pairs only");
    cmd->add_option("--embedder", args->embedder,
                    "Bridge spec to weigh the stored features with (default: the store's); the vectors are then "
                    "searched in an index rebuilt in memory");
    return {cmd, [args, &g]() -> int {
        args->m.one_to_one = args->mode == "one-to-one";
        args->m.same_story = !args->no_same_story;
        Progress progress("translations", g.quiet);
        Store store(args->store, StoreOptions{false, true});
        auto spec = store.meta("embedder");
        if (!spec || !VectorIndex::exists(store.dir()))
            DOPPEL_THROW("store " + args->store + " has no embeddings (index it with a build that has models/bridge.lex)");
        EmbedderContext ctx{find_models_dir(g)};
        const bool override_spec = !args->embedder.empty() && args->embedder != *spec;
        BridgeEmbedder embedder(BridgeEmbedder::parse_spec(override_spec ? args->embedder : *spec), ctx);
        if (auto lex = store.meta("bridge.lexicon"); lex && *lex != embedder.lexicon().describe() && !g.quiet)
            std::cerr << "doppel translations: warning: store was indexed with " << *lex << ", models have "
                      << embedder.lexicon().describe() << " (re-index for exact results)\n";
        auto t0 = progress.seconds();
        StoredFeatures f = load_features(store);
        auto df = std::make_shared<DocumentFrequencies>(std::move(f.frequencies));
        embedder.set_frequencies(df);
        const std::size_t n = f.seqs.size(), dim = embedder.dim();
        std::vector<MatchDocument> docs(n);
        std::vector<SparseVector> sparse(n);
        std::vector<float> dense(n * dim);
        for (std::size_t i = 0; i < n; ++i) {
            sparse[i] = embedder.weigh(f.counts[i]);
            embedder.densify(sparse[i], dense.data() + i * dim);
            float len = 0;
            for (std::size_t j = 0; j < f.counts[i].size(); ++j)
                if (BridgeEmbedder::kind_of(f.counts[i].ids[j]) == BridgeEmbedder::FeatureKind::kConcept)
                    len += f.counts[i].weights[j];
            docs[i] = {f.seqs[i], f.langs[i], len};
            progress.update(i + 1, n);
        }
        auto t1 = progress.seconds();
        VectorIndex index = VectorIndex::load(store.dir());
        if (override_spec) {
            VectorIndex fresh(dim, index.factory());
            for (std::size_t i = 0; i < n; ++i) fresh.add(docs[i].lang, 1, &docs[i].seq, dense.data() + i * dim);
            index = std::move(fresh);
        }
        auto t2 = progress.seconds();
        Matcher matcher(args->m);
        auto links = matcher.match(index, docs, dense.data(), sparse);
        auto t3 = progress.seconds();
        struct Row {
            std::string a, b;
            TranslationLink l;
        };
        std::vector<Row> rows;
        std::map<int64_t, std::string> ids;
        store.scan([&](const StoredDocument& d) {
            ids[d.seq] = d.id;
            return true;
        }, false);
        for (auto& l : links) {
            std::string a = ids[docs[l.a].seq], b = ids[docs[l.b].seq];
            if (b < a) std::swap(a, b);
            rows.push_back({a, b, l});
        }
        std::sort(rows.begin(), rows.end(), [](const Row& x, const Row& y) { return std::tie(x.a, x.b) < std::tie(y.a, y.b); });
        std::size_t nt = 0, np = 0, ns = 0;
        for (auto& r : rows) {
            nt += r.l.label == LinkLabel::kTranslation;
            np += r.l.label == LinkLabel::kPartial;
            ns += r.l.label == LinkLabel::kSameStory;
            char score[32];
            std::snprintf(score, sizeof score, "%.4f", r.l.score);
            if (args->format == "tsv") {
                std::cout << r.a << '\t' << r.b << '\t' << score << '\t' << to_string(r.l.label) << '\n';
            } else {
                nlohmann::json j = {{"id_a", r.a}, {"id_b", r.b}, {"score", std::stod(score)},
                                    {"label", to_string(r.l.label)}, {"similarity", r.l.similarity},
                                    {"margin", r.l.margin}};
                if (r.l.anchors >= 0) j["anchors"] = r.l.anchors;
                std::cout << j.dump() << '\n';
            }
        }
        std::ostringstream s;
        s.setf(std::ios::fixed);
        s.precision(2);
        s << n << " documents, " << nt << " translation, " << np << " partial, " << ns << " same-story pairs"
          << " (features " << (t1 - t0) << " s, index load " << (t2 - t1) << " s, match " << (t3 - t2) << " s)";
        progress.finish(s.str());
        return kExitOk;
    }};
}

}  // namespace doppel::cli
