// Unit tests of the aligner (align/aligner.h) and its encoders, on small constructed documents.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "doppel/align/aligner.h"
#include "doppel/align/anchor_encoder.h"
#include "doppel/align/units.h"
#include "doppel/error.h"

namespace doppel {
namespace {

// German and French sentences that translate each other, sharing names, numbers and cognates.
const std::vector<std::string> kGerman = {
    "Am 9. September 1988 erreichte Michel Piola den Gipfel des Kingspitz .",
    "Die Expedition dauerte 14 Tage und kostete 2500 Franken .",
    "Der Bergführer Hans Müller kam aus Grindelwald .",
    "Im Jahr 1952 begann die Neuvermessung des Mount Everest .",
    "Das Resultat war 8848 Meter , eine Sensation für die Presse .",
    "Die Route führt über den Nordgrat ( 4200 m ) zum Gipfel .",
    "Marcel Kurz publizierte die Karte im Jahr 1930 .",
    "Die Gruppe kehrte am 23. September nach Interlaken zurück .",
};
const std::vector<std::string> kFrench = {
    "Le 9 septembre 1988 , Michel Piola atteignit le sommet du Kingspitz .",
    "L' expédition dura 14 jours et coûta 2500 francs .",
    "Le guide Hans Müller venait de Grindelwald .",
    "En 1952 commença la nouvelle mensuration du Mont Everest .",
    "Le résultat fut de 8848 mètres , une sensation pour la presse .",
    "La route passe par l' arête nord ( 4200 m ) jusqu' au sommet .",
    "Marcel Kurz publia la carte en 1930 .",
    "Le groupe revint à Interlaken le 23 septembre .",
};

AlignSide side(const std::vector<std::string>& units, const std::string& lang) {
    AlignSide s;
    s.lang = lang;
    for (const auto& u : units) s.units.emplace_back(u);
    return s;
}

using Pairs = std::vector<std::pair<std::vector<uint32_t>, std::vector<uint32_t>>>;

Pairs beads_of(const Alignment& al) {
    Pairs out;
    for (const Bead& b : al.beads) {
        std::vector<uint32_t> a, bb;
        for (uint32_t i = b.a_begin; i < b.a_end; ++i) a.push_back(i);
        for (uint32_t j = b.b_begin; j < b.b_end; ++j) bb.push_back(j);
        out.emplace_back(a, bb);
    }
    return out;
}

// Every unit of both sides exactly once, in order; scores in [0, 1].
void expect_well_formed(const Alignment& al, std::size_t na, std::size_t nb) {
    uint32_t ia = 0, ib = 0;
    for (const Bead& b : al.beads) {
        EXPECT_EQ(b.a_begin, ia);
        EXPECT_EQ(b.b_begin, ib);
        EXPECT_TRUE(b.a_end > b.a_begin || b.b_end > b.b_begin);
        ia = b.a_end;
        ib = b.b_end;
        EXPECT_GE(b.score, 0.0f);
        EXPECT_LE(b.score, 1.0f);
        EXPECT_GE(b.similarity, 0.0f);
        EXPECT_LE(b.similarity, 1.0f);
        if (!b.aligned()) {
            EXPECT_EQ(b.score, 0.0f);
        }
    }
    EXPECT_EQ(ia, na);
    EXPECT_EQ(ib, nb);
    for (float v : {al.score, al.coverage_a, al.coverage_b, al.quality, al.document_similarity}) {
        EXPECT_GE(v, 0.0f);
        EXPECT_LE(v, 1.0f);
    }
}

std::unique_ptr<Aligner> lexical() { return Aligner::from_spec(Aligner::kLexicalSpec); }

TEST(Aligner, OneToOne) {
    const auto al = lexical()->align(side(kGerman, "de"), side(kFrench, "fr"));
    expect_well_formed(al, kGerman.size(), kFrench.size());
    ASSERT_EQ(al.beads.size(), kGerman.size());
    for (uint32_t k = 0; k < kGerman.size(); ++k) {
        EXPECT_EQ(al.beads[k].a_begin, k);
        EXPECT_EQ(al.beads[k].b_begin, k);
        EXPECT_EQ(al.beads[k].a_end, k + 1);
        EXPECT_EQ(al.beads[k].b_end, k + 1);
        EXPECT_GT(al.beads[k].score, 0.5f);
    }
    EXPECT_EQ(al.label, PairLabel::kTranslation);
    EXPECT_GT(al.coverage_a, 0.9f);
}

TEST(Aligner, MergesInsertionsAndDeletions) {
    // French: sentence 1 split in two (1-2), sentences 4 and 5 of German joined (2-1), an
    // inserted French sentence, and German sentence 6 deleted.
    std::vector<std::string> fr = {
        kFrench[0],
        "L' expédition dura 14 jours .",
        "Elle coûta 2500 francs .",
        kFrench[2],
        "Ajout : ce paragraphe inédit sur la cuisine valaisanne manque en allemand .",
        kFrench[3],
        "Le résultat fut de 8848 mètres , une sensation pour la presse , et Marcel Kurz publia la carte en 1930 .",
        kFrench[7],
    };
    std::vector<std::string> de = {kGerman[0], kGerman[1], kGerman[2], kGerman[3], kGerman[4], kGerman[6],
                                   "Dieser Satz über das Wetter in Zermatt fehlt im Französischen vollständig .",
                                   kGerman[7]};
    const auto al = lexical()->align(side(de, "de"), side(fr, "fr"));
    expect_well_formed(al, de.size(), fr.size());
    const Pairs want = {{{0}, {0}}, {{1}, {1, 2}}, {{2}, {3}}, {{}, {4}}, {{3}, {5}}, {{4, 5}, {6}}, {{6}, {}}, {{7}, {7}}};
    EXPECT_EQ(beads_of(al), want);
}

TEST(Aligner, EmptySides) {
    const auto aligner = lexical();
    const auto al = aligner->align(side({}, "de"), side(kFrench, "fr"));
    expect_well_formed(al, 0, kFrench.size());
    for (const Bead& b : al.beads) EXPECT_FALSE(b.aligned());
    EXPECT_EQ(al.label, PairLabel::kNone);
    const auto none = aligner->align(side({}, "de"), side({}, "fr"));
    EXPECT_TRUE(none.beads.empty());
}

TEST(Aligner, UnrelatedDocumentsAreNotTranslations) {
    const std::vector<std::string> other = {"Quarterly revenue rose sharply .", "The board met on Tuesday .",
                                            "Shares closed higher in London ."};
    const auto al = lexical()->align(side(kGerman, "de"), side(other, "en"));
    expect_well_formed(al, kGerman.size(), other.size());
    EXPECT_NE(al.label, PairLabel::kTranslation);
    EXPECT_NE(al.label, PairLabel::kPartial);
}

// Many units, so that the coarse-to-fine search has several levels.
std::vector<std::string> numbered(int n, bool french) {
    std::vector<std::string> out;
    for (int k = 0; k < n; ++k) {
        const std::string name = "Name" + std::string(1, static_cast<char>('a' + k % 26)) + std::to_string(k % 7);
        if (french) out.push_back("le rapport " + std::to_string(1000 + k) + " de " + name + " cite " +
                                  std::to_string(k * 37 % 1000) + " mesures .");
        else out.push_back("der Bericht " + std::to_string(1000 + k) + " von " + name + " nennt " +
                           std::to_string(k * 37 % 1000) + " Messungen .");
        if (french && k % 17 == 5) out.push_back("une phrase ajoutée sans équivalent numéro " + std::to_string(k) + " .");
    }
    return out;
}

TEST(Aligner, CoarseToFineFindsTheFullPath) {
    const auto de = numbered(120, false), fr = numbered(120, true);
    AlignerOptions full_o;
    full_o.clean_nulls = 0;  // the search alone (the clean-pair pass is for pairs searched in full)
    full_o.max_full_cells = 1u << 30;
    AlignerOptions coarse_o = full_o;
    coarse_o.max_full_cells = 64;  // forces several levels
    coarse_o.band = 4;
    Aligner full(full_o), coarse(coarse_o);
    for (Aligner* a : {&full, &coarse}) {
        a->add_encoder(1, std::make_unique<AnchorEncoder>());
    }
    const auto al_full = full.align(side(de, "de"), side(fr, "fr"));
    const auto al_coarse = coarse.align(side(de, "de"), side(fr, "fr"));
    EXPECT_EQ(al_full.levels, 1);
    EXPECT_GE(al_coarse.levels, 3);
    expect_well_formed(al_coarse, de.size(), fr.size());
    EXPECT_EQ(beads_of(al_full), beads_of(al_coarse));
    EXPECT_NEAR(al_full.cost, al_coarse.cost, 1e-6);
}

// The second pass (clean pairs, learned word pairs, calibrated member floor) and the merging of
// crossing beads keep a plain 1-1 translation as it is (MergesInsertionsAndDeletions checks
// the clean-pair pass, which its pair gets by default, on 1-2, 2-1, 1-0 and 0-1 beads).
TEST(Aligner, SecondPassAndCrossingKeepGoodAlignments) {
    const auto all = Aligner::from_spec("dp:learn=1,learn_score=0.5,member_rel=0.3,cross=9;1*anchors;1*cognates");
    EXPECT_NE(all->describe().find("learn=1,"), std::string::npos);
    const auto al = all->align(side(kGerman, "de"), side(kFrench, "fr"));
    expect_well_formed(al, kGerman.size(), kFrench.size());
    ASSERT_EQ(al.beads.size(), kGerman.size());
    for (uint32_t k = 0; k < kGerman.size(); ++k) {
        EXPECT_EQ(al.beads[k].a_begin, k);
        EXPECT_EQ(al.beads[k].b_end, k + 1);
    }
    // clean=0 turns the clean-pair pass off: the first pass alone, which must agree here.
    const auto one = Aligner::from_spec("dp:clean=0;1*anchors;1*cognates")->align(side(kGerman, "de"), side(kFrench, "fr"));
    EXPECT_EQ(beads_of(one), beads_of(al));
    EXPECT_THROW(Aligner::from_spec("dp:clean_side=5;1*anchors"), Error);
    EXPECT_THROW(Aligner::from_spec("dp:clean_units=1;1*anchors"), Error);
}

// skip_len: a unit left alone pays skip_cost times its length over skip_len, clamped to
// [skip_short, skip_long]. A cheaper skip keeps the beads and lowers the cost of the 1-0 bead;
// a dear one (1.5 x skip_cost) makes the unit join its neighbour's bead instead.
TEST(Aligner, SkipCostFollowsTheUnitsLength) {
    std::vector<std::string> de = kGerman;
    de.insert(de.begin() + 4, "Zwischentitel ohne jede Entsprechung im anderen Text");
    const std::string lexical = ";1*anchors;1*cognates";
    auto run = [&](const std::string& options) {
        return Aligner::from_spec("dp:clean=0" + options + lexical)->align(side(de, "de"), side(kFrench, "fr"));
    };
    const Alignment plain = run(""), cheap = run(",skip_len=1000,skip_short=0.5"),
                    dear = run(",skip_len=1,skip_long=1.5");
    ASSERT_EQ(plain.beads.size(), kFrench.size() + 1);
    EXPECT_EQ(plain.beads[4].a_begin, 4u);
    EXPECT_FALSE(plain.beads[4].aligned());
    EXPECT_EQ(beads_of(plain), beads_of(cheap));
    EXPECT_NEAR(cheap.cost - plain.cost, -0.5, 1e-6);
    ASSERT_EQ(dear.beads.size(), kFrench.size());
    for (const Bead& b : dear.beads) EXPECT_TRUE(b.aligned());
    const auto spec = Aligner::from_spec("dp:skip_len=60,skip_short=0.8" + lexical);
    EXPECT_EQ(Aligner::from_spec(spec->describe())->options().skip_length, 60.0);
    EXPECT_EQ(Aligner::from_spec(spec->describe())->options().skip_short, 0.8);
}

// skip_bare: a unit that shares no feature with the other document (OCR debris) pays
// skip_bare times the skip cost; cheap enough, it is left alone instead of joining a neighbour.
TEST(Aligner, DebrisIsCheapToLeaveAlone) {
    std::vector<std::string> fr = kFrench;
    fr.insert(fr.begin() + 4, "~ _ ~");
    const std::string lexical = ";1*anchors;1*cognates";
    auto run = [&](const std::string& options) {
        return Aligner::from_spec("dp:clean=0,skip=2" + options + lexical)->align(side(kGerman, "de"), side(fr, "fr"));
    };
    const Alignment plain = run(""), bare = run(",skip_bare=0.1");
    expect_well_formed(bare, kGerman.size(), fr.size());
    ASSERT_EQ(plain.beads.size(), kGerman.size());  // the debris joins a neighbour's bead
    ASSERT_EQ(bare.beads.size(), kGerman.size() + 1);
    EXPECT_EQ(bare.beads[4].b_begin, 4u);
    EXPECT_FALSE(bare.beads[4].aligned());
    EXPECT_LT(bare.cost, plain.cost);
    EXPECT_EQ(Aligner::from_spec("dp:skip_bare=0.3" + lexical)->describe().find("skip_bare=0.3,") == std::string::npos,
              false);
}

// margin: a bead pays for what a neighbour shares with it. Where the French moved a number
// across a sentence boundary, the two 1-1 beads become one 2-2 bead; a plain translation keeps
// its 1-1 beads.
TEST(Aligner, NeighbourMarginMergesMovedBoundaries) {
    std::vector<std::string> de = kGerman, fr = kFrench;
    de.insert(de.begin() + 4, {"Larch und Reinagl kamen am 4. Juli 1956 in Lager 3 an , nach 250 Metern .",
                               "Sie brauchten 6 Stunden bis zum Biwak auf 7123 Metern ."});
    fr.insert(fr.begin() + 4, {"Larch et Reinagl arrivèrent au camp 3 le 4 juillet 1956 .",
                               "Après 250 mètres , il leur fallut 6 heures jusqu' au bivouac à 7123 mètres ."});
    const std::string lexical = ";1*anchors;1*cognates";
    auto run = [&](const std::string& options, const std::vector<std::string>& a, const std::vector<std::string>& b) {
        return Aligner::from_spec("dp:clean=0" + options + lexical)->align(side(a, "de"), side(b, "fr"));
    };
    const Alignment plain = run("", de, fr), margin = run(",margin=4,margin_floor=0", de, fr);
    expect_well_formed(margin, de.size(), fr.size());
    ASSERT_EQ(plain.beads.size(), de.size());
    ASSERT_EQ(margin.beads.size(), de.size() - 1);
    EXPECT_EQ(margin.beads[4].a_end - margin.beads[4].a_begin, 2u);
    EXPECT_EQ(margin.beads[4].b_end - margin.beads[4].b_begin, 2u);
    EXPECT_EQ(beads_of(run(",margin=4,margin_floor=0", kGerman, kFrench)), beads_of(run("", kGerman, kFrench)));
    const auto spec = Aligner::from_spec("dp:margin=0.5,margin_floor=0.2" + lexical);
    EXPECT_EQ(Aligner::from_spec(spec->describe())->options().margin_weight, 0.5);
    EXPECT_EQ(Aligner::from_spec(spec->describe())->options().margin_floor, 0.2);
}

// base: the cost reads each bead's cosine less its sides' chance similarity, so the same
// beads cost more; merge_len: a bead of more than two units pays more for its lengths. Neither
// moves the beads of a plain translation.
TEST(Aligner, ChanceBaselineAndMergedLengthRaiseCosts) {
    std::vector<std::string> fr = kFrench;
    fr[2] += " " + fr[3];  // one French sentence for German 2 and 3: a 2-1 bead
    fr.erase(fr.begin() + 3);
    const std::string lexical = ";1*anchors;1*cognates";
    auto run = [&](const std::string& options) {
        return Aligner::from_spec("dp:clean=0" + options + lexical)->align(side(kGerman, "de"), side(fr, "fr"));
    };
    const Alignment plain = run(""), base = run(",base=1"), merged = run(",merge_len=1");
    expect_well_formed(base, kGerman.size(), fr.size());
    ASSERT_EQ(plain.beads.size(), kGerman.size() - 1);
    EXPECT_EQ(plain.beads[2].a_end - plain.beads[2].a_begin, 2u);
    EXPECT_EQ(beads_of(base), beads_of(plain));
    EXPECT_EQ(beads_of(merged), beads_of(plain));
    EXPECT_GT(base.cost, plain.cost + 0.01);
    EXPECT_GT(merged.cost, plain.cost);
    const auto spec = Aligner::from_spec("dp:base=0.5,merge_len=0.2" + lexical);
    EXPECT_EQ(Aligner::from_spec(spec->describe())->options().baseline_weight, 0.5);
    EXPECT_EQ(Aligner::from_spec(spec->describe())->options().merge_length_weight, 0.2);
}

// bound: a bead ends where both sides end a sentence or both leave it open. German cuts a
// sentence at a colon (and before a lower-case continuation) where French keeps one sentence:
// with the boundary cost the German pieces join one bead instead of a piece left alone; a
// plain translation keeps its 1-1 beads.
TEST(Aligner, BoundariesJoinSentencesCutAtAColon) {
    const std::string lexical = ";1*anchors;1*cognates";
    auto run = [&](const std::string& options, const std::vector<std::string>& a) {
        return Aligner::from_spec("dp:clean=0" + options + lexical)->align(side(a, "de"), side(kFrench, "fr"));
    };
    // Cut at a colon; cut before a lower-case word (the full stop is an abbreviation's).
    for (const std::string& cut : {std::string("Der Bergführer Hans Müller kam aus Grindelwald :"),
                                   std::string("Der Bergführer Hans Müller kam aus Grindelwald bzw .")}) {
        std::vector<std::string> de = kGerman;
        de[2] = cut;
        de.insert(de.begin() + 3, "im Berner Oberland .");
        const Alignment plain = run(",bound=0", de), bound = run(",bound=2", de);
        expect_well_formed(bound, de.size(), kFrench.size());
        const Pairs joined = beads_of(bound);
        ASSERT_EQ(joined.size(), kFrench.size()) << cut;
        EXPECT_EQ(joined[2], (std::pair<std::vector<uint32_t>, std::vector<uint32_t>>{{2, 3}, {2}})) << cut;
        EXPECT_NE(beads_of(plain), joined) << cut;
    }
    EXPECT_EQ(beads_of(run(",bound=2", kGerman)), beads_of(run(",bound=0", kGerman)));
    EXPECT_EQ(Aligner().options().boundary_weight, 0.2);
    const auto spec = Aligner::from_spec("dp:bound=0.7" + lexical);
    EXPECT_EQ(Aligner::from_spec(spec->describe())->options().boundary_weight, 0.7);
    EXPECT_NE(spec->describe().find(",bound=0.7,"), std::string::npos);
}

// absorb: a unit the search left alone joins a neighbouring bead when it shares evidence with
// the bead's other side (its own cosine >= absorb) and the bead's cosine does not fall by more
// than absorb_fall; debris that shares nothing stays alone, and so does the unit when the bead
// must gain more than it can. Only clean pairs (the second pass) are changed.
TEST(Aligner, LoneUnitsWithEvidenceJoinTheirNeighbour) {
    std::vector<std::string> de = kGerman;
    de.insert(de.begin() + 3, "Hans Müller aus Grindelwald");  // the German repeats the guide's name
    std::vector<std::string> fr = kFrench;
    fr.insert(fr.begin() + 6, "~ _ ~");
    const std::string lexical = ";1*anchors;1*cognates";
    auto run = [&](const std::string& options) {
        return Aligner::from_spec("dp:skip=0.2,clean_skip=0.2" + options + lexical)->align(side(de, "de"), side(fr, "fr"));
    };
    using Bead2 = std::pair<std::vector<uint32_t>, std::vector<uint32_t>>;
    const Pairs plain = beads_of(run(",absorb=0")), absorbed = beads_of(run(""));  // the default absorbs
    ASSERT_EQ(plain.size(), kGerman.size() + 2);
    EXPECT_EQ(plain[3], (Bead2{{3}, {}}));
    const Alignment al = run(",absorb=0.03,absorb_fall=0");
    expect_well_formed(al, de.size(), fr.size());
    ASSERT_EQ(absorbed.size(), kGerman.size() + 1);
    EXPECT_EQ(absorbed[2], (Bead2{{2, 3}, {2}}));
    EXPECT_EQ(absorbed[6], (Bead2{{}, {6}}));  // debris: no evidence, left alone
    EXPECT_EQ(beads_of(run(",absorb=0.03,absorb_fall=-1")), plain);  // the cosine cannot rise by 1
    EXPECT_EQ(beads_of(run(",absorb=1")), plain);  // no unit's own cosine reaches 1 here
    EXPECT_EQ(beads_of(run(",absorb=0.03,clean=0")), beads_of(run(",absorb=0,clean=0")));  // not a clean pair
    EXPECT_EQ(Aligner().options().absorb_floor, 0.03);  // on by default (chosen on Text+Berg's dev)
    const auto spec = Aligner::from_spec("dp:absorb=0.05,absorb_fall=0.1" + lexical);
    EXPECT_EQ(Aligner::from_spec(spec->describe())->options().absorb_floor, 0.05);
    EXPECT_EQ(Aligner::from_spec(spec->describe())->options().absorb_fall, 0.1);
    EXPECT_NE(spec->describe().find(",absorb=0.05,absorb_fall=0.1,"), std::string::npos);
}

// shed: a scrap the search glued to a bead leaves it when the unit beside it, outside the bead,
// is a lone unit of its side (a caption the German lacks) and the scrap shares nothing with the
// bead's other side; a scrap with evidence (a number the bead has) stays, and so does one whose
// neighbours are aligned. Only clean pairs (the second pass) are changed.
TEST(Aligner, StrayUnitsBesideALoneUnitLeaveTheBead) {
    const std::string caption =
        "Ceci est une longue légende de photographie sans aucun rapport avec le texte allemand , qui décrit un "
        "paysage de neige et de glace .";
    auto french = [&](std::vector<std::string> inserted) {
        std::vector<std::string> fr = kFrench;
        fr.insert(fr.begin() + 4, inserted.begin(), inserted.end());
        return fr;
    };
    const std::string lexical = ";1*anchors;1*cognates";
    auto run = [&](const std::vector<std::string>& fr, const std::string& options) {
        const auto aligner = Aligner::from_spec("dp:absorb=0.03" + options + lexical);
        return aligner->align(side(kGerman, "de"), side(fr, "fr"));
    };
    using Bead2 = std::pair<std::vector<uint32_t>, std::vector<uint32_t>>;
    const std::vector<std::string> scrap = french({caption, "~ _ ~"});
    const Pairs plain = beads_of(run(scrap, ",shed=0"));
    ASSERT_EQ(plain.size(), kGerman.size() + 1);
    EXPECT_EQ(plain[4], (Bead2{{}, {4}}));
    EXPECT_EQ(plain[5], (Bead2{{4}, {5, 6}}));  // the search glued the scrap to the next bead
    const Alignment al = run(scrap, "");        // the default sheds
    expect_well_formed(al, kGerman.size(), scrap.size());
    const Pairs shed = beads_of(al);
    ASSERT_EQ(shed.size(), kGerman.size() + 2);
    EXPECT_EQ(shed[5], (Bead2{{}, {5}}));
    EXPECT_EQ(shed[6], (Bead2{{4}, {6}}));
    EXPECT_EQ(beads_of(run(scrap, ",shed=0.03,clean=0")), beads_of(run(scrap, ",shed=0,clean=0")));  // unclean
    const std::vector<std::string> number = french({caption, "8848 :"});  // shares the bead's number
    EXPECT_EQ(beads_of(run(number, "")), beads_of(run(number, ",shed=0")));
    const std::vector<std::string> inside = french({"~ _ ~"});  // no lone unit beside it
    EXPECT_EQ(beads_of(run(inside, "")), beads_of(run(inside, ",shed=0")));
    EXPECT_EQ(beads_of(run(inside, ""))[4], (Bead2{{4}, {4, 5}}));
    EXPECT_EQ(Aligner().options().shed_floor, 0.03);  // on by default (chosen on Text+Berg's dev)
    const auto spec = Aligner::from_spec("dp:shed=0.05" + lexical);
    EXPECT_EQ(Aligner::from_spec(spec->describe())->options().shed_floor, 0.05);
    EXPECT_NE(spec->describe().find(",absorb_fall=0,shed=0.05;"), std::string::npos);
}

TEST(Aligner, SpecRoundTrip) {
    const auto a = Aligner::from_spec(
        "dp:skip=0.8,max_side=2,band=5,clean=0.2,clean_skip=1.4,learn=0.5,cross=7,member_rel=0.3;1*anchors:num=2;"
        "0.5*cognates:prefix=5");
    EXPECT_EQ(a->options().skip_cost, 0.8);
    EXPECT_EQ(a->options().max_side, 2);
    const auto b = Aligner::from_spec(a->describe());
    EXPECT_EQ(a->describe(), b->describe());
    EXPECT_NE(a->describe().find("0.5*cognates:prefix=5"), std::string::npos);
    EXPECT_NE(a->describe().find("clean=0.2,clean_skip=1.4,"), std::string::npos);
    EXPECT_NE(a->describe().find("learn=0.5,"), std::string::npos);
    EXPECT_NE(a->describe().find("cross=7,"), std::string::npos);
    EXPECT_THROW(Aligner::from_spec("dp:nonsense=1;1*anchors"), Error);
    EXPECT_THROW(Aligner::from_spec("dp;1*unknown"), Error);
    EXPECT_THROW(Aligner::from_spec("beam;1*anchors"), Error);
}

TEST(AnchorEncoder, SkeletonsOfNamesAgreeAcrossScripts) {
    EXPECT_EQ(AnchorEncoder::skeleton("caroline"), AnchorEncoder::skeleton("karwlyn"));
    EXPECT_EQ(AnchorEncoder::skeleton("beresford"), "brsbrt");
    EXPECT_EQ(AnchorEncoder::skeleton("xuan"), AnchorEncoder::skeleton("shwan"));
    EXPECT_NE(AnchorEncoder::skeleton("wellington"), AnchorEncoder::skeleton("hanoi"));
}

TEST(Units, SplitLinesSentencesParagraphs) {
    Segmenter seg;
    const std::string text = "First line. Second sentence.\n\n  Next block\nsame block\n";
    EXPECT_EQ(split_units(text, UnitKind::kLines, "en", seg).size(), 3u);
    EXPECT_EQ(split_units(text, UnitKind::kSentences, "en", seg).size(), 4u);
    EXPECT_EQ(split_units(text, UnitKind::kParagraphs, "en", seg).size(), 2u);
    EXPECT_EQ(parse_unit_kind("sentences"), UnitKind::kSentences);
    EXPECT_THROW(parse_unit_kind("words"), Error);
}

}  // namespace
}  // namespace doppel

