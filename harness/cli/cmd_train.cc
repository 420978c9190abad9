// nnr train: trains an embedded use-case model with its fixed recipe and
// writes it with a manifest.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "nnr/train.h"

namespace nnr::cli {

Status parse_number_options(const std::string& flag, const std::vector<std::string>& items,
                            std::map<std::string, double>* out);

Runner add_train(CLI::App& app) {
  struct Opts {
    TrainOptions t;
    std::vector<std::string> arch, recipe;
    bool quiet = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("USECASE", o->t.id, "vgg16 | resnet50 | mobilenetv2 | dcase | uc12b")->required();
  app.add_option("-o,--output", o->t.out_dir, "output folder (default: datasets/models/USECASE)");
  app.add_option("--epochs", o->t.epochs, "epochs (default: the recipe's)")->check(CLI::NonNegativeNumber);
  app.add_option("--seed", o->t.seed, "random seed");
  app.add_option("--train-limit", o->t.train_limit, "train on the first N samples only (quick trials)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--threads", o->t.threads, "intra-op threads (fixed for reproducibility)")->check(count_check(256));
  app.add_option("--arch", o->arch, "architecture option KEY=VALUE");
  app.add_option("--recipe", o->recipe,
                 "recipe option KEY=VALUE (epochs, batch_size, lr, weight_decay, crop_pad), for trials");
  app.add_flag("-q,--quiet", o->quiet, "no progress output");
  return [o]() {
    Status s = parse_number_options("--arch", o->arch, &o->t.arch);
    if (s.ok()) s = parse_number_options("--recipe", o->recipe, &o->t.recipe);
    if (!s.ok()) return report_error("", s);
    o->t.verbose = !o->quiet;
    TrainReport r;
    s = train_usecase(o->t, &r);
    if (!s.ok()) return report_error("", s);
    nlohmann::json j;
    j["usecase"] = o->t.id;
    j["model"] = r.model_file;
    j["manifest"] = r.manifest_file;
    j["train_seconds"] = r.train_seconds;
    j["metrics"] = r.metrics;
    std::printf("%s\n", j.dump().c_str());
    return 0;
  };
}

}  // namespace nnr::cli
