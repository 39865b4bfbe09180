#pragma once
// Loads vipd configuration files into config::Model. Accepts three shapes per YAML document:
// native vipd YAML, a MetalLB legacy ConfigMap (whole object, or its inner YAML which is native)
// and MetalLB CRDs (metallb.io/v1beta1, v1beta2). Pure: no logging, no clock, no exceptions out.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "vipd/common/result.hpp"
#include "vipd/config/model.hpp"

namespace vipd::config {

struct LoadResult {
  Model model;
  Diagnostics warnings;  // warnings and notes only; errors make the load fail
};

// Parses one file's text (which may hold several YAML documents); `file` names it in
// diagnostics. The error holds ALL errors found, each with file:line:column and key path.
Result<LoadResult, Diagnostics> load_text(const std::string& file, const std::string& text);

// Reads the files ("cannot read" error naming the path when unreadable) and merges them in
// order: pools, peers, services, communities and VRRP groups from every file; a duplicate name
// across files is an error naming both locations. Scalar sections (interfaces, gratuitous,
// control, metrics, local-delivery, log-level) given twice are an error as well.
Result<LoadResult, Diagnostics> load_files(const std::vector<std::string>& paths);

// The model as native vipd YAML that load_text accepts again (MetalLB input converts to native).
std::string to_native_yaml(const Model& model);

// Value parsers, exposed for tests and reuse.
// "90s", "1m30s", "100ms", "1h", "1.5s"; a plain number is seconds (MetalLB compatibility).
std::optional<Duration> parse_duration(std::string_view text);
// Shortest text parse_duration reads back: "1m30s", "100ms", "0s".
std::string format_duration(Duration d);
// 1..4294967295, or asdot "1.10" (RFC 5396).
std::optional<std::uint32_t> parse_asn(std::string_view text);

// A BGP community: standard (RFC 1997, high 16 bits : low 16 bits) or large (RFC 8092).
using Community = std::variant<std::uint32_t, LargeCommunity>;
// "a:b" (each 0..65535), the well-known names (no-export, no-advertise, no-export-subconfed,
// no-peer, graceful-shutdown, blackhole) or "large:a:b:c". Aliases are resolved by the loader.
std::optional<Community> parse_community(std::string_view text);
// "a:b" or "large:a:b:c".
std::string format_community(const Community& c);

}  // namespace vipd::config
