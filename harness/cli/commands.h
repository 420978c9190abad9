// The subcommands of `nnr`. Each registers its options on the app and returns
// the exit code when run.
#ifndef NNR_HARNESS_CLI_COMMANDS_H
#define NNR_HARNESS_CLI_COMMANDS_H

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "nnr/error.h"

namespace nnr::cli {

using Runner = std::function<int()>;

Runner add_encode(CLI::App& app);
Runner add_decode(CLI::App& app);
Runner add_inspect(CLI::App& app);
Runner add_conform(CLI::App& app);
Runner add_run(CLI::App& app);
Runner add_report(CLI::App& app);
Runner add_compare(CLI::App& app);
Runner add_merge(CLI::App& app);
Runner add_evaluate(CLI::App& app);
Runner add_train(CLI::App& app);

// "nnr: FILE: byte N: what" on stderr; returns the exit code to use.
int report_error(const std::string& file, const ::nnr::Status& s);

// Checks of numeric options, each naming what it accepts: worker threads
// (0..256, 0: one per core), a count (1..max), a finite number above `lo`
// (and at most `hi`): NaN and infinities are refused, which a plain range
// check lets through.
CLI::Validator threads_check();
CLI::Validator count_check(int max);
CLI::Validator finite_check(double lo, double hi, const std::string& what);

// Applies "--tolerance METRIC=VALUE" options (VALUE >= 0) to `out`.
::nnr::Status parse_tolerances(const std::vector<std::string>& options, std::map<std::string, double>* out);

}  // namespace nnr::cli

#endif
