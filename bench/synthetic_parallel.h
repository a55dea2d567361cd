// A deterministic generator of synthetic parallel documents for benchmarking the aligner:
// German-like and French-like random sentences over a made-up vocabulary with a fixed word
// translation map (a third of the words cognates sharing a prefix, the rest unrelated
// strings), shared numbers and names, a French/German length ratio near 1.05, and edits: about
// 2% of the sentences inserted on one side, 2% deleted, 5% of the French translations split in
// two sentences (1-2 beads) and 3% of pairs of German sentences merged into one (2-1 beads).
// No std:: distributions (their output differs between library versions): a SplitMix64 stream.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace doppel::bench {

struct SyntheticPair {
    std::vector<std::string> a, b;  // sentences of each side
    // The true beads as (a_begin, a_end, b_begin, b_end).
    std::vector<std::array<uint32_t, 4>> gold;
};

class SplitMix {
public:
    explicit SplitMix(uint64_t seed) : s_(seed) {}
    uint64_t next() {
        uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }
    bool chance(uint32_t percent) { return below(100) < percent; }

private:
    uint64_t s_;
};

inline std::string random_word(SplitMix& r, int syllables) {
    static const char* kOnsets[] = {"b", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "w", "z",
                                    "sch", "st", "br", "tr", "gr", "ch", "v", "pl", "fr"};
    static const char* kVowels[] = {"a", "e", "i", "o", "u", "ei", "au", "ie", "ou", "é", "è", "ü", "ö"};
    std::string w;
    for (int k = 0; k < syllables; ++k) {
        w += kOnsets[r.below(sizeof kOnsets / sizeof *kOnsets)];
        w += kVowels[r.below(sizeof kVowels / sizeof *kVowels)];
        if (r.chance(40)) w += kOnsets[r.below(sizeof kOnsets / sizeof *kOnsets)];
    }
    return w;
}

inline SyntheticPair make_synthetic_pair(std::size_t n_sentences, uint64_t seed = 20260523) {
    SplitMix r(seed);
    const std::size_t vocab = 20000;
    std::vector<std::string> de(vocab), fr(vocab);
    for (std::size_t k = 0; k < vocab; ++k) {
        de[k] = random_word(r, 1 + static_cast<int>(r.below(3)));
        if (r.chance(33)) {
            std::size_t cut = std::min<std::size_t>(de[k].size(), 4);
            while (cut < de[k].size() && (static_cast<unsigned char>(de[k][cut]) & 0xC0) == 0x80) ++cut;
            fr[k] = de[k].substr(0, cut) + random_word(r, 1);
        }
        else {
            fr[k] = random_word(r, 1 + static_cast<int>(r.below(3)));
        }
    }
    std::vector<std::string> names(500);
    for (auto& n : names) {
        n = random_word(r, 2);
        n[0] = static_cast<char>(n[0] - 'a' + 'A');
    }
    // Zipf-like word choice: frequent words often, rare words seldom.
    auto pick = [&r, vocab]() -> std::size_t {
        const uint32_t a = r.below(static_cast<uint32_t>(vocab)) + 1;
        return static_cast<std::size_t>(r.below(a));
    };
    auto sentence_pair = [&](std::string& s_de, std::string& s_fr) {
        const uint32_t len = 6 + r.below(22);
        s_de.clear();
        s_fr.clear();
        for (uint32_t k = 0; k < len; ++k) {
            std::string wd, wf;
            if (r.chance(6)) {
                wd = wf = std::to_string(r.below(3000));
            } else if (r.chance(5)) {
                wd = wf = names[r.below(static_cast<uint32_t>(names.size()))];
            } else {
                const std::size_t w = pick();
                wd = de[w];
                wf = fr[w];
                if (r.chance(10)) wf += " " + fr[pick()];  // French a little longer
            }
            if (r.chance(4)) wd.clear();  // words lost in translation
            if (!wd.empty()) s_de += (s_de.empty() ? "" : " ") + wd;
            s_fr += (s_fr.empty() ? "" : " ") + wf;
        }
        s_de += " .";
        s_fr += " .";
    };
    SyntheticPair p;
    std::string sd, sf, sd2, sf2;
    while (p.a.size() < n_sentences) {
        const auto ia = static_cast<uint32_t>(p.a.size()), ib = static_cast<uint32_t>(p.b.size());
        const uint32_t roll = r.below(100);
        sentence_pair(sd, sf);
        if (roll < 2) {  // only in A
            p.a.push_back(sd);
            p.gold.push_back({ia, ia + 1, ib, ib});
        } else if (roll < 4) {  // only in B
            p.b.push_back(sf);
            p.gold.push_back({ia, ia, ib, ib + 1});
        } else if (roll < 9) {  // one German sentence, two French
            const auto cut = sf.find(' ', sf.size() / 2);
            if (cut == std::string::npos) {
                p.a.push_back(sd);
                p.b.push_back(sf);
                p.gold.push_back({ia, ia + 1, ib, ib + 1});
                continue;
            }
            p.a.push_back(sd);
            p.b.push_back(sf.substr(0, cut) + " .");
            p.b.push_back(sf.substr(cut + 1));
            p.gold.push_back({ia, ia + 1, ib, ib + 2});
        } else if (roll < 12) {  // two German sentences, one French
            sentence_pair(sd2, sf2);
            p.a.push_back(sd);
            p.a.push_back(sd2);
            p.b.push_back(sf.substr(0, sf.size() - 2) + " , " + sf2);
            p.gold.push_back({ia, ia + 2, ib, ib + 1});
        } else {
            p.a.push_back(sd);
            p.b.push_back(sf);
            p.gold.push_back({ia, ia + 1, ib, ib + 1});
        }
    }
    return p;
}

}  // namespace doppel::bench
