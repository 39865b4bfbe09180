// Config loader: YAML text -> config::Model, for native vipd YAML, MetalLB's legacy ConfigMap and
// MetalLB's CRDs. Parse everything, collect every error with its position, then validate the
// merged model. yaml-cpp throws; nothing leaves this file as an exception.

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "regex_check.hpp"
#include "vipd/config/loader.hpp"

namespace vipd::config {
namespace {

// Bounds that keep a hostile or broken file from costing unbounded time or memory.
constexpr std::size_t max_input_bytes = 32u << 20;  // 100,000 services are ~5.5 MB
constexpr std::size_t max_errors = 500;
constexpr std::size_t max_list_items = 100'000;
constexpr std::size_t max_documents = 10'000;

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

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string index(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// YAML text is UTF-8; a name with broken sequences could not be printed back faithfully.
// A next hop a router can use off the link: IPv6, and not link-local, site-local (fec0::/10),
// loopback, unspecified, multicast or IPv4-mapped.
bool is_global_v6(const net::IpAddress& a) {
  if (!a.is_v6() || a.is_unspecified() || a.is_multicast() || a.is_v6_link_local()) return false;
  const auto b = a.bytes();
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return false;
  const bool zero10 = std::all_of(b.begin(), b.begin() + 10, [](std::uint8_t x) { return x == 0; });
  if (zero10 && b[10] == 0xff && b[11] == 0xff) return false;  // ::ffff:a.b.c.d
  return !(a.value() == net::Uint128{1});                      // ::1
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
std::string quote(std::string_view s, std::size_t limit = 80) {
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
struct Val {
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

// Where an element of a merged list came from, and where its fields are, for semantic errors.
struct Origin {
  std::string path;
  SourceLocation where;
  std::map<std::string, SourceLocation> at;
  SourceLocation field(const std::string& key) const {
    auto it = at.find(key);
    return it == at.end() ? where : it->second;
  }
};

struct TextAt {
  std::string text;
  SourceLocation where;
  std::string path;
};

struct PendingAdv {  // a native bgp-advertisement's community names, resolved after merging
  std::size_t pool = 0;
  std::size_t adv = 0;
  std::string path;
  SourceLocation agg_at, agg6_at;
  std::vector<TextAt> communities;
  std::vector<TextAt> peers;
};

struct CrdAdv {
  bool bgp = false;
  std::string name;
  std::string path;
  SourceLocation where;
  std::optional<std::vector<TextAt>> pools;  // nullopt = every pool
  std::vector<std::string> interfaces;       // L2
  BgpAdvertisement adv;                      // BGP
  SourceLocation agg_at, agg6_at;
  std::vector<TextAt> communities;  // BGP
  std::vector<TextAt> peers;        // BGP
};

class Loader {
 public:
  void add_error(Diagnostic d) {
    if (errors_.size() < max_errors) {
      errors_.push_back(std::move(d));
    } else if (errors_.size() == max_errors) {
      Diagnostic last = std::move(d);
      last.path.clear();
      last.message = "too many errors, stopping here";
      errors_.push_back(std::move(last));
    }
  }
  void add_warning(Diagnostic d) {
    if (warnings_.size() < max_errors) warnings_.push_back(std::move(d));
  }

  void add_file(const std::string& file, const std::string& text) {
    files_.push_back(file);
    PositionMap pos{file, 0, 0, std::nullopt};
    add_text(text, pos, /*metallb=*/false, /*inner=*/false);
  }

  void cannot_read(const std::string& file, const std::string& why) {
    files_.push_back(file);
    add_error({Severity::error, {file, 0, 0}, "", "cannot read " + quote(file, 4096) + ": " + why});
  }

  Result<LoadResult, Diagnostics> finish();

 private:
  friend class DocParser;

  void add_text(const std::string& text, const PositionMap& pos, bool metallb, bool inner);

  Model model_;
  std::vector<Origin> pool_o_, peer_o_, service_o_, vrrp_o_;
  std::vector<PendingAdv> pending_;
  std::vector<std::size_t> crd_pools_;  // indices of pools that came from IPAddressPool
  std::vector<CrdAdv> crd_advs_;
  std::map<std::string, SourceLocation> sections_;      // scalar section -> where first given
  std::map<std::string, SourceLocation> community_at_;  // alias -> where defined
  std::vector<std::string> files_;
  Diagnostics errors_, warnings_;

  void resolve_crds();
  void validate();
  std::optional<Community> resolve_community(const TextAt& t);
  void check_aggregation(const Pool& pool, const BgpAdvertisement& adv, const std::string& path,
                         const SourceLocation& agg_at, const SourceLocation& agg6_at, bool crd);
  void error(const SourceLocation& w, const std::string& path, std::string msg) {
    add_error({Severity::error, w, path, std::move(msg)});
  }
  void warning(const SourceLocation& w, const std::string& path, std::string msg) {
    add_warning({Severity::warning, w, path, std::move(msg)});
  }
};

// Parses one YAML document into the loader's accumulated model.
class DocParser {
 public:
  DocParser(Loader& l, const PositionMap& pos, const std::string& raw, bool metallb)
      : l_(l), pos_(pos), raw_(raw), metallb_(metallb) {}

  void document(const YAML::Node& root, bool inner);

 private:
  Loader& l_;
  const PositionMap& pos_;
  const std::string& raw_;
  bool metallb_;  // unknown keys are warnings (MetalLB formats evolve)

  SourceLocation at(const YAML::Node& n) const { return pos_.at(n.Mark()); }
  void error(const SourceLocation& w, const std::string& path, std::string msg) {
    l_.error(w, path, std::move(msg));
  }
  void error(const Val& v, std::string msg) { l_.error(v.where, v.path, std::move(msg)); }
  void warning(const Val& v, std::string msg) { l_.warning(v.where, v.path, std::move(msg)); }
  void note(const Val& v, std::string msg) {
    l_.add_warning({Severity::note, v.where, v.path, std::move(msg)});
  }

  // ---- generic readers ----
  Map map(const Val& v, std::initializer_list<std::string_view> known, bool lenient) {
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
      const std::string key = k.Scalar();
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

  bool require(const Map& m, std::string_view key, std::string_view expected) {
    if (m.get(key)) return true;
    if (m.suggested.count(std::string(key))) return false;  // already reported as a misspelling
    error(m.where, m.path, "missing required key " + quote(key) + " (" + std::string(expected) + ")");
    return false;
  }

  std::vector<Val> list(const Val& v) {
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

  std::optional<std::string> str(const Val& v, bool allow_empty = false) {
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

  std::optional<bool> boolean(const Val& v) {
    if (v.node.IsScalar()) {
      const std::string s = lower(v.node.Scalar());
      if (s == "true" || s == "yes" || s == "on") return true;
      if (s == "false" || s == "no" || s == "off") return false;
    }
    error(v, describe(v.node) + " is not a boolean (expected true or false)");
    return std::nullopt;
  }

  std::optional<std::uint64_t> integer(const Val& v, std::uint64_t lo, std::uint64_t hi,
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

  std::optional<Duration> duration(const Val& v) {
    if (v.node.IsScalar())
      if (auto d = parse_duration(v.node.Scalar())) return d;
    error(v, describe(v.node) + " is not a duration (expected e.g. 90s, 1m30s, 100ms or plain seconds)");
    return std::nullopt;
  }

  std::optional<std::uint32_t> asn(const Val& v) {
    if (v.node.IsScalar())
      if (auto a = parse_asn(v.node.Scalar())) return a;
    error(v, describe(v.node) + " is not an AS number (expected 1-4294967295 or asdot like 1.10)");
    return std::nullopt;
  }

  std::optional<BgpOrigin> origin(const Val& v) {
    if (v.node.IsScalar()) {
      const std::string& t = v.node.Scalar();
      if (t == "igp") return BgpOrigin::igp;
      if (t == "egp") return BgpOrigin::egp;
      if (t == "incomplete") return BgpOrigin::incomplete;
    }
    error(v, describe(v.node) + " is not a BGP origin (expected igp, egp or incomplete)");
    return std::nullopt;
  }

  std::optional<net::IpAddress> ip(const Val& v) {
    if (v.node.IsScalar())
      if (auto a = net::IpAddress::parse(v.node.Scalar())) return a;
    error(v,
          describe(v.node) + " is not an IP address (expected IPv4 like 192.168.1.1 or IPv6 like fd00::1)");
    return std::nullopt;
  }

  std::vector<std::string> str_list(const Val& v) {
    std::vector<std::string> out;
    for (const auto& item : list(v))
      if (auto s = str(item)) out.push_back(*s);
    return out;
  }

  std::vector<TextAt> text_list(const Val& v) {
    std::vector<TextAt> out;
    for (const auto& item : list(v))
      if (auto s = str(item)) out.push_back({*s, item.where, item.path});
    return out;
  }

  // Link name patterns: shell globs, or "re:<ECMAScript regex>" checked here so a bad one is
  // reported with its position instead of failing later in the selector.
  std::vector<std::string> patterns(const Val& v) {
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

  std::optional<AddressRange> range(const Val& v) {
    if (v.node.IsScalar()) {
      if (auto r = net::IpRange::parse(v.node.Scalar())) return AddressRange{*r, v.node.Scalar(), v.where};
    }
    error(v,
          describe(v.node) +
              " is not an address range (expected a CIDR like 192.168.10.0/24, a range a-b or one address)");
    return std::nullopt;
  }

  bool claim_section(const std::string& key, const Val& v) {
    auto [it, inserted] = l_.sections_.emplace(key, v.where);
    if (inserted) return true;
    error(v, "section " + quote(key) + " is already given at " + where_text(it->second) +
                 " (each of interfaces, gratuitous, control, metrics, local-delivery, log-level may appear "
                 "once across all files)");
    return false;
  }

  void add_alias(const std::string& name, const std::string& value, const Val& v) {
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

  // ---- native sections ----
  void native(const Val& root);
  void interfaces(const Val& v);
  void peer(const Val& v);
  void pool(const Val& v);
  void bgp_advertisement(const Val& v, std::size_t pool_index);
  void service(const Val& v);
  void gratuitous(const Val& v);
  void failover(const Val& v);
  void vrrp(const Val& v);
  void local_delivery(const Val& v);
  void control(const Val& v);
  void metrics(const Val& v);
  void log_level(const Val& v);

  // ---- MetalLB ----
  void config_map(const Map& obj);
  void crd(const Map& obj, const std::string& kind, const Val& root);
  void crd_pool(const Val& spec, const std::string& name, const SourceLocation& where);
  void crd_l2(const Val& spec, const std::string& name, const std::string& path, const SourceLocation& where);
  void crd_bgp_adv(const Val& spec, const std::string& name, const std::string& path,
                   const SourceLocation& where);
  void crd_peer(const Val& spec, const std::string& name, const SourceLocation& where);
  void crd_community(const Val& spec);
  void ignored_field(const Val& v, std::string_view why) { warning(v, "ignored: " + std::string(why)); }
};

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

void DocParser::native(const Val& root) {
  const Map m = map(root,
                    {"interfaces", "peers", "address-pools", "bgp-communities", "bfd-profiles", "services",
                     "gratuitous", "failover", "local-delivery", "control", "metrics", "log-level"},
                    false);
  for (const auto& [key, v] : m.items) {
    if (key == "interfaces") {
      if (claim_section(key, v)) interfaces(v);
    } else if (key == "peers") {
      for (const auto& item : list(v)) peer(item);
    } else if (key == "address-pools") {
      for (const auto& item : list(v)) pool(item);
    } else if (key == "bgp-communities") {
      if (v.null()) continue;
      if (!v.node.IsMap()) {
        error(v, "expected a mapping of alias: community, got " + describe(v.node));
        continue;
      }
      for (auto it = v.node.begin(); it != v.node.end(); ++it) {
        const YAML::Node k = it->first;
        const YAML::Node val = it->second;
        if (!k.IsScalar() || k.Scalar().empty() || !valid_utf8(k.Scalar())) {
          error(at(k), v.path, "a community alias must be a UTF-8 string, got " + describe(k));
          continue;
        }
        const Val cv{val, val.IsNull() ? at(k) : at(val), child(v.path, k.Scalar())};
        if (auto s = str(cv)) add_alias(k.Scalar(), *s, cv);
      }
    } else if (key == "bfd-profiles") {
      if (!v.null()) warning(v, "BFD is not supported by vipd; bfd-profiles are ignored");
    } else if (key == "services") {
      for (const auto& item : list(v)) service(item);
    } else if (key == "gratuitous") {
      if (claim_section(key, v)) gratuitous(v);
    } else if (key == "failover") {
      failover(v);
    } else if (key == "local-delivery") {
      if (claim_section(key, v)) local_delivery(v);
    } else if (key == "control") {
      if (claim_section(key, v)) control(v);
    } else if (key == "metrics") {
      if (claim_section(key, v)) metrics(v);
    } else if (key == "log-level") {
      if (claim_section(key, v)) log_level(v);
    }
  }
}

void DocParser::interfaces(const Val& v) {
  const Map m = map(v, {"allow", "deny", "require-subnet"}, false);
  auto& p = l_.model_.interfaces;
  p.where = v.where;
  if (const Val* x = m.get("allow")) p.allow = patterns(*x);
  if (const Val* x = m.get("deny")) p.deny = patterns(*x);
  if (const Val* x = m.get("require-subnet"))
    if (auto b = boolean(*x)) p.require_subnet = *b;
}

void DocParser::peer(const Val& v) {
  const Map m = map(v,
                    {"peer-address", "peer-asn", "my-asn", "peer-port", "hold-time", "keepalive-time",
                     "router-id", "source-address", "password", "ebgp-multihop", "bfd-profile",
                     "node-selectors", "name", "passive", "gtsm", "next-hop-v6"},
                    false);
  if (!m.ok) return;
  Peer p;
  Origin o{v.path, v.where, {}};
  p.where = v.where;
  bool ok = require(m, "peer-address", "the neighbour's IP address");
  ok = require(m, "peer-asn", "the neighbour's AS number") && ok;
  ok = require(m, "my-asn", "this node's AS number") && ok;
  for (const auto& [key, x] : m.items) {
    o.at[key] = x.where;
    if (key == "peer-address") {
      if (auto a = ip(x))
        p.peer_address = *a;
      else
        ok = false;
    } else if (key == "peer-asn") {
      if (auto a = asn(x))
        p.peer_asn = *a;
      else
        ok = false;
    } else if (key == "my-asn") {
      if (auto a = asn(x))
        p.my_asn = *a;
      else
        ok = false;
    } else if (key == "peer-port") {
      if (auto n = integer(x, 1, 65535, "a port")) p.peer_port = static_cast<std::uint16_t>(*n);
    } else if (key == "hold-time") {
      if (auto d = duration(x)) {
        if (*d != Duration::zero() && (*d < std::chrono::seconds(3) || *d > std::chrono::seconds(65535))) {
          error(x, quote(x.node.Scalar()) + " is not a valid hold time (expected 0 or 3s-65535s)");
        } else if (d->count() % 1000 != 0) {
          error(x, quote(x.node.Scalar()) + " is not a valid hold time (expected whole seconds)");
        } else {
          p.hold_time = *d;
        }
      }
    } else if (key == "keepalive-time") {
      if (auto d = duration(x)) {
        if (d->count() % 1000 != 0 || *d > std::chrono::seconds(21845))
          error(x, quote(x.node.Scalar()) +
                       " is not a valid keepalive time (expected whole seconds, at most a third of 65535s)");
        else
          p.keepalive_time = *d;
      }
    } else if (key == "router-id") {
      if (auto a = ip(x)) {
        if (!a->is_v4())
          error(x, quote(x.node.Scalar()) + " is not a valid router ID (expected an IPv4 address)");
        else
          p.router_id = *a;
      }
    } else if (key == "source-address") {
      if (auto a = ip(x)) p.source_address = *a;
    } else if (key == "password") {
      if (auto s = str(x, true)) {
        if (s->size() > 80)
          error(x, "password is too long (" + std::to_string(s->size()) +
                       " characters, TCP MD5 keys are at most 80)");
        else
          p.password = *s;
      }
    } else if (key == "ebgp-multihop") {
      if (auto b = boolean(x)) p.ebgp_multihop = *b;
    } else if (key == "bfd-profile") {
      if (auto s = str(x, true)) {
        p.bfd_profile = *s;
        if (!s->empty()) warning(x, "BFD is not supported by vipd; bfd-profile " + quote(*s) + " is ignored");
      }
    } else if (key == "node-selectors") {
      if (!x.null()) warning(x, "ignored: vipd runs standalone on this node, node-selectors do not apply");
    } else if (key == "name") {
      if (auto s = str(x)) p.name = *s;
    } else if (key == "passive") {
      if (auto b = boolean(x)) p.passive = *b;
    } else if (key == "gtsm") {
      if (auto b = boolean(x)) p.gtsm = *b;
    } else if (key == "next-hop-v6") {
      if (auto a = ip(x)) {
        if (!is_global_v6(*a))
          error(x, quote(x.node.Scalar()) +
                       " is not a global IPv6 address (expected e.g. 2001:db8::1 or fd00::1; "
                       "not link-local, loopback, multicast or IPv4)");
        else
          p.next_hop_v6 = *a;
      }
    }
  }
  // An invalid peer is still recorded (the load fails anyway) so references to it do not
  // produce a second, misleading "does not exist" error.
  if (p.name.empty() && o.at.count("peer-address") && ok) p.name = p.peer_address.to_string();
  if (p.name.empty() && !ok) return;
  if (ok && p.source_address && p.source_address->family() != p.peer_address.family())
    error(o.field("source-address"), child(v.path, "source-address"),
          quote(p.source_address->to_string()) + " is not of the peer address's family (expected " +
              (p.peer_address.is_v4() ? "IPv4" : "IPv6") + ")");
  // GTSM only accepts packets from the link (TTL 255 minus one hop at most); a multihop session's
  // packets arrive with less, so the two settings cannot both hold.
  if (p.gtsm && p.ebgp_multihop)
    error(o.field("gtsm"), child(v.path, "gtsm"),
          "gtsm and ebgp-multihop contradict each other (GTSM accepts only directly connected peers; "
          "expected one of them)");
  l_.model_.peers.push_back(std::move(p));
  l_.peer_o_.push_back(std::move(o));
}

void DocParser::pool(const Val& v) {
  const Map m = map(v,
                    {"name", "protocol", "addresses", "avoid-buggy-ips", "auto-assign", "bgp-advertisements",
                     "interfaces", "require-subnet"},
                    false);
  if (!m.ok) return;
  Pool p;
  Origin o{v.path, v.where, {}};
  p.where = v.where;
  require(m, "name", "a unique pool name");
  require(m, "protocol", "layer2 or bgp");
  require(m, "addresses", "a list of CIDRs, a-b ranges or addresses");
  const std::size_t index_in_model = l_.model_.pools.size();
  std::vector<Val> advs;
  bool protocol_known = false;
  for (const auto& [key, x] : m.items) {
    o.at[key] = x.where;
    if (key == "name") {
      if (auto s = str(x)) p.name = *s;
    } else if (key == "protocol") {
      protocol_known = x.node.IsScalar() && (x.node.Scalar() == "layer2" || x.node.Scalar() == "bgp");
      if (protocol_known) {
        p.protocol = x.node.Scalar() == "bgp" ? Protocol::bgp : Protocol::layer2;
      } else {
        error(x, describe(x.node) + " is not a protocol (expected layer2 or bgp)");
      }
    } else if (key == "addresses") {
      const auto items = list(x);
      if (items.empty() && (x.null() || x.node.IsSequence()))
        error(x, "a pool needs at least one address range");
      for (const auto& item : items)
        if (auto r = range(item)) p.addresses.push_back(std::move(*r));
    } else if (key == "avoid-buggy-ips") {
      if (auto b = boolean(x)) p.avoid_buggy_ips = *b;
    } else if (key == "auto-assign") {
      if (auto b = boolean(x)) p.auto_assign = *b;
    } else if (key == "bgp-advertisements") {
      advs = list(x);
    } else if (key == "interfaces") {
      p.interfaces = patterns(x);
    } else if (key == "require-subnet") {
      if (auto b = boolean(x)) p.require_subnet = *b;
    }
  }
  // A broken pool is kept (the load fails anyway) so references to it give no second error.
  if (p.name.empty()) return;
  if (protocol_known && !advs.empty() && p.protocol != Protocol::bgp)
    error(o.field("bgp-advertisements"), child(v.path, "bgp-advertisements"),
          "bgp-advertisements are only allowed in pools with protocol bgp");
  if (protocol_known && !p.interfaces.empty() && p.protocol == Protocol::bgp)
    l_.warning(o.field("interfaces"), child(v.path, "interfaces"),
               "interfaces only apply to layer2 pools; ignored for protocol bgp");
  l_.model_.pools.push_back(std::move(p));
  l_.pool_o_.push_back(std::move(o));
  for (const auto& a : advs) bgp_advertisement(a, index_in_model);
}

void DocParser::bgp_advertisement(const Val& v, std::size_t pool_index) {
  const Map m =
      map(v, {"aggregation-length", "aggregation-length-v6", "localpref", "origin", "communities", "peers"},
          false);
  if (!m.ok) return;
  BgpAdvertisement a;
  a.where = v.where;
  PendingAdv pending;
  pending.pool = pool_index;
  pending.path = v.path;
  pending.agg_at = pending.agg6_at = v.where;
  for (const auto& [key, x] : m.items) {
    if (key == "aggregation-length") {
      pending.agg_at = x.where;
      if (auto n = integer(x, 0, 32, "a prefix length")) a.aggregation_length = static_cast<std::uint8_t>(*n);
    } else if (key == "aggregation-length-v6") {
      pending.agg6_at = x.where;
      if (auto n = integer(x, 0, 128, "a prefix length"))
        a.aggregation_length_v6 = static_cast<std::uint8_t>(*n);
    } else if (key == "localpref") {
      if (auto n = integer(x, 0, 4294967295ULL, "a LOCAL_PREF")) a.localpref = static_cast<std::uint32_t>(*n);
    } else if (key == "origin") {
      if (auto o = origin(x)) a.origin = *o;
    } else if (key == "communities") {
      pending.communities = text_list(x);
    } else if (key == "peers") {
      pending.peers = text_list(x);
      for (const auto& t : pending.peers) a.peers.push_back(t.text);
    }
  }
  auto& pool = l_.model_.pools[pool_index];
  pending.adv = pool.bgp_advertisements.size();
  pool.bgp_advertisements.push_back(std::move(a));
  l_.pending_.push_back(std::move(pending));
}

void DocParser::service(const Val& v) {
  const Map m = map(v, {"name", "pool", "address"}, false);
  if (!m.ok) return;
  Service s;
  Origin o{v.path, v.where, {}};
  s.where = v.where;
  bool ok = require(m, "name", "a unique service name");
  ok = require(m, "pool", "the pool to serve it from") && ok;
  for (const auto& [key, x] : m.items) {
    o.at[key] = x.where;
    if (key == "name") {
      if (auto t = str(x))
        s.name = *t;
      else
        ok = false;
    } else if (key == "pool") {
      if (auto t = str(x))
        s.pool = *t;
      else
        ok = false;
    } else if (key == "address") {
      s.address_where = x.where;
      if (auto a = ip(x))
        s.address = *a;
      else
        ok = false;
    }
  }
  if (!ok && s.name.empty()) return;
  l_.model_.services.push_back(std::move(s));
  l_.service_o_.push_back(std::move(o));
}

void DocParser::gratuitous(const Val& v) {
  const Map m = map(v, {"count", "interval", "refresh"}, false);
  auto& g = l_.model_.gratuitous;
  for (const auto& [key, x] : m.items) {
    if (key == "count") {
      if (auto n = integer(x, 0, 100, "a count")) g.count = static_cast<int>(*n);
    } else if (key == "interval") {
      if (auto d = duration(x)) {
        if (*d < std::chrono::milliseconds(10) || *d > std::chrono::seconds(60))
          error(x, quote(x.node.Scalar()) + " is out of range (expected an interval 10ms-60s)");
        else
          g.interval = *d;
      }
    } else if (key == "refresh") {
      if (auto d = duration(x)) {
        if (*d != Duration::zero() && (*d < std::chrono::seconds(1) || *d > std::chrono::hours(24)))
          error(x, quote(x.node.Scalar()) + " is out of range (expected 0s to disable, or 1s-24h)");
        else
          g.refresh = *d;
      }
    }
  }
}

void DocParser::failover(const Val& v) {
  const Map m = map(v, {"vrrp"}, false);
  if (const Val* x = m.get("vrrp"))
    for (const auto& item : list(*x)) vrrp(item);
}

void DocParser::vrrp(const Val& v) {
  const Map m = map(v,
                    {"name", "interface", "vrid", "priority", "advert-interval", "preempt", "preempt-delay",
                     "pools", "unicast-peers"},
                    false);
  if (!m.ok) return;
  VrrpGroup g;
  Origin o{v.path, v.where, {}};
  g.where = v.where;
  bool ok = require(m, "name", "a unique group name");
  ok = require(m, "interface", "the link VRRP adverts use") && ok;
  ok = require(m, "vrid", "a virtual router ID 1-255") && ok;
  for (const auto& [key, x] : m.items) {
    o.at[key] = x.where;
    if (key == "name") {
      if (auto s = str(x))
        g.name = *s;
      else
        ok = false;
    } else if (key == "interface") {
      if (auto s = str(x)) {
        if (s->size() > 15)
          error(x, quote(*s) + " is not a link name (at most 15 characters)");
        else
          g.interface = *s;
      }
    } else if (key == "vrid") {
      if (auto n = integer(x, 1, 255, "a virtual router ID")) g.vrid = static_cast<std::uint8_t>(*n);
    } else if (key == "priority") {
      if (x.node.IsScalar() && x.node.Scalar() == "255") {
        error(x, "\"255\": address owner mode is not supported (expected a priority 1-254)");
      } else if (auto n = integer(x, 1, 254, "a priority")) {
        g.priority = static_cast<std::uint8_t>(*n);
      }
    } else if (key == "advert-interval") {
      if (auto d = duration(x)) {
        if (*d < std::chrono::milliseconds(10) || *d > std::chrono::milliseconds(40950) ||
            d->count() % 10 != 0)
          error(x, quote(x.node.Scalar()) +
                       " is not a VRRP advert interval (expected 10ms-40.95s in steps of 10ms)");
        else
          g.advert_interval = *d;
      }
    } else if (key == "preempt") {
      if (auto b = boolean(x)) g.preempt = *b;
    } else if (key == "preempt-delay") {
      if (auto d = duration(x)) {
        if (*d > std::chrono::hours(1))
          error(x, quote(x.node.Scalar()) + " is out of range (expected 0s-1h)");
        else
          g.preempt_delay = *d;
      }
    } else if (key == "pools") {
      for (const auto& t : text_list(x)) {
        o.at[t.path.substr(v.path.size() + 1)] = t.where;
        g.pools.push_back(t.text);
      }
    } else if (key == "unicast-peers") {
      for (const auto& item : list(x))
        if (auto a = ip(item)) g.unicast_peers.push_back(*a);
    }
  }
  if (!ok && g.name.empty()) return;
  l_.model_.failover.vrrp.push_back(std::move(g));
  l_.vrrp_o_.push_back(std::move(o));
}

void DocParser::local_delivery(const Val& v) {
  const Map m = map(v, {"enabled", "link"}, false);
  auto& ld = l_.model_.local_delivery;
  for (const auto& [key, x] : m.items) {
    if (key == "enabled") {
      if (auto b = boolean(x)) ld.enabled = *b;
    } else if (key == "link") {
      if (auto s = str(x)) {
        if (s->size() > 15)
          error(x, quote(*s) + " is not a link name (at most 15 characters)");
        else
          ld.link = *s;
      }
    }
  }
}

void DocParser::control(const Val& v) {
  const Map m = map(v, {"socket"}, false);
  if (const Val* x = m.get("socket")) {
    if (auto s = str(*x)) {
      if (s->front() != '/' || s->size() > 107)
        error(*x, quote(*s) + " is not a socket path (expected an absolute path, at most 107 characters)");
      else
        l_.model_.control.socket = *s;
    }
  }
}

void DocParser::metrics(const Val& v) {
  const Map m = map(v, {"listen"}, false);
  const Val* x = m.get("listen");
  if (!x) return;
  auto s = str(*x, true);
  if (!s) return;
  if (s->empty()) {  // empty disables the endpoint
    l_.model_.metrics.listen.clear();
    return;
  }
  // "host:port" or "[v6]:port".
  std::string host, port;
  if (s->front() == '[') {
    const auto close = s->find("]:");
    if (close != std::string::npos) {
      host = s->substr(1, close - 1);
      port = s->substr(close + 2);
    }
  } else if (const auto colon = s->rfind(':'); colon != std::string::npos) {
    host = s->substr(0, colon);
    port = s->substr(colon + 1);
  }
  auto addr = net::IpAddress::parse(host);
  bool port_ok = !port.empty() && port.size() <= 5 &&
                 std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (port_ok) port_ok = std::stoi(port) >= 1 && std::stoi(port) <= 65535;
  if (!addr || !port_ok || (addr->is_v6() && s->front() != '[')) {
    error(*x, quote(*s) +
                  " is not a listen address (expected address:port like 127.0.0.1:9477 or [::1]:9477, or "
                  "\"\" to disable)");
    return;
  }
  l_.model_.metrics.listen = *s;
}

void DocParser::log_level(const Val& v) {
  static const std::vector<std::string> levels = {"trace", "debug",    "info", "warn",
                                                  "error", "critical", "off"};
  if (v.node.IsScalar() && std::find(levels.begin(), levels.end(), v.node.Scalar()) != levels.end()) {
    l_.model_.log_level = v.node.Scalar();
    return;
  }
  error(v,
        describe(v.node) + " is not a log level (expected trace, debug, info, warn, error, critical or off)");
}

// ---- MetalLB legacy ConfigMap ----

void DocParser::config_map(const Map& obj) {
  const Val* data = obj.get("data");
  const Val* config = nullptr;
  Map d;
  if (data) {
    d = map(*data, {"config"}, true);
    config = d.get("config");
  }
  if (!config) {
    l_.add_warning({Severity::note, obj.where, obj.path, "ConfigMap without data.config ignored"});
    return;
  }
  auto text = str(*config, true);
  if (!text) return;
  // Position the inner text: for a literal block (`config: |`) inner line N is outer line
  // (first content line + N) and columns shift by the block's indentation.
  PositionMap inner{pos_.file, 0, 0, std::nullopt};
  const YAML::Mark mk = config->node.Mark();
  const auto p = static_cast<std::size_t>(mk.pos);
  if (config->node.Tag() == "!" && mk.pos >= 0 && p < raw_.size() && raw_[p] == '|' && !pos_.fixed) {
    std::size_t line_start = raw_.find('\n', p);
    int indent = 0;
    while (line_start != std::string::npos) {
      const std::size_t next = raw_.find('\n', line_start + 1);
      const std::string_view line(raw_.data() + line_start + 1,
                                  (next == std::string::npos ? raw_.size() : next) - line_start - 1);
      const auto first = line.find_first_not_of(' ');
      if (first != std::string_view::npos && line.find_first_not_of(" \t\r") != std::string_view::npos) {
        indent = static_cast<int>(first);
        break;
      }
      line_start = next;
    }
    inner.line_offset = pos_.line_offset + mk.line + 1;
    inner.column_offset = pos_.column_offset + indent;
  } else {
    inner.fixed = config->where;  // quoted or folded: point at the value itself
  }
  l_.add_text(*text, inner, /*metallb=*/true, /*inner=*/true);
}

// ---- MetalLB CRDs ----

void DocParser::crd(const Map& obj, const std::string& kind, const Val& root) {
  std::string name;
  SourceLocation where = root.where;
  if (const Val* md = obj.get("metadata")) {
    const Map meta = map(*md,
                         {"name", "namespace", "labels", "annotations", "uid", "resourceVersion",
                          "generation", "creationTimestamp", "managedFields"},
                         true);
    if (const Val* n = meta.get("name")) {
      if (auto s = str(*n)) {
        name = *s;
        where = n->where;
      }
    }
  }
  const std::string path = kind + "/" + (name.empty() ? "?" : name);
  Val spec{YAML::Node(), root.where, child(path, "spec")};
  if (const Val* s = obj.get("spec")) spec = Val{s->node, s->where, child(path, "spec")};
  static const std::set<std::string> known = {"IPAddressPool", "L2Advertisement", "BGPAdvertisement",
                                              "BGPPeer", "Community"};
  if (!known.count(kind)) {
    if (kind == "BFDProfile")
      warning(root, "BFD is not supported by vipd; BFDProfile " + quote(name) + " ignored");
    else
      note(root, "MetalLB kind " + quote(kind) + " is not used by vipd, document ignored");
    return;
  }
  if (name.empty() && kind != "Community") {
    error(root, kind + " needs metadata.name");
    return;
  }
  if (kind == "IPAddressPool")
    crd_pool(spec, name, where);
  else if (kind == "L2Advertisement")
    crd_l2(spec, name, path, where);
  else if (kind == "BGPAdvertisement")
    crd_bgp_adv(spec, name, path, where);
  else if (kind == "BGPPeer")
    crd_peer(spec, name, where);
  else
    crd_community(spec);
}

void DocParser::crd_pool(const Val& spec, const std::string& name, const SourceLocation& where) {
  const Map m = map(spec, {"addresses", "autoAssign", "avoidBuggyIPs", "serviceAllocation"}, true);
  if (!m.ok) return;
  Pool p;
  p.name = name;
  p.where = where;
  Origin o{spec.path.substr(0, spec.path.size() - 5), where, {}};
  if (!require(m, "addresses", "a list of CIDRs, a-b ranges or addresses")) return;
  for (const auto& [key, x] : m.items) {
    o.at[key] = x.where;
    if (key == "addresses") {
      for (const auto& item : list(x))
        if (auto r = range(item)) p.addresses.push_back(std::move(*r));
      if (p.addresses.empty() && (x.null() || (x.node.IsSequence() && x.node.size() == 0))) {
        error(x, "a pool needs at least one address range");
        return;
      }
    } else if (key == "autoAssign") {
      if (auto b = boolean(x)) p.auto_assign = *b;
    } else if (key == "avoidBuggyIPs") {
      if (auto b = boolean(x)) p.avoid_buggy_ips = *b;
    } else if (key == "serviceAllocation") {
      const Map sa = map(x, {"priority", "namespaces", "namespaceSelectors", "serviceSelectors"}, true);
      for (const auto& [k2, y] : sa.items)
        ignored_field(y, "vipd runs standalone and serves the services in its own config, so " + k2 +
                             " does not apply");
    }
  }
  l_.crd_pools_.push_back(l_.model_.pools.size());
  l_.model_.pools.push_back(std::move(p));
  l_.pool_o_.push_back(std::move(o));
}

void DocParser::crd_l2(const Val& spec, const std::string& name, const std::string& path,
                       const SourceLocation& where) {
  const Map m = map(spec, {"ipAddressPools", "ipAddressPoolSelectors", "nodeSelectors", "interfaces"}, true);
  if (!m.ok) return;
  CrdAdv a;
  a.name = name;
  a.path = path;
  a.where = where;
  bool selectors = false;
  for (const auto& [key, x] : m.items) {
    if (key == "ipAddressPools") {
      a.pools = text_list(x);
    } else if (key == "ipAddressPoolSelectors") {
      selectors = !x.null();
      if (selectors)
        ignored_field(x,
                      "label selectors need Kubernetes; this advertisement applies only to the pools listed "
                      "in ipAddressPools");
    } else if (key == "nodeSelectors") {
      if (!x.null()) ignored_field(x, "vipd runs standalone on this node, nodeSelectors do not apply");
    } else if (key == "interfaces") {
      a.interfaces = patterns(x);
    }
  }
  if (selectors && !a.pools) a.pools.emplace();
  l_.crd_advs_.push_back(std::move(a));
}

void DocParser::crd_bgp_adv(const Val& spec, const std::string& name, const std::string& path,
                            const SourceLocation& where) {
  const Map m = map(spec,
                    {"aggregationLength", "aggregationLengthV6", "localPref", "communities", "ipAddressPools",
                     "ipAddressPoolSelectors", "nodeSelectors", "peers"},
                    true);
  if (!m.ok) return;
  CrdAdv a;
  a.bgp = true;
  a.name = name;
  a.path = path;
  a.where = where;
  a.adv.where = where;
  a.agg_at = a.agg6_at = where;
  bool selectors = false;
  for (const auto& [key, x] : m.items) {
    if (key == "aggregationLength") {
      a.agg_at = x.where;
      if (auto n = integer(x, 0, 32, "a prefix length"))
        a.adv.aggregation_length = static_cast<std::uint8_t>(*n);
    } else if (key == "aggregationLengthV6") {
      a.agg6_at = x.where;
      if (auto n = integer(x, 0, 128, "a prefix length"))
        a.adv.aggregation_length_v6 = static_cast<std::uint8_t>(*n);
    } else if (key == "localPref") {
      if (auto n = integer(x, 0, 4294967295ULL, "a LOCAL_PREF"))
        a.adv.localpref = static_cast<std::uint32_t>(*n);
    } else if (key == "communities") {
      a.communities = text_list(x);
    } else if (key == "ipAddressPools") {
      a.pools = text_list(x);
    } else if (key == "ipAddressPoolSelectors") {
      selectors = !x.null();
      if (selectors)
        ignored_field(x,
                      "label selectors need Kubernetes; this advertisement applies only to the pools listed "
                      "in ipAddressPools");
    } else if (key == "nodeSelectors") {
      if (!x.null()) ignored_field(x, "vipd runs standalone on this node, nodeSelectors do not apply");
    } else if (key == "peers") {
      a.peers = text_list(x);
      for (const auto& t : a.peers) a.adv.peers.push_back(t.text);
    }
  }
  if (selectors && !a.pools) a.pools.emplace();
  l_.crd_advs_.push_back(std::move(a));
}

void DocParser::crd_peer(const Val& spec, const std::string& name, const SourceLocation& where) {
  const Map m =
      map(spec,
          {"myASN", "peerASN", "peerAddress", "sourceAddress", "peerPort", "holdTime", "keepaliveTime",
           "routerID", "password", "passwordSecret", "ebgpMultiHop", "bfdProfile", "nodeSelectors", "vrf",
           "connectTime", "enableGracefulRestart", "disableMP", "dynamicASN"},
          true);
  if (!m.ok) return;
  // Translate to the legacy keys and reuse the native peer reader's rules by building a node.
  static const std::map<std::string, std::string> legacy = {{"myASN", "my-asn"},
                                                            {"peerASN", "peer-asn"},
                                                            {"peerAddress", "peer-address"},
                                                            {"sourceAddress", "source-address"},
                                                            {"peerPort", "peer-port"},
                                                            {"holdTime", "hold-time"},
                                                            {"keepaliveTime", "keepalive-time"},
                                                            {"routerID", "router-id"},
                                                            {"password", "password"},
                                                            {"ebgpMultiHop", "ebgp-multihop"},
                                                            {"bfdProfile", "bfd-profile"}};
  Peer p;
  Origin o{spec.path.substr(0, spec.path.size() - 5), where, {}};
  p.name = name;
  p.where = where;
  bool ok = require(m, "peerAddress", "the neighbour's IP address");
  ok = require(m, "peerASN", "the neighbour's AS number") && ok;
  ok = require(m, "myASN", "this node's AS number") && ok;
  for (const auto& [key, x] : m.items) {
    o.at[legacy.count(key) ? legacy.at(key) : key] = x.where;
    if (key == "peerAddress") {
      if (auto a = ip(x))
        p.peer_address = *a;
      else
        ok = false;
    } else if (key == "peerASN") {
      if (auto a = asn(x))
        p.peer_asn = *a;
      else
        ok = false;
    } else if (key == "myASN") {
      if (auto a = asn(x))
        p.my_asn = *a;
      else
        ok = false;
    } else if (key == "peerPort") {
      if (auto n = integer(x, 1, 65535, "a port")) p.peer_port = static_cast<std::uint16_t>(*n);
    } else if (key == "holdTime") {
      if (auto d = duration(x)) {
        if (*d != Duration::zero() &&
            (*d < std::chrono::seconds(3) || *d > std::chrono::seconds(65535) || d->count() % 1000))
          error(x, quote(x.node.Scalar()) +
                       " is not a valid hold time (expected 0 or 3s-65535s in whole seconds)");
        else
          p.hold_time = *d;
      }
    } else if (key == "keepaliveTime") {
      if (auto d = duration(x)) {
        if (d->count() % 1000 != 0 || *d > std::chrono::seconds(21845))
          error(x, quote(x.node.Scalar()) +
                       " is not a valid keepalive time (expected whole seconds, at most a third of 65535s)");
        else
          p.keepalive_time = *d;
      }
    } else if (key == "routerID") {
      if (auto a = ip(x)) {
        if (!a->is_v4())
          error(x, quote(x.node.Scalar()) + " is not a valid router ID (expected an IPv4 address)");
        else
          p.router_id = *a;
      }
    } else if (key == "sourceAddress") {
      if (auto a = ip(x)) p.source_address = *a;
    } else if (key == "password") {
      if (auto s = str(x, true)) {
        if (s->size() > 80)
          error(x, "password is too long (" + std::to_string(s->size()) +
                       " characters, TCP MD5 keys are at most 80)");
        else
          p.password = *s;
      }
    } else if (key == "ebgpMultiHop") {
      if (auto b = boolean(x)) p.ebgp_multihop = *b;
    } else if (key == "bfdProfile") {
      if (auto s = str(x, true); s && !s->empty()) {
        p.bfd_profile = *s;
        warning(x, "BFD is not supported by vipd; bfdProfile " + quote(*s) + " is ignored");
      }
    } else if (key == "nodeSelectors") {
      if (!x.null()) ignored_field(x, "vipd runs standalone on this node, nodeSelectors do not apply");
    } else if (key == "passwordSecret") {
      ignored_field(x, "Kubernetes secrets are not available standalone; put the key in password");
    } else if (key == "vrf") {
      ignored_field(x, "VRFs are not supported by vipd");
    } else if (key == "connectTime" || key == "enableGracefulRestart" || key == "disableMP") {
      ignored_field(x, "not supported by vipd");
    } else if (key == "dynamicASN") {
      error(x, "dynamicASN is not supported by vipd (expected peerASN)");
      ok = false;
    }
  }
  if (!ok) return;
  if (p.source_address && p.source_address->family() != p.peer_address.family())
    error(o.field("source-address"), child(spec.path, "sourceAddress"),
          quote(p.source_address->to_string()) + " is not of the peer address's family");
  l_.model_.peers.push_back(std::move(p));
  l_.peer_o_.push_back(std::move(o));
}

void DocParser::crd_community(const Val& spec) {
  const Map m = map(spec, {"communities"}, true);
  const Val* list_v = m.get("communities");
  if (!list_v) return;
  for (const auto& item : list(*list_v)) {
    const Map c = map(item, {"name", "value"}, true);
    if (!c.ok) continue;
    if (!require(c, "name", "the alias") || !require(c, "value", "a:b or large:a:b:c")) continue;
    auto n = str(*c.get("name"));
    auto v = str(*c.get("value"));
    if (n && v) add_alias(*n, *v, *c.get("value"));
  }
}

// ---- after every document: CRD wiring, references, uniqueness ----

std::optional<Community> Loader::resolve_community(const TextAt& t) {
  if (auto it = model_.communities.find(t.text); it != model_.communities.end())
    if (auto c = parse_community(it->second)) return c;
  if (auto c = parse_community(t.text)) return c;
  error(t.where, t.path,
        quote(t.text) +
            " is not a community (expected a:b with each 0-65535, large:a:b:c, a well-known name like "
            "no-export, or an alias from bgp-communities / Community)");
  return std::nullopt;
}

void add_community(BgpAdvertisement& a, const Community& c) {
  if (const auto* s = std::get_if<std::uint32_t>(&c))
    a.communities.push_back(*s);
  else
    a.large_communities.push_back(std::get<LargeCommunity>(c));
}

// Longest prefix among the CIDR blocks that exactly cover the range (MetalLB splits ranges so).
int longest_block(const net::IpRange& r) {
  using net::Uint128;
  const int width = net::max_prefix_length(r.first.family());
  auto low_mask = [](int bits) { return bits >= 128 ? ~Uint128{0} : (Uint128{1} << bits) - 1; };
  Uint128 a = r.first.value();
  const Uint128 b = r.last.value();
  int longest = 0;
  for (int guard = 0; guard <= 2 * width + 1; ++guard) {
    int host = 0;  // the block at `a` holds 2^host addresses
    while (host < width) {
      const Uint128 mask = low_mask(host + 1);
      if ((a & mask) != 0 || a + mask < a || a + mask > b) break;
      ++host;
    }
    longest = std::max(longest, width - host);
    const Uint128 end = a + low_mask(host);
    if (end >= b) break;
    a = end + 1;
  }
  return longest;
}

// MetalLB's rule: an aggregate may not be wider than any CIDR block of the pool.
void Loader::check_aggregation(const Pool& pool, const BgpAdvertisement& adv, const std::string& path,
                               const SourceLocation& agg_at, const SourceLocation& agg6_at, bool crd) {
  bool reported_v4 = false, reported_v6 = false;
  for (const auto& r : pool.addresses) {
    const bool v4 = r.range.first.is_v4();
    bool& reported = v4 ? reported_v4 : reported_v6;
    const int agg = v4 ? adv.aggregation_length : adv.aggregation_length_v6;
    const int longest = longest_block(r.range);
    if (reported || agg >= longest) continue;
    reported = true;
    const std::string key = crd ? (v4 ? "aggregationLength" : "aggregationLengthV6")
                                : (v4 ? "aggregation-length" : "aggregation-length-v6");
    error(v4 ? agg_at : agg6_at, child(path, key),
          quote(std::to_string(agg)) + " is shorter than prefix length " + std::to_string(longest) + " of " +
              quote(r.text) + " in pool " + quote(pool.name) + " (expected " + std::to_string(longest) +
              (longest == (v4 ? 32 : 128) ? "" : (v4 ? "-32" : "-128")) +
              ": an aggregate may not be wider than the pool's address blocks)");
  }
}

void Loader::resolve_crds() {
  if (crd_pools_.empty() && crd_advs_.empty()) return;
  std::map<std::string, std::size_t> by_name;
  for (std::size_t i : crd_pools_) by_name.emplace(model_.pools[i].name, i);
  std::map<std::size_t, std::vector<const CrdAdv*>> l2_for, bgp_for;
  for (const auto& a : crd_advs_) {
    BgpAdvertisement resolved = a.adv;
    if (a.bgp)
      for (const auto& t : a.communities)
        if (auto c = resolve_community(t)) add_community(resolved, *c);
    std::vector<std::size_t> targets;
    if (!a.pools) {
      targets = crd_pools_;
    } else {
      for (const auto& t : *a.pools) {
        auto it = by_name.find(t.text);
        if (it == by_name.end()) {
          error(t.where, t.path, "IPAddressPool " + quote(t.text) + " does not exist");
          continue;
        }
        targets.push_back(it->second);
      }
    }
    for (std::size_t i : targets) {
      (a.bgp ? bgp_for : l2_for)[i].push_back(&a);
      if (!a.bgp) continue;
      check_aggregation(model_.pools[i], resolved, child(a.path, "spec"), a.agg_at, a.agg6_at, true);
      model_.pools[i].bgp_advertisements.push_back(resolved);
    }
    if (a.bgp)
      for (const auto& t : a.peers) {
        const bool found = std::any_of(model_.peers.begin(), model_.peers.end(),
                                       [&](const Peer& p) { return p.name == t.text; });
        if (!found) error(t.where, t.path, "BGPPeer " + quote(t.text) + " does not exist");
      }
  }
  for (std::size_t i : crd_pools_) {
    Pool& p = model_.pools[i];
    const bool l2 = l2_for.count(i) != 0;
    const bool bgp = bgp_for.count(i) != 0;
    if (l2) {
      p.protocol = Protocol::layer2;
      // Union of the advertisements' interfaces; one advertisement without a list means any link.
      bool any = false;
      std::set<std::string> seen;
      for (const CrdAdv* a : l2_for[i]) {
        if (a->interfaces.empty()) any = true;
        for (const auto& n : a->interfaces)
          if (seen.insert(n).second) p.interfaces.push_back(n);
      }
      if (any) p.interfaces.clear();
      if (bgp) {
        warning(p.where, pool_o_[i].path,
                "pool " + quote(p.name) +
                    " has both an L2Advertisement and a BGPAdvertisement; a vipd pool has one "
                    "protocol, keeping layer2 and ignoring the BGP advertisement");
        p.bgp_advertisements.clear();
      }
    } else if (bgp) {
      p.protocol = Protocol::bgp;
    } else {
      p.protocol = Protocol::layer2;
      warning(p.where, pool_o_[i].path,
              "pool " + quote(p.name) + " has no advertisement: it is not announced");
    }
  }
}

void Loader::validate() {
  // Unique names, reported at the second occurrence with the first's position.
  auto unique = [this](const auto& items, const std::vector<Origin>& origins, std::string_view what) {
    std::map<std::string, std::size_t> first;
    for (std::size_t i = 0; i < items.size(); ++i) {
      auto [it, inserted] = first.emplace(items[i].name, i);
      if (!inserted)
        error(origins[i].field("name"), origins[i].path,
              "duplicate " + std::string(what) + " name " + quote(items[i].name) + " (first defined at " +
                  where_text(origins[it->second].field("name")) + ")");
    }
  };
  unique(model_.pools, pool_o_, "pool");
  unique(model_.peers, peer_o_, "peer");
  unique(model_.services, service_o_, "service");
  unique(model_.failover.vrrp, vrrp_o_, "VRRP group");

  for (std::size_t i = 0; i < model_.peers.size(); ++i) {
    const Peer& p = model_.peers[i];
    if (p.keepalive_time && *p.keepalive_time > p.hold_time)
      error(peer_o_[i].field("keepalive-time"), child(peer_o_[i].path, "keepalive-time"),
            quote(format_duration(*p.keepalive_time)) + " is longer than the hold time " +
                quote(format_duration(p.hold_time)) + " (expected keepalive-time <= hold-time)");
  }

  auto peer_exists = [this](const std::string& n) {
    return std::any_of(model_.peers.begin(), model_.peers.end(),
                       [&](const Peer& p) { return p.name == n || p.peer_address.to_string() == n; });
  };
  for (const auto& pa : pending_) {
    auto& adv = model_.pools[pa.pool].bgp_advertisements[pa.adv];
    if (model_.pools[pa.pool].protocol == Protocol::bgp)
      check_aggregation(model_.pools[pa.pool], adv, pa.path, pa.agg_at, pa.agg6_at, false);
    for (const auto& t : pa.communities)
      if (auto c = resolve_community(t)) add_community(adv, *c);
    for (const auto& t : pa.peers)
      if (!peer_exists(t.text))
        error(t.where, t.path,
              "peer " + quote(t.text) + " does not exist (expected a peer name or peer-address)");
  }

  auto pool_names = [this] {
    std::string out;
    for (const auto& p : model_.pools) out += (out.empty() ? "" : ", ") + p.name;
    return out.empty() ? std::string("none") : out;
  };
  for (std::size_t i = 0; i < model_.services.size(); ++i) {
    const Service& s = model_.services[i];
    if (!model_.find_pool(s.pool))
      error(service_o_[i].field("pool"), child(service_o_[i].path, "pool"),
            "pool " + quote(s.pool) + " does not exist (known pools: " + pool_names() + ")");
  }

  std::map<std::string, std::size_t> pool_group;
  std::map<std::pair<std::string, int>, std::size_t> vrid_at;
  for (std::size_t i = 0; i < model_.failover.vrrp.size(); ++i) {
    const VrrpGroup& g = model_.failover.vrrp[i];
    const Origin& o = vrrp_o_[i];
    if (!g.interface.empty()) {
      auto [it, inserted] = vrid_at.emplace(std::make_pair(g.interface, int{g.vrid}), i);
      if (!inserted)
        error(o.field("vrid"), child(o.path, "vrid"),
              "VRID " + std::to_string(g.vrid) + " on " + quote(g.interface) + " is already used by group " +
                  quote(model_.failover.vrrp[it->second].name));
    }
    for (std::size_t j = 0; j < g.pools.size(); ++j) {
      const std::string key = "pools[" + std::to_string(j) + "]";
      const std::string path = o.path + "." + key;
      const Pool* p = model_.find_pool(g.pools[j]);
      if (!p) {
        error(o.field(key), path,
              "pool " + quote(g.pools[j]) + " does not exist (known pools: " + pool_names() + ")");
      } else if (p->protocol != Protocol::layer2) {
        error(o.field(key), path,
              "pool " + quote(g.pools[j]) +
                  " has protocol bgp (expected a layer2 pool: VRRP decides who answers ARP/NDP)");
      } else if (auto [it, inserted] = pool_group.emplace(g.pools[j], i); !inserted && it->second != i) {
        error(o.field(key), path,
              "pool " + quote(g.pools[j]) + " is already in VRRP group " +
                  quote(model_.failover.vrrp[it->second].name));
      }
    }
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

}  // namespace

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
