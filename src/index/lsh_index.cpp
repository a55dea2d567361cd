#include "doppel/index/lsh_index.h"

#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "doppel/error.h"

namespace doppel {

std::string banding_name(LshParams p) { return std::to_string(p.bands) + "x" + std::to_string(p.rows); }

std::optional<LshParams> parse_banding(std::string_view name) {
    LshParams p;
    const char* end = name.data() + name.size();
    const auto [x, e1] = std::from_chars(name.data(), end, p.bands);
    if (e1 != std::errc() || x == end || *x != 'x') return std::nullopt;
    const auto [at, e2] = std::from_chars(x + 1, end, p.rows);
    if (e2 != std::errc() || at != end || p.bands < 1 || p.rows < 1) return std::nullopt;
    return p;
}

double lsh_candidate_probability(double s, LshParams p) {
    return 1.0 - std::pow(1.0 - std::pow(s, p.rows), p.bands);
}

LshParams choose_lsh_params(double threshold, int perms, double target_recall) {
    DOPPEL_CHECK(kInvalidArgument, threshold > 0 && threshold <= 1, "LSH threshold must be in (0, 1]");
    DOPPEL_CHECK(kInvalidArgument, target_recall > 0 && target_recall < 1, "LSH target recall must be in (0, 1)");
    LshParams best;
    double best_area = 0;
    for (int r = 1; r <= perms; ++r) {
        // The fewest bands that reach the target for this r (more bands only add false candidates).
        int b = 1;
        while (b * r <= perms && lsh_candidate_probability(threshold, {b, r}) < target_recall) ++b;
        if (b * r > perms) continue;
        const LshParams p{b, r};
        constexpr int kSteps = 400;
        double area = 0;
        for (int k = 0; k < kSteps; ++k) area += lsh_candidate_probability(threshold * (k + 0.5) / kSteps, p);
        area *= threshold / kSteps;
        if (best.bands == 0 || area < best_area) {
            best = p;
            best_area = area;
        }
    }
    if (best.bands == 0)
        DOPPEL_THROW(kInvalidArgument, "no LSH banding of " + std::to_string(perms) + " values reaches recall " +
                     std::to_string(target_recall) + " at threshold " + std::to_string(threshold));
    return best;
}

uint64_t lsh_band_key(const uint32_t* sig, LshParams p, int band) {
    return XXH3_64bits_withSeed(sig + static_cast<std::size_t>(band) * p.rows, p.rows * sizeof(uint32_t),
                                static_cast<uint64_t>(band));
}

std::vector<uint64_t> lsh_candidate_pairs(std::size_t n, const uint32_t* sigs, int perms, LshParams p,
                                          const std::vector<bool>* skip) {
    std::vector<uint64_t> pairs;
    std::vector<std::pair<uint64_t, uint32_t>> keys;
    keys.reserve(n);
    for (int band = 0; band < p.bands; ++band) {
        keys.clear();
        for (std::size_t i = 0; i < n; ++i) {
            if (skip && (*skip)[i]) continue;
            keys.emplace_back(lsh_band_key(sigs + i * perms, p, band), static_cast<uint32_t>(i));
        }
        std::sort(keys.begin(), keys.end());
        for (std::size_t s = 0; s < keys.size();) {
            std::size_t e = s + 1;
            while (e < keys.size() && keys[e].first == keys[s].first) ++e;
            for (std::size_t x = s; x < e; ++x)
                for (std::size_t y = x + 1; y < e; ++y)
                    pairs.push_back(static_cast<uint64_t>(keys[x].second) << 32 | keys[y].second);
            s = e;
        }
        // Keep the list short as we go: many bands repeat the same pairs.
        if (pairs.size() > (64u << 20) || band + 1 == p.bands) {
            std::sort(pairs.begin(), pairs.end());
            pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
        }
    }
    return pairs;
}

LshIndex::LshIndex(int perms, LshParams params) : perms_(perms), params_(params), tables_(params.bands) {
    DOPPEL_CHECK(kInvalidArgument, params.bands > 0 && params.rows > 0 && params.bands * params.rows <= perms,
                 "LSH bands * rows must fit in the signature");
}

void LshIndex::add(std::size_t n, const int64_t* ids, const uint32_t* sigs) {
    for (std::size_t i = 0; i < n; ++i) {
        if (sigs_.count(ids[i])) remove(ids[i]);
        const uint32_t* sig = sigs + i * perms_;
        for (int band = 0; band < params_.bands; ++band)
            tables_[band][lsh_band_key(sig, params_, band)].push_back(ids[i]);
        sigs_.emplace(ids[i], std::vector<uint32_t>(sig, sig + perms_));
    }
}

void LshIndex::remove(int64_t id) {
    auto it = sigs_.find(id);
    if (it == sigs_.end()) return;
    for (int band = 0; band < params_.bands; ++band) {
        auto bucket = tables_[band].find(lsh_band_key(it->second.data(), params_, band));
        if (bucket == tables_[band].end()) continue;
        auto& v = bucket->second;
        v.erase(std::remove(v.begin(), v.end(), id), v.end());
        if (v.empty()) tables_[band].erase(bucket);
    }
    sigs_.erase(it);
}

std::vector<int64_t> LshIndex::query(const uint32_t* sig) const {
    std::vector<int64_t> out;
    for (int band = 0; band < params_.bands; ++band) {
        auto bucket = tables_[band].find(lsh_band_key(sig, params_, band));
        if (bucket != tables_[band].end())
            out.insert(out.end(), bucket->second.begin(), bucket->second.end());
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace doppel
