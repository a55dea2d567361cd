// _doppel: the compiled half of the Python package doppel (python/doppel/__init__.py).
#include "bindings.h"
#include "doppel/ops/models.h"

PYBIND11_MODULE(_doppel, m) {
    namespace dp = doppel::python;
    m.doc() =
        "doppel's library from Python: stores (index, dedup, check, translations, report) and "
        "batch primitives over numpy arrays. Import the package doppel, not this module.";
    dp::bind_errors(m);
    m.def(
        "models_dir", [](const std::string& given) { return doppel::find_models_dir(given); },
        dp::py::arg("given") = "",
        "The folder with the model files, found as the command-line tool finds it: `given`, else "
        "$DOPPEL_MODELS, else models/ above the program or the doppel library, else the source "
        "tree's models/.");
    dp::bind_store(m);
    dp::bind_primitives(m);
    dp::bind_vectors(m);
    dp::bind_dedup_stages(m);
    dp::bind_translation_stages(m);
#ifdef DOPPEL_VERSION
    m.attr("__version__") = DOPPEL_VERSION;
#endif
}
