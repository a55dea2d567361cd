// doppel (private): the aligner's second pass (align/aligner.h: "Second pass"): word pairs
// learned from the confident 1-1 beads of the first pass, as hunalign builds its dictionary.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "align/unit_features.h"

namespace doppel::impl {

// Learned word pairs: for each word of A (as the Tokenizer gives it), the feature ids of the
// pairs it belongs to; the same for the words of B. A pair's id is on both sides.
struct LearnedPairs {
    std::unordered_map<std::string, std::vector<uint64_t>> a, b;
    std::size_t pairs = 0;
    bool empty() const { return pairs == 0; }
};

// The word pairs that co-occur in the 1-1 beads scoring at least options.learn_score: a pair
// (x, y) is kept when it is seen in at least kMinPairCount beads and its Dice coefficient,
// 2 n(x, y) / (n(x) + n(y)), is at least options.learn_dice; at most kMaxPairsPerWord pairs per
// word, the best by Dice.
LearnedPairs learn_word_pairs(const EncodedUnits& encoded, const std::vector<Bead>& beads,
                              const AlignerOptions& options);

// Appends every unit's learned-pair features (weight `weight` each) to encoded.a and .b.
void add_learned_features(const LearnedPairs& pairs, float weight, EncodedUnits& encoded);

}  // namespace doppel::impl
