// The Python module _doppel (pybind11), over the library's operations layer (include/doppel/ops)
// and its primitives. One file per area; each defines one bind_* function called by module.cpp.
//
// Every call that does real work releases the GIL (py::gil_scoped_release) around the library
// call; Python objects are read and built only while it is held. doppel::Error becomes
// doppel.Error (errors.cpp).
//
// Thread safety: one doppel.Store may be shared by Python threads; its calls are serialized by a
// lock of its own (PyStore::Call in store.cpp, which every binding touching the store runs
// inside: it releases the GIL first, then takes the lock, so no thread waits for the lock while
// holding the GIL). Threads get parallelism by opening one Store each, on the same folder or
// not: SQLite serializes their transactions and the Indexer's StoreWriteLock their writers
// (store/store_write_lock.h); readers run concurrently. The other bindings (primitives, stages,
// Bridge) share no state between calls.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdio>
#include <string>

namespace doppel::python {

namespace py = pybind11;

void bind_errors(py::module_& m);
void bind_store(py::module_& m);
void bind_primitives(py::module_& m);
void bind_vectors(py::module_& m);
void bind_dedup_stages(py::module_& m);
void bind_translation_stages(py::module_& m);

// A value as the command-line tool prints it with `decimals` decimals, read back: so Python
// results equal the CLI's TSV fields parsed with float().
inline double as_printed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return std::stod(buf);
}

}  // namespace doppel::python
