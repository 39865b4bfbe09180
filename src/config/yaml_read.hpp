#pragma once
// Private to vipd_config: YAML reading helpers shared by every input shape. Values in the tree
// carry where they are (file:line:column) and their key path; messages quote values safely and
// offer the closest known key for a misspelt one.

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vipd/config/model.hpp"

namespace vipd::config::detail {

// Bounds that keep a hostile or broken file from costing unbounded time or memory.
constexpr std::size_t max_input_bytes = 32u << 20;  // 100,000 services are ~5.5 MB
constexpr std::size_t max_errors = 500;
constexpr std::size_t max_list_items = 100'000;
constexpr std::size_t max_documents = 10'000;

// Key paths: "peers" + "hold-time" -> "peers.hold-time"; "peers", 0 -> "peers[0]".
std::string child(const std::string& path, std::string_view key);
std::string index(const std::string& path, std::size_t i);

// YAML text is UTF-8; a name with broken sequences could not be printed back faithfully.
bool valid_utf8(std::string_view s);
// Quotes a value for a message; long or binary input is shortened and escaped.
std::string quote(std::string_view s, std::size_t limit = 80);
std::string lower(std::string_view s);
// The closest known key, if it is close enough to be a plausible typo ("" otherwise).
std::string suggest(std::string_view key, std::initializer_list<std::string_view> known);
// A node for a message: its quoted text, "a list", "a mapping" or "nothing".
std::string describe(const YAML::Node& n);
// "file:line:col", leaving out what is unknown.
std::string where_text(const SourceLocation& w);

// Maps a yaml-cpp mark of the text being parsed to a position in the file on disk. Inner text
// of a ConfigMap's `config: |` is shifted by the block's first line and indentation.
struct PositionMap {
  std::string file;
  int line_offset = 0;
  int column_offset = 0;
  std::optional<SourceLocation> fixed;  // inner text that cannot be mapped line by line

  SourceLocation at(const YAML::Mark& m) const {
    if (fixed) return *fixed;
    if (m.is_null() || m.line < 0) return {file, 0, 0};
    return {file, m.line + line_offset + 1, m.column + column_offset + 1};
  }
};

// A value in the tree with where it is and its key path.
struct Val {  // NOLINT(bugprone-exception-escape): yaml-cpp may throw; the loader catches it
  YAML::Node node;
  SourceLocation where;
  std::string path;
  bool null() const { return !node.IsDefined() || node.IsNull(); }
};

struct Map {
  bool ok = false;
  std::vector<std::pair<std::string, Val>> items;
  SourceLocation where;
  std::string path;
  std::set<std::string> suggested;  // known keys offered for a misspelt key: not "missing" too
  const Val* get(std::string_view key) const {
    for (const auto& [k, v] : items)
      if (k == key) return &v;
    return nullptr;
  }
};

}  // namespace vipd::config::detail
