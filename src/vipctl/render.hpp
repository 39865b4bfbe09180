#pragma once
// Human renderings of the daemon's JSON responses. Tolerant of missing fields and unexpected
// types (a newer or older daemon): anything unknown prints as "-" or as compact JSON.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vipd::vipctl {

// One cell: strings as they are, numbers, true/false as yes/no, null as "-", arrays of scalars
// comma-joined, objects as compact JSON.
std::string format_cell(const nlohmann::json& value);

// "12s", "5m03s", "2h04m", "3d05h".
std::string format_duration(std::uint64_t seconds);

// Columns separated by two spaces, padded to the widest cell; right_align[i] for numeric columns.
// Every line ends with '\n'; no trailing spaces.
std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows,
                         const std::vector<bool>& right_align = {});

// A JSON array of objects as a table: one column per key (the union over all objects, in
// nlohmann::json's sorted key order), numeric columns right-aligned; "" for an empty array.
std::string render_object_table(const nlohmann::json& array);

// `vipctl status`: a header line, then the VIPs table, the links table, BGP and failover.
std::string render_status(const nlohmann::json& response);

// `vipctl explain`: the daemon's table text (ends with a newline).
std::string render_explain(const nlohmann::json& response);

// reload / drain / undrain: the daemon's message, or "ok".
std::string render_message(const nlohmann::json& response);

}  // namespace vipd::vipctl
