#include "vipctl/render.hpp"

#include <algorithm>
#include <cctype>

namespace vipd::vipctl {

namespace {

using json = nlohmann::json;

const json& field(const json& object, const char* key) {
  static const json null_value;
  if (!object.is_object()) return null_value;
  const auto it = object.find(key);
  return it == object.end() ? null_value : *it;
}

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string header_for(const std::string& key) {
  std::string h = key;
  for (auto& c : h) c = c == '_' ? ' ' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return h;
}

std::string last_conflict(const json& conflict) {
  if (!conflict.is_object()) return "-";
  std::string out = format_cell(field(conflict, "mac"));
  const auto& interface = field(conflict, "interface");
  if (!interface.is_null()) out += " on " + format_cell(interface);
  const auto& ago = field(conflict, "seconds_ago");
  if (ago.is_number_unsigned()) {
    out += ", " + format_duration(ago.get<std::uint64_t>()) + " ago";
  } else if (!ago.is_null()) {
    out += ", " + format_cell(ago) + "s ago";
  }
  return out;
}

// A section: a title line, then the table or "none".
std::string section(const std::string& title, const std::string& table) {
  if (table.empty()) return title + ": none\n";
  return title + "\n" + table;
}

}  // namespace

std::string format_cell(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
      return "-";
    case json::value_t::string:
      return value.get<std::string>();
    case json::value_t::boolean:
      return value.get<bool>() ? "yes" : "no";
    case json::value_t::array: {
      if (value.empty()) return "-";
      std::string out;
      for (const auto& item : value) {
        if (!out.empty()) out += ",";
        out += item.is_structured() ? dump(item) : format_cell(item);
      }
      return out;
    }
    default:
      return dump(value);
  }
}

std::string format_duration(std::uint64_t seconds) {
  auto two = [](std::uint64_t v) { return (v < 10 ? "0" : "") + std::to_string(v); };
  if (seconds < 60) return std::to_string(seconds) + "s";
  if (seconds < 3600) return std::to_string(seconds / 60) + "m" + two(seconds % 60) + "s";
  if (seconds < 86400) return std::to_string(seconds / 3600) + "h" + two(seconds % 3600 / 60) + "m";
  return std::to_string(seconds / 86400) + "d" + two(seconds % 86400 / 3600) + "h";
}

std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows,
                         const std::vector<bool>& right_align) {
  std::vector<std::size_t> width(headers.size());
  for (std::size_t c = 0; c < headers.size(); ++c) width[c] = headers[c].size();
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], row[c].size());

  // Headers follow their column's alignment, so numbers line up under them.
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < width.size(); ++c) {
      const std::string& cell = c < cells.size() ? cells[c] : std::string();
      const std::string pad(width[c] - cell.size(), ' ');
      const bool right = c < right_align.size() && right_align[c];
      if (c > 0) out += "  ";
      out += right ? pad + cell : cell + pad;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };

  std::string out = line(headers);
  for (const auto& row : rows) out += line(row);
  return out;
}

