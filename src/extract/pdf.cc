// PDF text through poppler-cpp. Only the `__extract-text pdf` child process runs this: poppler
// is a large parser of hostile input, so it gets rlimits and a deadline, never our address space.
#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include <memory>
#include <new>

#include "extract/internal.h"

namespace custodian::extract {

std::string ExtractPdf(std::string_view content,
                       const std::function<bool(std::string_view)>& emit) {
  // Poppler reports syntax errors on stderr, which carries our problem line; mute it.
  poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr);
  try {
    std::unique_ptr<poppler::document> doc(
        poppler::document::load_from_raw_data(content.data(), static_cast<int>(content.size())));
    if (doc == nullptr) return "not a readable PDF";
    if (doc->is_locked()) return "encrypted";
    int pages = doc->pages();
    if (pages <= 0) return "no pages";
    for (int i = 0; i < pages; i++) {
      std::unique_ptr<poppler::page> page(doc->create_page(i));
      if (page == nullptr) continue;
      poppler::byte_array utf8 = page->text().to_utf8();
      std::string text(utf8.begin(), utf8.end());
      if (!text.empty() && text.back() != '\n') text.push_back('\n');
      if (!emit(text)) break;
    }
  } catch (const std::bad_alloc&) {
    return "out of memory";
  } catch (const std::exception& e) {
    return std::string("poppler: ") + e.what();
  }
  return {};
}

}  // namespace custodian::extract
