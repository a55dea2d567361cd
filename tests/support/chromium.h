// Headless Chromium (Debian's chromium) for the report tests: rendering a local HTML file and
// reading back what a probe script, run at the page's load event, wrote into the DOM.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>

#include "support/test_support.h"

namespace doppel::test {

// The browser's path, or "" when none is installed (the tests then skip).
inline std::string chromium() {
    for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
        if (std::filesystem::exists(p)) return p;
    return "";
}

// Runs headless chromium with `args` (on a local file) and a fresh profile; returns its stdout.
inline std::string run_chromium(const std::string& args, const std::string& profile) {
    const std::string out = profile + ".out";
    const std::string cmd = "timeout 120 '" + chromium() +
                            "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                            "--disable-background-networking --disable-component-update --disable-sync "
                            "--user-data-dir='" + profile + "' " + args + " >'" + out + "' 2>/dev/null";
    const int rc = std::system(cmd.c_str());  // what it printed says whether it worked
    (void)rc;
    return read_file(out);
}

// A copy of the page at `html` with `script` (JavaScript run at the load event, after layout)
// before </body>, rendered; returns the DOM chromium dumped (the script writes its findings
// into it). `work` is a folder for the copy and the profile.
inline std::string probe_page(const std::string& html, const std::string& script, const std::string& work) {
    std::string page = read_file(html);
    const std::string probe = "<script>window.addEventListener('load', () => {" + script + "});</script></body>";
    const std::size_t at = page.rfind("</body>");
    if (at == std::string::npos) return "";
    page.replace(at, 7, probe);
    const std::string probed = work + "/probed.html";
    write_file(probed, page);
    return run_chromium("--dump-dom 'file://" + probed + "'", work + "/profile-probe");
}

// JavaScript that lays the page out (its full height and the position of its last element) and
// writes "render_ms=N" (time since navigation started) into a <pre id="timing">.
inline const char* kRenderTimingProbe = R"(
  const h = document.documentElement.scrollHeight;
  const bottom = document.body.lastElementChild.getBoundingClientRect().bottom;
  const t = Math.round(performance.now());
  const p = document.createElement('pre'); p.id = 'timing';
  p.textContent = 'render_ms=' + t + ' height=' + Math.max(h, Math.round(bottom)) +
    ' external=' + document.querySelectorAll('[src]:not(script),link[href]').length;
  document.body.appendChild(p);
)";

}  // namespace doppel::test
