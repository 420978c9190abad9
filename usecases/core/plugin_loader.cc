#include "core/plugin_loader.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <system_error>

namespace nnr {

namespace {

std::string executable_dir() {
  std::string buf(4096, '\0');
  const ssize_t n = readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n <= 0) return ".";
  buf.resize(static_cast<size_t>(n));
  const size_t slash = buf.rfind('/');
  return slash == std::string::npos ? "." : buf.substr(0, slash);
}

struct Loaded {
  const UseCasePluginApi* api = nullptr;
  Status status;
};

Loaded load_once() {
  Loaded r;
  const std::string path = usecase_plugin_path();
  if (access(path.c_str(), F_OK) != 0) {
    r.status = Status(ErrorCode::kUnsupported, kNoOffset,
                      path + ": the libtorch use cases are not built (cmake -DNNR_WITH_TORCH=ON builds them; "
                             "NNR_USECASES_PLUGIN names another file)");
    return r;
  }
  // Never closed: libtorch does not support being unloaded.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* e = dlerror();
    r.status = Status(ErrorCode::kIo, kNoOffset, path + ": cannot load: " + (e ? e : "unknown error"));
    return r;
  }
  auto entry = reinterpret_cast<UseCasePluginEntry>(dlsym(handle, NNR_USECASE_PLUGIN_ENTRY));
  const UseCasePluginApi* api = entry ? entry() : nullptr;
  if (!api) {
    r.status = Status(ErrorCode::kIo, kNoOffset, path + ": not an nnr use-case plugin (no " NNR_USECASE_PLUGIN_ENTRY ")");
    return r;
  }
  if (api->abi_version != kUseCasePluginAbi || std::string(api->build_key) != usecase_plugin_build_key()) {
    r.status = Status(ErrorCode::kIo, kNoOffset,
                      path + ": built for another nnr (plugin " + api->build_key + ", nnr " +
                          usecase_plugin_build_key() + "): rebuild both together");
    return r;
  }
  r.api = api;
  return r;
}

}  // namespace

std::string usecase_plugin_path() {
  if (const char* p = std::getenv("NNR_USECASES_PLUGIN"); p && *p) return p;
  return executable_dir() + "/../lib/libnnr_usecases_torch.so";
}

Status load_usecase_plugin(const UseCasePluginApi** api) {
  static std::once_flag once;
  static Loaded loaded;
  std::call_once(once, [] { loaded = load_once(); });
  *api = loaded.api;
  return loaded.status;
}

}  // namespace nnr
