#include "report/compare_output.h"

#include <map>
#include <vector>

namespace nnr {

namespace {

std::string xml(const std::string& s) {
  std::string o;
  for (unsigned char ch : s) {
    switch (ch) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&apos;"; break;
      default:
        // XML 1.0 has no other control characters than tab and line breaks.
        if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') o += '?';
        else o += static_cast<char>(ch);
    }
  }
  return o;
}

std::string text(const Regression& r) { return r.kind + ": " + r.baseline + " -> " + r.current; }

}  // namespace

std::string comparison_junit(const Comparison& c, const std::string& suite) {
  std::map<std::pair<std::string, std::string>, std::vector<const Regression*>> failed;
  for (const Regression& r : c.regressions) failed[{r.key, r.check}].push_back(&r);
  std::string body;
  for (const Check& k : c.checks) {
    // classname: the point's use case (or the benchmark's group), for the CI's tree.
    const size_t slash = k.key.find('/');
    const std::string cls = suite + "." + (slash == std::string::npos ? k.key : k.key.substr(0, slash));
    body += "  <testcase classname=\"" + xml(cls) + "\" name=\"" + xml(k.key + " " + k.check) + "\"";
    auto it = failed.find({k.key, k.check});
    if (it == failed.end()) {
      body += "/>\n";
      continue;
    }
    body += ">\n";
    for (const Regression* r : it->second)
      body += "   <failure type=\"" + xml(r->kind) + "\" message=\"" + xml(text(*r)) + "\">" + xml(text(*r)) +
              "</failure>\n";
    body += "  </testcase>\n";
  }
  std::string notes;
  for (const std::string& n : c.notes) notes += n + "\n";
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n <testsuite name=\"" + xml(suite) +
         "\" tests=\"" + std::to_string(c.checks.size()) + "\" failures=\"" + std::to_string(c.regressions.size()) +
         "\" errors=\"0\">\n" + body + "  <system-out>" + xml(notes) + "</system-out>\n </testsuite>\n</testsuites>\n";
}

nlohmann::json comparison_json(const Comparison& c) {
  nlohmann::json j;
  j["passed"] = c.passed();
  j["compared"] = c.matched;
  j["checks"] = c.checks.size();
  nlohmann::json regs = nlohmann::json::array();
  for (const Regression& r : c.regressions)
    regs.push_back({{"key", r.key}, {"check", r.check}, {"kind", r.kind}, {"baseline", r.baseline}, {"now", r.current}});
  j["regressions"] = regs;
  j["notes"] = c.notes;
  return j;
}

}  // namespace nnr
