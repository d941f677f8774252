#include "util/dynlib.h"

namespace custodian {

void* LoadSharedLibrary(const char* soname, std::string* error) {
  void* lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = dlerror();
    *error = why ? why : std::string("cannot load ") + soname;
  }
  return lib;
}

}  // namespace custodian
