#include "vipd/config/model.hpp"

namespace vipd::config {

std::string Diagnostic::format() const {
  std::string out;
  if (!where.file.empty()) {
    out += where.file;
    if (where.line > 0) {
      out += ":" + std::to_string(where.line);
      if (where.column > 0) out += ":" + std::to_string(where.column);
    }
    out += ": ";
  }
  switch (severity) {
    case Severity::error:
      out += "error: ";
      break;
    case Severity::warning:
      out += "warning: ";
      break;
    case Severity::note:
      out += "note: ";
      break;
  }
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

const char* to_string(Protocol p) {
  return p == Protocol::bgp ? "bgp" : "layer2";
}

const char* to_string(BgpOrigin o) {
  switch (o) {
    case BgpOrigin::igp:
      return "igp";
    case BgpOrigin::egp:
      return "egp";
    case BgpOrigin::incomplete:
      return "incomplete";
  }
  return "incomplete";
}

const Pool* Model::find_pool(const std::string& name) const {
  for (const auto& p : pools)
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace vipd::config
