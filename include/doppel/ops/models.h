// doppel: where the model files are (lid.176.ftz for language ID, bridge.lex for the bridge
// embeddings and the aligner).
//
// find_models_dir() is the one rule the command-line tool and the language bindings share:
//   1. the folder given (a --models option), when not empty;
//   2. $DOPPEL_MODELS, when set and not empty;
//   3. a folder models/ holding lid.176.ftz in the folder of the running program or one above it
//      (build/doppel -> models/);
//   4. the same, above the folder of the doppel library itself (build/libdoppel.so -> models/:
//      how a Python interpreter elsewhere finds the checkout's models);
//   5. the source tree's models/ (the checkout this library was built from), when it exists;
//   6. "models" (relative to the working folder).
//
// Thread safety: reads the environment and the file system only; safe to call from any thread.
#pragma once

#include <string>

namespace doppel {

std::string find_models_dir(const std::string& given = "");

}  // namespace doppel
