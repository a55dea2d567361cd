// libFuzzer target: a bridge lexicon file (embed/bridge_lexicon.h) and look-ups in it: a damaged
// file must give a doppel::Error, from loading or from the look-up that reads the damaged part,
// never a crash or a read past a table. The file lives on /dev/shm where there is one, removed when
// the process ends.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "doppel/embed/bridge_lexicon.h"
#include "doppel/error.h"
#include "doppel/normalize/stemmer.h"

namespace {

// The file of this process (a crash leaves it, beside its reproducer).
class FuzzFile {
public:
    FuzzFile()
        : path_(std::string(std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp") +
                "/doppel-fuzz-lexicon-" + std::to_string(getpid()) + ".lex") {}
    ~FuzzFile() { std::filesystem::remove(path_); }
    const std::string& write(std::string_view bytes) const {
        std::ofstream(path_, std::ios::binary | std::ios::trunc)
            .write(bytes.data(), std::streamsize(bytes.size()));
        return path_;
    }

private:
    std::string path_;
};

// What index-time embedding asks of a lexicon: languages, phrases, words, loanwords, names.
void look_up(const doppel::BridgeLexicon& lex, doppel::Stemmer& stemmer) {
    (void)lex.has_language("de");
    (void)lex.lookup("de", "sitzung");
    const std::vector<std::string_view> vi = {"hà", "nội", "họp"};
    for (const auto& m : lex.match("vi", vi, stemmer))
        for (uint32_t id : m.concepts) (void)lex.concept_name(id);
    const std::vector<std::string_view> ja = {"会", "議"};
    (void)lex.match("ja", ja, stemmer);
    for (uint32_t id : lex.lookup_word("de", "sitzungen", stemmer)) (void)lex.concept_name(id);
    (void)lex.lookup_korean_loanword("마우스");
    if (lex.concept_count() > 0) (void)lex.concept_name(static_cast<uint32_t>(lex.concept_count() - 1));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    static const FuzzFile file;
    static doppel::Stemmer stemmer;
    const std::string& path = file.write(std::string_view(reinterpret_cast<const char*>(data), size));
    try {
        const doppel::BridgeLexicon lex(path);
        look_up(lex, stemmer);
    } catch (const doppel::Error&) {
    }
    return 0;
}
