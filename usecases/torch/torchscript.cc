// TorchScript archives (torch.jit.save / torch.jit.script(model).save): the
// only model format that needs libtorch's reader; kept in its own unit.
#include <torch/script.h>

#include "torch/state.h"

namespace nnr::torchuc {

Status load_torchscript(const std::string& path, std::vector<Tensor>* out) {
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, torch::kCPU);
  } catch (const std::exception& e) {
    std::string what = e.what();
    if (const size_t nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
    return Status(ErrorCode::kInvalidArgument, kNoOffset, path + ": not a TorchScript archive: " + what);
  }
  out->clear();
  auto add = [&](const std::string& name, const at::Tensor& t) {
    if (t.scalar_type() != at::kFloat) return;  // int64 counters
    Tensor r;
    r.name = name;
    r.shape = t.sizes().vec();
    if (r.shape.empty()) r.shape = {1};
    const at::Tensor c = t.detach().contiguous();
    r.f32.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    out->push_back(std::move(r));
  };
  for (const auto& p : module.named_parameters(/*recurse=*/true)) add(p.name, p.value);
  for (const auto& b : module.named_buffers(/*recurse=*/true)) add(b.name, b.value);
  return Status();
}

}  // namespace nnr::torchuc