namespace doppel {
namespace {

TEST(Aligner, BatchEqualsOneByOne) {
    const auto aligner = lexical();
    const auto de = numbered(40, false), fr = numbered(40, true);  // AlignSide holds views
    std::vector<AlignSide> a = {side(kGerman, "de"), side(de, "de")};
    std::vector<AlignSide> b = {side(kFrench, "fr"), side(fr, "fr")};
    std::vector<Alignment> out(2);
    aligner->align_batch(2, a.data(), b.data(), out.data());
    for (std::size_t k = 0; k < 2; ++k) EXPECT_EQ(beads_of(out[k]), beads_of(aligner->align(a[k], b[k])));
}

// An encoder that fails on units holding "FAIL".
class FailingEncoder : public UnitEncoder {
public:
    void encode(std::size_t n, const UnitTokens* units, const EncodeContext&, FeatureVector* out) const override {
        for (std::size_t u = 0; u < n; ++u) {
            if (units[u].text.find("FAIL") != std::string_view::npos) DOPPEL_THROW(kInternal, "unit failed");
            out[u].clear();
        }
    }
    std::string describe() const override { return "failing"; }
};

TEST(Aligner, BatchAlignsEveryPairThenThrowsTheFirstFailure) {
    Aligner aligner;
    aligner.add_encoder(1.0f, std::make_unique<FailingEncoder>());
    const std::vector<std::string> good = {"one", "two"}, bad = {"FAIL"};
    std::vector<AlignSide> a = {side(good, "en"), side(bad, "en"), side(good, "en")};
    std::vector<AlignSide> b = {side(good, "en"), side(good, "en"), side(good, "en")};
    std::vector<Alignment> out(3);
    try {
        aligner.align_batch(3, a.data(), b.data(), out.data());
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kInternal);
        EXPECT_NE(std::string(e.what()).find("aligner: "), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("unit failed"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(out[0].beads.empty());  // the pairs around the failure were aligned
    EXPECT_FALSE(out[2].beads.empty());
}

}  // namespace
}  // namespace doppel
