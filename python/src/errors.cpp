// doppel::Error -> doppel.Error (a RuntimeError) with .code (error_code_name: "not-found", ...),
// .file and .line (where in doppel's sources it was raised).
#include <pybind11/pybind11.h>

#include "bindings.h"
#include "doppel/error.h"

namespace doppel::python {

void bind_errors(py::module_& m) {
    // Kept for the life of the interpreter: the translator below uses it.
    static py::exception<Error> error_type(m, "Error", PyExc_RuntimeError);
    error_type.doc() =
        "An error of the doppel library: the message, and .code, the kind of failure "
        "(\"invalid-argument\", \"bad-spec\", \"not-found\", \"io\", \"bad-format\", "
        "\"version\", \"store\", \"model-mismatch\", \"icu\", \"internal\").";
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const Error& e) {
            // An instance (not error_type(msg), which would only set the error), to carry .code.
            py::object exc = py::handle(error_type.ptr())(e.what());
            exc.attr("code") = error_code_name(e.code());
            exc.attr("file") = e.file();
            exc.attr("line") = e.line();
            PyErr_SetObject(error_type.ptr(), exc.ptr());
        }
    });
    m.def(
        "error_code_names",
        [] {
            py::list names;
            for (int c = static_cast<int>(ErrorCode::kInvalidArgument);
                 c <= static_cast<int>(ErrorCode::kInternal); ++c)
                names.append(error_code_name(static_cast<ErrorCode>(c)));
            return names;
        },
        "The names an Error's .code can take.");
}

}  // namespace doppel::python
