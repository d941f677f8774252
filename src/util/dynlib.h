// Shared libraries loaded on first use, for dependencies only some commands need: linking them
// would load them (and their own dependencies) at every start, search included.
#pragma once

#include <dlfcn.h>

#include <string>

namespace custodian {

// dlopen(soname, RTLD_NOW | RTLD_LOCAL); the library stays loaded for the process. nullptr, and
// the loader's reason in *error, if it cannot be loaded.
void* LoadSharedLibrary(const char* soname, std::string* error);

// Sets *fn to function `name` of `lib`; false if the library lacks it.
template <typename Fn>
bool LoadFunction(void* lib, const char* name, Fn** fn) {
  void* p = dlsym(lib, name);
  *fn = reinterpret_cast<Fn*>(p);
  return p != nullptr;
}

}  // namespace custodian
