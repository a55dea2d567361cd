#include "align/learned_pairs.h"

#include <algorithm>
#include <tuple>
#include <unordered_set>

namespace doppel::impl {
namespace {

constexpr double kMinPairCount = 3;          // beads a pair must be seen in (2 let chance pairs in)
constexpr std::size_t kMaxPairsPerWord = 3;  // pairs kept per word, best Dice first
constexpr std::size_t kMaxBeads = 4000;      // beads learned from, spread over the document
constexpr std::size_t kMinWordBytes = 2;     // shorter tokens (punctuation, letters) are not learned
// Salt of the learned-pair feature ids, apart from every encoder's (unit_features.cpp).
constexpr uint64_t kLearnedSalt = 0xC2B2AE3D27D4EB4Full;

// The distinct learnable words of a unit.
std::vector<const std::string*> words_of(const UnitTokens& unit) {
    std::vector<const std::string*> out;
    for (const std::string& t : unit.tokens)
        if (t.size() >= kMinWordBytes) out.push_back(&t);
    std::sort(out.begin(), out.end(), [](const std::string* x, const std::string* y) { return *x < *y; });
    out.erase(std::unique(out.begin(), out.end(), [](const std::string* x, const std::string* y) { return *x == *y; }),
              out.end());
    return out;
}

// The confident 1-1 beads, at most kMaxBeads of them, evenly spread.
std::vector<const Bead*> confident_beads(const std::vector<Bead>& beads, double least_score) {
    std::vector<const Bead*> out;
    for (const Bead& b : beads)
        if (b.a_end - b.a_begin == 1 && b.b_end - b.b_begin == 1 && b.score >= least_score) out.push_back(&b);
    if (out.size() <= kMaxBeads) return out;
    std::vector<const Bead*> spread(kMaxBeads);
    for (std::size_t k = 0; k < kMaxBeads; ++k) spread[k] = out[k * out.size() / kMaxBeads];
    return spread;
}

struct Cooccurrence {
    std::unordered_map<std::string, double> n_a, n_b;
    std::unordered_map<std::string, std::unordered_map<std::string, double>> n_ab;  // word of A -> word of B
};

Cooccurrence count_cooccurrence(const EncodedUnits& enc, const std::vector<const Bead*>& beads) {
    Cooccurrence c;
    for (const Bead* b : beads) {
        const auto wa = words_of(enc.tokens_a[b->a_begin]), wb = words_of(enc.tokens_b[b->b_begin]);
        for (const std::string* x : wa) ++c.n_a[*x];
        for (const std::string* y : wb) ++c.n_b[*y];
        for (const std::string* x : wa) {
            auto& row = c.n_ab[*x];
            for (const std::string* y : wb) ++row[*y];
        }
    }
    return c;
}

}  // namespace

LearnedPairs learn_word_pairs(const EncodedUnits& enc, const std::vector<Bead>& beads, const AlignerOptions& o) {
    const Cooccurrence c = count_cooccurrence(enc, confident_beads(beads, o.learn_score));
    struct Candidate {
        double dice;
        const std::string *x, *y;
    };
    std::vector<Candidate> candidates;
    for (const auto& [x, row] : c.n_ab)
        for (const auto& [y, n] : row) {
            if (n < kMinPairCount) continue;
            const double dice = 2 * n / (c.n_a.at(x) + c.n_b.at(y));
            if (dice >= o.learn_dice) candidates.push_back({dice, &x, &y});
        }
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& p, const Candidate& q) {
        return p.dice != q.dice ? p.dice > q.dice : std::tie(*p.x, *p.y) < std::tie(*q.x, *q.y);
    });
    LearnedPairs out;
    for (const Candidate& p : candidates) {
        auto& ids_a = out.a[*p.x];
        auto& ids_b = out.b[*p.y];
        if (ids_a.size() >= kMaxPairsPerWord || ids_b.size() >= kMaxPairsPerWord) continue;
        const uint64_t id = feature_id("lp:" + *p.x + "\t" + *p.y) ^ kLearnedSalt;
        ids_a.push_back(id);
        ids_b.push_back(id);
        ++out.pairs;
    }
    return out;
}

void add_learned_features(const LearnedPairs& pairs, float weight, EncodedUnits& enc) {
    auto add = [weight](const std::unordered_map<std::string, std::vector<uint64_t>>& ids,
                        const std::vector<UnitTokens>& tokens, std::vector<FeatureVector>& features) {
        for (std::size_t u = 0; u < tokens.size(); ++u)
            for (const std::string* w : words_of(tokens[u])) {
                const auto it = ids.find(*w);
                if (it == ids.end()) continue;
                for (uint64_t id : it->second) features[u].push_back({id, weight});
            }
    };
    add(pairs.a, enc.tokens_a, enc.a);
    add(pairs.b, enc.tokens_b, enc.b);
}

}  // namespace doppel::impl
