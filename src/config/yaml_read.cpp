// Typed YAML readers: key paths, quoting, did-you-mean for misspelt keys, and DocParser's readers
// for scalars, lists and mappings. Each reader reports its own error with the value's position.

#include "yaml_read.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "doc_parser.hpp"
#include "regex_check.hpp"
#include "vipd/config/loader.hpp"

namespace vipd::config::detail {

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string index(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr std::uint32_t min_cp[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// Quotes a value for a message; long or binary input is shortened and escaped.
std::string quote(std::string_view s, std::size_t limit) {
  std::string out = "\"";
  std::size_t n = 0;
  const bool utf8 = valid_utf8(s);  // otherwise show the raw bytes escaped
  for (char c : s) {
    if (++n > limit) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f || (u >= 0x80 && !utf8)) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

// The closest known key, if it is close enough to be a plausible typo.
std::string suggest(std::string_view key, std::initializer_list<std::string_view> known) {
  if (key.size() > 64) return {};
  const std::string k = lower(key);
  std::string best;
  std::size_t best_d = 0;
  for (auto cand : known) {
    const std::size_t d = edit_distance(k, lower(cand));
    const std::size_t limit = std::max<std::size_t>(1, std::min<std::size_t>(3, cand.size() / 3));
    if (d <= limit && (best.empty() || d < best_d)) {
      best = std::string(cand);
      best_d = d;
    }
  }
  return best;
}

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      return quote(n.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

std::string where_text(const SourceLocation& w) {
  std::string out = w.file;
  if (w.line > 0) out += ":" + std::to_string(w.line);
  if (w.column > 0) out += ":" + std::to_string(w.column);
  return out;
}

Map DocParser::map(const Val& v, std::initializer_list<std::string_view> known, bool lenient) {
  Map m;
  m.where = v.where;
  m.path = v.path;
  if (v.null()) {
    m.ok = true;  // "key:" with nothing: an empty mapping
    return m;
  }
  if (!v.node.IsMap()) {
    error(v, "expected a mapping, got " + describe(v.node));
    return m;
  }
  m.ok = true;
  std::set<std::string> seen;
  for (auto it = v.node.begin(); it != v.node.end(); ++it) {
    const YAML::Node k = it->first;
    const YAML::Node val = it->second;
    const SourceLocation kat = at(k);
    if (!k.IsScalar()) {
      error(kat, v.path, "a key must be a plain string, got " + describe(k));
      continue;
    }
    const std::string& key = k.Scalar();
    if (!seen.insert(key).second) {
      error(kat, v.path, "duplicate key " + quote(key));
      continue;
    }
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string msg = "unknown key " + quote(key);
      if (auto s = suggest(key, known); !s.empty()) {
        msg += " (did you mean " + quote(s) + "?)";
        m.suggested.insert(s);
      }
      if (lenient || metallb_) {
        l_.warning(kat, v.path, msg + ", ignored");
      } else {
        error(kat, v.path, msg);
      }
      continue;
    }
    Val cv{val, (!val.IsDefined() || val.IsNull()) ? kat : at(val), child(v.path, key)};
    m.items.emplace_back(key, std::move(cv));
  }
  return m;
}

bool DocParser::require(const Map& m, std::string_view key, std::string_view expected) {
  if (m.get(key)) return true;
  if (m.suggested.count(std::string(key))) return false;  // already reported as a misspelling
  error(m.where, m.path, "missing required key " + quote(key) + " (" + std::string(expected) + ")");
  return false;
}

std::vector<Val> DocParser::list(const Val& v) {
  std::vector<Val> out;
  if (v.null()) return out;
  if (!v.node.IsSequence()) {
    error(v, "expected a list, got " + describe(v.node));
    return out;
  }
  std::size_t i = 0;
  for (auto it = v.node.begin(); it != v.node.end(); ++it, ++i) {
    if (i >= max_list_items) {
      error(v, "list is too long (more than " + std::to_string(max_list_items) + " items)");
      break;
    }
    const YAML::Node item = *it;
    out.push_back({item, item.IsNull() ? v.where : at(item), index(v.path, i)});
  }
  return out;
}

std::optional<std::string> DocParser::str(const Val& v, bool allow_empty) {
  if (!v.node.IsScalar() || (!allow_empty && v.node.Scalar().empty())) {
    error(v, "expected a string, got " + describe(v.node));
    return std::nullopt;
  }
  if (!valid_utf8(v.node.Scalar())) {
    error(v, describe(v.node) + " is not valid UTF-8 text");
    return std::nullopt;
  }
  return v.node.Scalar();
}

std::optional<bool> DocParser::boolean(const Val& v) {
  if (v.node.IsScalar()) {
    const std::string s = lower(v.node.Scalar());
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  error(v, describe(v.node) + " is not a boolean (expected true or false)");
  return std::nullopt;
}

std::optional<std::uint64_t> DocParser::integer(const Val& v, std::uint64_t lo, std::uint64_t hi,
                                                std::string_view what) {
  const std::string expected =
      "expected " + std::string(what) + " " + std::to_string(lo) + "-" + std::to_string(hi);
  if (v.node.IsScalar()) {
    const std::string& s = v.node.Scalar();
    std::uint64_t x = 0;
    bool digits = !s.empty() && s.size() <= 19;
    for (char c : s) digits = digits && c >= '0' && c <= '9';
    if (digits) {
      x = std::stoull(s);
      if (x >= lo && x <= hi) return x;
      error(v, quote(s) + " is out of range (" + expected + ")");
      return std::nullopt;
    }
  }
  error(v, describe(v.node) + " is not an integer (" + expected + ")");
  return std::nullopt;
}

std::optional<Duration> DocParser::duration(const Val& v) {
  if (v.node.IsScalar())
    if (auto d = parse_duration(v.node.Scalar())) return d;
  error(v, describe(v.node) + " is not a duration (expected e.g. 90s, 1m30s, 100ms or plain seconds)");
  return std::nullopt;
}

std::optional<std::uint32_t> DocParser::asn(const Val& v) {
  if (v.node.IsScalar())
    if (auto a = parse_asn(v.node.Scalar())) return a;
  error(v, describe(v.node) + " is not an AS number (expected 1-4294967295 or asdot like 1.10)");
  return std::nullopt;
}

std::optional<BgpOrigin> DocParser::origin(const Val& v) {
  if (v.node.IsScalar()) {
    const std::string& t = v.node.Scalar();
    if (t == "igp") return BgpOrigin::igp;
    if (t == "egp") return BgpOrigin::egp;
    if (t == "incomplete") return BgpOrigin::incomplete;
  }
  error(v, describe(v.node) + " is not a BGP origin (expected igp, egp or incomplete)");
  return std::nullopt;
}

std::optional<net::IpAddress> DocParser::ip(const Val& v) {
  if (v.node.IsScalar())
    if (auto a = net::IpAddress::parse(v.node.Scalar())) return a;
  error(v, describe(v.node) + " is not an IP address (expected IPv4 like 192.168.1.1 or IPv6 like fd00::1)");
  return std::nullopt;
}

std::vector<std::string> DocParser::str_list(const Val& v) {
  std::vector<std::string> out;
  for (const auto& item : list(v))
    if (auto s = str(item)) out.push_back(*s);
  return out;
}

std::vector<TextAt> DocParser::text_list(const Val& v) {
  std::vector<TextAt> out;
  for (const auto& item : list(v))
    if (auto s = str(item)) out.push_back({*s, item.where, item.path});
  return out;
}

// Link name patterns: shell globs, or "re:<ECMAScript regex>" checked here so a bad one is
// reported with its position instead of failing later in the selector.
std::vector<std::string> DocParser::patterns(const Val& v) {
  std::vector<std::string> out;
  for (const auto& item : list(v)) {
    auto s = str(item);
    if (!s) continue;
    if (s->rfind("re:", 0) == 0) {
      const std::string re = s->substr(3);
      bool ok = !re.empty() && re.size() <= 256;
      if (ok) ok = detail::valid_regex(re);
      if (!ok) {
        error(item, quote(*s) +
                        " is not a valid regular expression (expected re:<ECMAScript regex>, at most 256 "
                        "characters)");
        continue;
      }
    }
    out.push_back(*s);
  }
  return out;
}

std::optional<AddressRange> DocParser::range(const Val& v) {
  if (v.node.IsScalar()) {
    if (auto r = net::IpRange::parse(v.node.Scalar())) return AddressRange{*r, v.node.Scalar(), v.where};
  }
  error(v, describe(v.node) +
               " is not an address range (expected a CIDR like 192.168.10.0/24, a range a-b or one address)");
  return std::nullopt;
}

bool DocParser::claim_section(const std::string& key, const Val& v) {
  auto [it, inserted] = l_.sections_.emplace(key, v.where);
  if (inserted) return true;
  error(v, "section " + quote(key) + " is already given at " + where_text(it->second) +
               " (each of interfaces, gratuitous, control, metrics, local-delivery, log-level may appear "
               "once across all files)");
  return false;
}

void DocParser::add_alias(const std::string& name, const std::string& value, const Val& v) {
  if (!parse_community(value)) {
    error(v, quote(value) +
                 " is not a community (expected a:b with each 0-65535, large:a:b:c, or a well-known name "
                 "like no-export)");
    return;
  }
  auto [it, inserted] = l_.community_at_.emplace(name, v.where);
  if (!inserted) {
    error(v, "community alias " + quote(name) + " is already defined at " + where_text(it->second));
    return;
  }
  l_.model_.communities[name] = value;
}

}  // namespace vipd::config::detail
