// Config loader: YAML text -> config::Model, for native vipd YAML, MetalLB's legacy ConfigMap and
// MetalLB's CRDs. Parse everything, collect every error with its position, then validate the
// merged model. yaml-cpp throws; nothing leaves the loader as an exception (the entry points
// here catch what the readers let through).
// One file per job: yaml_read.cpp (typed readers, positions, quoting), native.cpp (native
// sections), metallb.cpp (ConfigMap and CRDs), resolve.cpp (CRD wiring, communities,
// aggregation), validate.cpp (the merged model); this file holds the entry points and the
// document loop.

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "doc_parser.hpp"
#include "loader_state.hpp"
#include "vipd/config/loader.hpp"
#include "yaml_read.hpp"

namespace vipd::config {
namespace detail {
namespace {

// Events-only pass over the text. yaml-cpp 0.7's LoadAll loops forever, allocating, on some
// broken inputs (a document that consumes nothing, e.g. a stray "," after a plain scalar);
// this finds such a spot so LoadAll is never called on it.
class DocumentScan : public YAML::EventHandler {
 public:
  // The mark where parsing stops making progress, or nullopt if the text is fine to load.
  static std::optional<YAML::Mark> stuck_at(const std::string& text) {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentScan scan;
    long last_pos = -1;
    for (std::size_t docs = 0; parser.HandleNextDocument(scan); ++docs) {
      if (scan.start_.pos == last_pos || docs >= max_documents) return scan.start_;
      last_pos = scan.start_.pos;
    }
    return std::nullopt;
  }

  void OnDocumentStart(const YAML::Mark& mark) override { start_ = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
  }
  void OnMapEnd() override {}

 private:
  YAML::Mark start_;
};

}  // namespace

void Loader::add_text(const std::string& text, const PositionMap& pos, bool metallb, bool inner) {
  if (text.size() > max_input_bytes) {
    error(pos.at(YAML::Mark::null_mark()), "",
          "file is too large (" + std::to_string(text.size()) + " bytes, at most " +
              std::to_string(max_input_bytes) + ")");
    return;
  }
  std::vector<YAML::Node> docs;
  try {
    if (auto stuck = DocumentScan::stuck_at(text)) {
      error(pos.at(*stuck), "",
            "invalid YAML: unexpected content here (or more than " + std::to_string(max_documents) +
                " documents)");
      return;
    }
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    error(pos.at(e.mark), "", "invalid YAML: " + e.msg);
    return;
  } catch (const std::exception& e) {
    error(pos.at(YAML::Mark::null_mark()), "", std::string("invalid YAML: ") + e.what());
    return;
  }
  for (const auto& doc : docs) {
    try {
      DocParser(*this, pos, text, metallb).document(doc, inner);
    } catch (const std::exception& e) {
      // Defensive: a yaml-cpp accessor threw on a shape we did not foresee.
      error(pos.at(doc.Mark()), "", std::string("cannot interpret this document: ") + e.what());
    }
  }
}

void DocParser::document(const YAML::Node& root, bool inner) {
  if (!root.IsDefined() || root.IsNull()) return;  // empty document ("---" alone)
  const Val v{root, at(root), ""};
  if (!root.IsMap()) {
    error(v, "expected a mapping of configuration sections at the top level, got " + describe(root));
    return;
  }
  const bool k8s = root["kind"].IsDefined() || root["apiVersion"].IsDefined();
  if (!k8s || inner) {
    native(v);
    return;
  }
  const Map obj =
      map(v, {"apiVersion", "kind", "metadata", "spec", "data", "status", "binaryData", "immutable"}, true);
  std::string kind, api;
  if (const Val* k = obj.get("kind"); k && k->node.IsScalar()) kind = k->node.Scalar();
  if (const Val* a = obj.get("apiVersion"); a && a->node.IsScalar()) api = a->node.Scalar();
  if (kind == "ConfigMap") {
    config_map(obj);
  } else if (api == "metallb.io/v1beta1" || api == "metallb.io/v1beta2") {
    crd(obj, kind, v);
  } else if (api.rfind("metallb.io/", 0) == 0) {
    warning(v, "apiVersion " + quote(api) +
                   " is not supported (expected metallb.io/v1beta1 or metallb.io/v1beta2), document ignored");
  } else {
    note(v, "document of kind " + quote(kind) + " (apiVersion " + quote(api) + ") ignored");
  }
}

Result<LoadResult, Diagnostics> Loader::finish() {
  try {
    resolve_crds();
    validate();
  } catch (const std::exception& e) {
    error({}, "", std::string("internal error while validating: ") + e.what());
  }
  // Present diagnostics in file order, then by position.
  auto rank = [this](const Diagnostic& d) {
    const auto it = std::find(files_.begin(), files_.end(), d.where.file);
    return std::make_tuple(static_cast<std::size_t>(it - files_.begin()), d.where.line, d.where.column);
  };
  auto by_pos = [&](const Diagnostic& a, const Diagnostic& b) { return rank(a) < rank(b); };
  std::stable_sort(warnings_.begin(), warnings_.end(), by_pos);
  if (!errors_.empty()) {
    std::stable_sort(errors_.begin(), errors_.end(), by_pos);
    return unexpected(std::move(errors_));
  }
  return LoadResult{std::move(model_), std::move(warnings_)};
}

}  // namespace detail

using detail::Loader;

Result<LoadResult, Diagnostics> load_text(const std::string& file, const std::string& text) {
  Loader l;
  try {
    l.add_file(file, text);
  } catch (const std::exception& e) {
    l.add_error(
        {Severity::error, {file, 0, 0}, "", std::string("internal error while loading: ") + e.what()});
  }
  return l.finish();
}

Result<LoadResult, Diagnostics> load_files(const std::vector<std::string>& paths) {
  Loader l;
  for (const auto& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      l.cannot_read(path, "is a directory");
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      l.cannot_read(path, std::strerror(errno));
      continue;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) {
      l.cannot_read(path, "read error");
      continue;
    }
    try {
      l.add_file(path, ss.str());
    } catch (const std::exception& e) {
      l.add_error(
          {Severity::error, {path, 0, 0}, "", std::string("internal error while loading: ") + e.what()});
    }
  }
  return l.finish();
}

}  // namespace vipd::config
