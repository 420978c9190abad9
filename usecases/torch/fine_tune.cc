#include "torch/fine_tune.h"

#include <chrono>
#include <cmath>
#include <map>

#include <torch/nn/functional/loss.h>
#include <torch/optim/adam.h>
#include <torch/utils.h>

#include "torch/train_data.h"

namespace nnr::torchuc {
namespace {

Tensor to_tensor(const std::string& name, const torch::Tensor& t) {
  Tensor r;
  r.name = name;
  r.shape = t.sizes().vec();
  const torch::Tensor c = t.detach().contiguous();
  r.f32.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return r;
}

torch::Tensor from_tensor(const Tensor& t) {
  return torch::from_blob(const_cast<float*>(t.f32.data()), t.shape, torch::kFloat32).clone();
}

// A weight trained through its factors W = G H.
struct Factored {
  torch::Tensor w, g, h;
};

// A weight trained through its scales W = W0 * s (local scaling); with a
// master m (defined where the weight trains through the quantizer), W0 is
// the reconstruction of m.
struct Scaled {
  std::string name;
  torch::Tensor w, w0, s, m;
  std::string weight;
};

// A parameter with elements held at their starting values.
struct Held {
  torch::Tensor w, w0, mask;
};

std::vector<int64_t> channel_view(const torch::Tensor& w) {
  std::vector<int64_t> v(static_cast<size_t>(w.dim()), 1);
  v[0] = w.size(0);
  return v;
}

// The paper's sparsity loss (eq. 3) of one weight, its gamma fixed at the
// start so that the second term is a third of the first.
torch::Tensor sparsity_loss(const torch::Tensor& w, double gamma) {
  const torch::Tensor l1 = w.abs().sum() + 1e-12, l2 = w.norm() + 1e-12;
  return l1 / l2 + gamma * l2 * l2 / l1;
}

}  // namespace

Status fine_tune_net(models::Net& net, const std::string& id, const data::SampleSet& train,
                     const FineTuneOptions& o, int threads, FineTuneReport* report) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  *report = FineTuneReport();
  if (train.size() == 0) return Status(ErrorCode::kInvalidArgument, kNoOffset, "no training samples");
  if (o.mode != "weights" && o.mode != "scales" && o.mode != "bn_stats" && o.mode != "sensitivity")
    return Status(ErrorCode::kInvalidArgument, kNoOffset, "unknown fine-tuning mode '" + o.mode + "'");
  if (o.fisher != "model" && o.fisher != "data")
    return Status(ErrorCode::kInvalidArgument, kNoOffset, "unknown Fisher targets '" + o.fisher + "'");
  torch::set_num_threads(std::max(1, threads));
  torch::manual_seed(o.seed);
  const bool classify = id != "uc12b";
  const int64_t n = train.size(), bs = std::max(1, o.batch_size);
  const int64_t samples = o.epochs > 0 ? static_cast<int64_t>(std::ceil(o.epochs * static_cast<double>(n))) : o.samples;
  const int64_t steps = std::max<int64_t>(1, (samples + bs - 1) / bs);

  std::map<std::string, torch::Tensor> params;
  for (auto& p : net.named_parameters(/*recurse=*/true)) params[p.key()] = p.value();
  for (const auto& [name, mask] : o.held) {
    auto it = params.find(name);
    if (it == params.end() || static_cast<int64_t>(mask.size()) != it->second.numel())
      return Status(ErrorCode::kInvalidArgument, kNoOffset, "mask for '" + name + "' does not fit the model");
  }
  for (const auto& [name, gh] : o.factors) {
    auto it = params.find(name);
    if (it == params.end() || gh.first.shape.size() != 2 || gh.second.shape.size() != 2 ||
        gh.first.shape[0] != it->second.size(0) || gh.first.shape[1] != gh.second.shape[0] ||
        gh.first.shape[0] * gh.second.shape[1] != it->second.numel())
      return Status(ErrorCode::kInvalidArgument, kNoOffset, "factors of '" + name + "' do not fit the model");
  }