std::string render_object_table(const json& array) {
  if (!array.is_array() || array.empty()) return "";
  std::vector<std::string> keys;
  for (const auto& item : array) {
    if (!item.is_object()) continue;
    for (const auto& [key, value] : item.items())
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  if (keys.empty()) {  // not objects: one value per line
    std::vector<std::vector<std::string>> rows;
    for (const auto& item : array) rows.push_back({format_cell(item)});
    return render_table({"VALUE"}, rows);
  }
  std::vector<std::string> headers;
  std::vector<bool> right(keys.size(), true);
  std::vector<std::vector<std::string>> rows;
  headers.reserve(keys.size());
  for (const auto& key : keys) headers.push_back(header_for(key));
  for (const auto& item : array) {
    std::vector<std::string> row;
    for (std::size_t c = 0; c < keys.size(); ++c) {
      const auto& value = field(item, keys[c].c_str());
      if (!value.is_number() && !value.is_null()) right[c] = false;
      row.push_back(format_cell(value));
    }
    rows.push_back(std::move(row));
  }
  return render_table(headers, rows, right);
}

std::string render_status(const json& response) {
  std::string out = "vipd " + format_cell(field(response, "version"));
  const auto& uptime = field(response, "uptime_seconds");
  if (uptime.is_number_unsigned()) out += ", up " + format_duration(uptime.get<std::uint64_t>());
  const auto& drained = field(response, "drained");
  out += drained.is_boolean() && drained.get<bool>() ? ", DRAINED (layer2 VIPs released)\n" : ", serving\n";

  const auto& vips = field(response, "vips");
  std::vector<std::vector<std::string>> vip_rows;
  // The reason column only when some VIP is not owned: why this node stays silent for it.
  bool any_reason = false;
  if (vips.is_array())
    for (const auto& v : vips) any_reason = any_reason || field(v, "reason").is_string();
  if (vips.is_array()) {
    for (const auto& v : vips) {
      vip_rows.push_back({format_cell(field(v, "vip")), format_cell(field(v, "service")),
                          format_cell(field(v, "pool")), format_cell(field(v, "protocol")),
                          format_cell(field(v, "owned")), format_cell(field(v, "links")),
                          format_cell(field(v, "requests")), format_cell(field(v, "replies")),
                          format_cell(field(v, "gratuitous")), format_cell(field(v, "conflicts")),
                          last_conflict(field(v, "last_conflict"))});
      if (any_reason) vip_rows.back().push_back(format_cell(field(v, "reason")));
    }
  }
  std::vector<std::string> vip_headers{"VIP",        "SERVICE",   "POOL",         "PROTOCOL",
                                       "OWNED",      "LINKS",     "REQUESTS",     "REPLIES",
                                       "GRATUITOUS", "CONFLICTS", "LAST CONFLICT"};
  std::vector<bool> vip_right{false, false, false, false, false, false, true, true, true, true, false};
  if (any_reason) {
    vip_headers.push_back("NOT OWNED BECAUSE");
    vip_right.push_back(false);
  }
  out += "\n";
  out += section("VIPs", vip_rows.empty() ? "" : render_table(vip_headers, vip_rows, vip_right));

  const auto& links = field(response, "links");
  std::vector<std::vector<std::string>> link_rows;
  if (links.is_array()) {
    for (const auto& l : links) {
      link_rows.push_back({format_cell(field(l, "name")), format_cell(field(l, "ifindex")),
                           format_cell(field(l, "vips")), format_cell(field(l, "received")),
                           format_cell(field(l, "sent")), format_cell(field(l, "send_errors")),
                           format_cell(field(l, "kernel_drops")), format_cell(field(l, "multicast_groups"))});
    }
  }
  out += "\n";
  out += section("Links", link_rows.empty()
                              ? ""
                              : render_table({"LINK", "IFINDEX", "VIPS", "RECEIVED", "SENT", "SEND ERRORS",
                                              "KERNEL DROPS", "MCAST GROUPS"},
                                             link_rows, {false, true, true, true, true, true, true, true}));

  out += "\n";
  out += section("BGP", render_object_table(field(response, "bgp")));
  // Failover: the columns a person checks during a takeover, in that order.
  const auto& groups = field(response, "failover");
  std::vector<std::vector<std::string>> group_rows;
  if (groups.is_array()) {
    for (const auto& g : groups) {
      std::string since = format_cell(field(g, "last_transition_seconds_ago"));
      if (const auto& s = field(g, "last_transition_seconds_ago");
          s.is_number_unsigned() || s.is_number_integer())
        since = format_duration(s.get<std::uint64_t>()) + " ago";
      group_rows.push_back(
          {format_cell(field(g, "group")), format_cell(field(g, "family")),
           format_cell(field(g, "interface")), format_cell(field(g, "vrid")),
           format_cell(field(g, "priority")), format_cell(field(g, "state")),
           format_cell(field(g, "master_address")),
           format_cell(field(g, "last_transition_reason")) + (since == "-" ? "" : ", " + since),
           format_cell(field(g, "adverts_received")), format_cell(field(g, "vips"))});
    }
  }
  out += "\n";
  out += section(
      "Failover",
      group_rows.empty()
          ? ""
          : render_table({"GROUP", "FAMILY", "LINK", "VRID", "PRIORITY", "STATE", "MASTER", "LAST TRANSITION",
                          "ADVERTS IN", "VIPS"},
                         group_rows, {false, false, false, true, true, false, false, false, true, false}));
  return out;
}

std::string render_explain(const json& response) {
  const auto& table = field(response, "table");
  std::string out = table.is_string() ? table.get<std::string>() : format_cell(table);
  if (out.empty() || out.back() != '\n') out.push_back('\n');
  return out;
}

std::string render_message(const json& response) {
  const auto& message = field(response, "message");
  std::string out = message.is_null() ? "ok" : format_cell(message);
  if (out.empty() || out.back() != '\n') out.push_back('\n');
  return out;
}

}  // namespace vipd::vipctl