  if (!o.masters.empty() && (o.mode != "scales" || !o.requantize))
    return Status(ErrorCode::kInvalidArgument, kNoOffset, "masters train only in mode \"scales\" with requantize");
  for (const auto& [name, m] : o.masters) {
    auto it = params.find(name);
    if (it == params.end() || it->second.dim() < 2 || m.shape != it->second.sizes().vec() ||
        static_cast<int64_t>(m.f32.size()) != it->second.numel())
      return Status(ErrorCode::kInvalidArgument, kNoOffset, "master of '" + name + "' does not fit the model");
  }

  std::vector<torch::Tensor> trained;
  std::vector<Factored> factored;
  std::vector<Scaled> scaled;
  std::vector<Held> held;
  std::vector<torch::Tensor> masters;  // trained through the quantizer (own learning rate)
  std::vector<std::pair<torch::Tensor, double>> sparse;  // weights under the sparsity loss, gamma
  std::map<std::string, bool> was_trainable;
  for (auto& [name, p] : params) was_trainable[name] = p.requires_grad();
  torch::NoGradGuard outside;  // set up without a graph
  if (o.mode == "weights") {
    for (auto& [name, p] : params) {
      auto f = o.factors.find(name);
      if (f != o.factors.end()) {
        Factored x{p, from_tensor(f->second.first).requires_grad_(true), from_tensor(f->second.second).requires_grad_(true)};
        trained.push_back(x.g);
        trained.push_back(x.h);
        factored.push_back(x);
        continue;
      }
      trained.push_back(p);
      auto h = o.held.find(name);
      if (h != o.held.end()) {
        torch::Tensor m = torch::from_blob(const_cast<uint8_t*>(h->second.data()), p.sizes(), torch::kUInt8).to(torch::kBool);
        held.push_back({p, p.detach().clone(), m});
      }
      if (o.sparsity_m > 0 && p.dim() >= 2) {
        const double l1 = p.abs().sum().item<double>(), l2 = p.norm().item<double>();
        if (l1 > 0 && l2 > 0) sparse.emplace_back(p, l1 * l1 / (3.0 * l2 * l2 * l2));
      }
    }
  } else if (o.mode == "scales") {
    for (auto& [name, p] : params) {
      const bool weight = p.dim() >= 2 && name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0;
      if (o.nonweights && p.dim() < 2) {
        p.set_requires_grad(true);
        trained.push_back(p);
        continue;
      }
      p.set_requires_grad(weight);
      if (!weight) continue;
      Scaled x{name + "_scaling", p, p.detach().clone(), torch::ones({p.size(0)}).requires_grad_(true), {}, name};
      trained.push_back(x.s);
      if (o.requantize) {
        auto m = o.masters.find(name);
        if (m != o.masters.end()) {
          x.m = from_tensor(m->second).requires_grad_(true);
          masters.push_back(x.m);
          held.push_back({x.m, x.m.detach().clone(), x.m.detach() == 0});  // a sparse weight stays sparse
        }
      }
      scaled.push_back(x);
    }
  }

  auto restore = [&]() {
    for (auto& [name, p] : params) p.set_requires_grad(was_trainable[name]);
  };
  double loss_first = 0, loss_last = 0;
  int64_t first_n = 0, last_n = 0;
  const int64_t tenth = std::max<int64_t>(1, steps / 10);
  std::unique_ptr<torch::optim::Adam> opt;
  if (!trained.empty()) opt = std::make_unique<torch::optim::Adam>(trained, torch::optim::AdamOptions(o.lr));
  std::unique_ptr<torch::optim::Adam> opt_masters;
  if (!masters.empty())
    opt_masters = std::make_unique<torch::optim::Adam>(masters, torch::optim::AdamOptions(o.masters_lr));
  // The masters' reconstruction into W0: the codec's quantizer, outside the graph.
  const auto requantize = [&]() -> Status {
    if (masters.empty()) return Status();
    std::map<std::string, Tensor> w;
    for (const Scaled& s : scaled)
      if (s.m.defined()) w[s.weight] = to_tensor(s.weight, s.m);
    Status st = o.requantize(&w);
    if (!st.ok()) return st;
    for (Scaled& s : scaled) {
      if (!s.m.defined()) continue;
      auto it = w.find(s.weight);
      if (it == w.end() || static_cast<int64_t>(it->second.f32.size()) != s.w0.numel())
        return Status(ErrorCode::kInvalidData, kNoOffset, "no reconstruction of '" + s.weight + "'");
      s.w0.copy_(from_tensor(it->second).view(s.w0.sizes()));
    }
    return Status();
  };
  double lambda = 0.0;
  torch::Tensor perm;
  const int64_t* order = nullptr;
  int64_t pos = n;
  std::map<std::string, double> grad_sq;  // "sensitivity": sum over batches of sum(g^2)
  std::map<std::string, std::vector<double>> channel_sq;  // the same per output channel
  try {
    if (o.mode == "scales" || o.mode == "sensitivity") net.eval();  // statistics stay as coded
    else net.train();
    for (int64_t step = 0; step < steps; ++step) {
      if (pos + bs > n && pos > 0) {
        perm = torch::randperm(n, torch::kLong);
        order = perm.data_ptr<int64_t>();
        pos = 0;
      }
      const int64_t cnt = std::min(bs, n - pos);
      torch::Tensor x, labels;
      make_batch(train, order + pos, cnt, &x, &labels);
      pos += cnt;
      report->samples += cnt;
      if (o.mode == "bn_stats") {
        net.forward(x);  // train mode, no graph: the running statistics move
        continue;
      }
      if (o.mode == "sensitivity") {
        // The data as evaluated (no augmentation), parameters untouched.
        for (auto& [name, p] : params) p.mutable_grad() = torch::Tensor();
        torch::Tensor task;
        {
          torch::AutoGradMode grad(true);
          const torch::Tensor y = net.forward(x);
          task = classify ? torch::nn::functional::cross_entropy(y, labels) : torch::nn::functional::mse_loss(y, x);
          if (o.fisher == "data") {
            task.backward();
          } else {
            // Targets from the model itself: every sample's expected score is
            // zero, so the cross terms of the batch gradient's square vanish
            // in expectation and it sums the per-sample Fisher diagonals.
            torch::Tensor probe;
            if (classify) {
              const torch::Tensor drawn = torch::multinomial(torch::softmax(y.detach(), 1), 1).squeeze(1);
              probe = torch::nn::functional::cross_entropy(
                  y, drawn, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
            } else {
              probe = (y * (torch::randint(0, 2, y.sizes()) * 2 - 1)).sum();
            }
            probe.backward();
          }
        }
        for (auto& [name, p] : params) {
          if (!p.grad().defined()) continue;
          const torch::Tensor g2 = p.grad().square();
          grad_sq[name] += g2.sum().item<double>();
          if (p.dim() >= 2) {
            const torch::Tensor per = g2.reshape({p.size(0), -1}).sum(1).to(torch::kDouble).contiguous();
            std::vector<double>& acc = channel_sq[name];
            acc.resize(static_cast<size_t>(p.size(0)));
            for (int64_t c = 0; c < p.size(0); ++c) acc[static_cast<size_t>(c)] += per.data_ptr<double>()[c];
          }
        }
        const double l = task.item<double>();
        if (step < tenth) loss_first += l, ++first_n;
        if (step >= steps - tenth) loss_last += l, ++last_n;
        continue;
      }
      x = augment(id, x, 0);
      if (Status st = requantize(); !st.ok()) {
        restore();
        return Status(st.code(), st.byte_offset(), "requantizing at step " + std::to_string(step) + ": " + st.message());
      }
      for (Factored& f : factored) f.w.copy_(torch::matmul(f.g, f.h).view(f.w.sizes()));
      for (Scaled& s : scaled) s.w.copy_(s.w0 * s.s.view(channel_view(s.w0)));
      for (auto& [name, p] : params) p.mutable_grad() = torch::Tensor();
      opt->zero_grad();
      torch::Tensor task;
      {
        torch::AutoGradMode grad(true);
        const torch::Tensor y = net.forward(x);
        task = classify ? torch::nn::functional::cross_entropy(y, labels) : torch::nn::functional::mse_loss(y, x);
        torch::Tensor loss = task;
        if (!sparse.empty()) {
          torch::Tensor sl = torch::zeros({});
          for (auto& [w, gamma] : sparse) sl = sl + sparsity_loss(w, gamma);
          if (step == 0) lambda = o.sparsity_m * task.item<double>() / std::max(1e-12, sl.item<double>());
          loss = loss + lambda * sl;
        }
        loss.backward();
      }
      // The factors' and scales' gradients from their weight's (chain rule).
      for (Factored& f : factored) {
        const torch::Tensor gw = f.w.grad().reshape({f.g.size(0), f.h.size(1)});
        f.g.mutable_grad() = torch::matmul(gw, f.h.t());
        f.h.mutable_grad() = torch::matmul(f.g.t(), gw);
      }
      for (Scaled& s : scaled) {
        std::vector<int64_t> dims;
        for (int64_t d = 1; d < s.w0.dim(); ++d) dims.push_back(d);
        s.s.mutable_grad() = (s.w.grad() * s.w0).sum(dims);
        if (s.m.defined()) s.m.mutable_grad() = s.w.grad() * s.s.detach().view(channel_view(s.w0));
      }
      const double lr = o.lr * 0.5 * (1.0 + std::cos(3.14159265358979 * static_cast<double>(step) / steps));
      for (auto& g : opt->param_groups()) g.options().set_lr(lr);
      opt->step();
      if (opt_masters) {
        for (auto& g : opt_masters->param_groups()) g.options().set_lr(lr * o.masters_lr / o.lr);
        opt_masters->step();
      }
      for (Held& h : held) h.w.copy_(torch::where(h.mask, h.w0, h.w));
      const double l = task.item<double>();
      if (!std::isfinite(l)) {
        restore();
        return Status(ErrorCode::kInvalidData, kNoOffset,
                      "fine-tuning diverged at step " + std::to_string(step) + " (loss " + std::to_string(l) +
                          "; lower lr)");
      }
      if (step < tenth) loss_first += l, ++first_n;
      if (step >= steps - tenth) loss_last += l, ++last_n;
    }
    if (Status st = requantize(); !st.ok()) {
      restore();
      return Status(st.code(), st.byte_offset(), "requantizing the trained weights: " + st.message());
    }
    for (Factored& f : factored) f.w.copy_(torch::matmul(f.g, f.h).view(f.w.sizes()));
    for (Scaled& s : scaled) s.w.copy_(s.w0 * s.s.view(channel_view(s.w0)));
  } catch (const c10::Error& e) {
    restore();
    const std::string what = e.what_without_backtrace();
    return Status(ErrorCode::kInvalidArgument, kNoOffset, "fine-tuning: " + what.substr(0, what.find('\n')));
  }
  restore();
  net.eval();
  for (auto& p : net.parameters()) p.mutable_grad() = torch::Tensor();
  for (size_t i = 0; i < factored.size(); ++i) {
    // Same order as o.factors (both sorted by name).
    auto it = std::next(o.factors.begin(), static_cast<std::ptrdiff_t>(i));
    report->factors[it->first] = {to_tensor(it->second.first.name, factored[i].g),
                                  to_tensor(it->second.second.name, factored[i].h)};
  }
  for (const Scaled& s : scaled) {
    report->scales.push_back(to_tensor(s.name, s.s));
    if (s.m.defined()) report->masters[s.weight] = to_tensor(s.weight, s.m);
  }
  for (const auto& [name, sum] : grad_sq)
    report->sensitivity[name] = sum / static_cast<double>(params[name].numel()) / static_cast<double>(steps);
  for (auto& [name, acc] : channel_sq) {
    const double per = static_cast<double>(params[name].numel() / params[name].size(0)) * static_cast<double>(steps);
    for (double& v : acc) v /= per;
    report->channel_sensitivity[name] = std::move(acc);
  }
  report->steps = steps;
  report->first_loss = first_n ? loss_first / static_cast<double>(first_n) : 0.0;
  report->last_loss = last_n ? loss_last / static_cast<double>(last_n) : 0.0;
  report->seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return Status();
}

}  // namespace nnr::torchuc
