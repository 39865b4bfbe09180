#include "vipd/pool/state_store.hpp"

#include "vipd/common/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace vipd::pool {

namespace {

constexpr int format_version = 1;

std::string errno_text(int err) {
  return std::strerror(err);
}

}  // namespace

StateStore::Loaded parse_state(std::string_view text, const std::string& origin) {
  StateStore::Loaded out;
  const auto corrupt = [&](const std::string& why) {
    out.state.allocations.clear();
    out.warnings.push_back("state file " + origin + " is corrupt (" + why +
                           "); starting without previous allocations (the file will be rebuilt)");
    return out;
  };
  const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return corrupt("not valid JSON");
  if (!doc.is_object()) return corrupt("expected a JSON object");
  const auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer() || version->get<std::int64_t>() != format_version)
    return corrupt("expected \"version\": " + std::to_string(format_version));
  const auto allocations = doc.find("allocations");
  if (allocations == doc.end() || !allocations->is_object())
    return corrupt("expected an \"allocations\" object");

  for (const auto& [name, value] : allocations->items()) {
    std::optional<net::IpAddress> a;
    if (value.is_string()) a = net::IpAddress::parse(value.get_ref<const std::string&>());
    if (!a || name.empty()) {
      // Quote a string value (shortened); name only the type of anything else (it may be huge).
      std::string shown = value.is_string() ? "\"" + value.get_ref<const std::string&>().substr(0, 64) + "\""
                                            : std::string("a JSON ") + value.type_name();
      std::string warning = "state file " + origin;
      warning.append(": entry \"").append(name.substr(0, 64)).append("\": ").append(shown);
      warning.append(" is not a service name and an IP address; entry dropped");
      out.warnings.push_back(std::move(warning));
      continue;
    }
    out.state.allocations.emplace(name, *a);
  }
  return out;
}

std::string format_state(const State& state) {
  nlohmann::json doc;
  doc["version"] = format_version;
  doc["allocations"] = nlohmann::json::object();
  for (const auto& [name, a] : state.allocations) doc["allocations"][name] = a.to_string();
  // Non-UTF-8 service names are replaced rather than thrown on: names come from YAML, which is UTF-8.
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

StateStore::StateStore(std::string directory) : directory_(std::move(directory)) {}

std::string StateStore::path() const {
  return (std::filesystem::path(directory_) / file_name).string();
}

StateStore::Loaded StateStore::load() const {
  Loaded out;
  const std::string file = path();
  auto text = file::read_all(file);
  if (!text) {
    if (text.error() == ENOENT) return out;  // first start: nothing allocated yet
    out.warnings.push_back("cannot read state file " + file + ": " + errno_text(text.error()) +
                           "; starting without previous allocations (the file will be rebuilt)");
    return out;
  }
  return parse_state(*text, file);
}

Result<void, std::string> StateStore::save(const State& state) const {
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  if (ec) return unexpected("cannot create state directory " + directory_ + ": " + ec.message());
  // Readable by operators (vipctl, debugging); nothing secret in it.
  return file::write_atomically(path(), format_state(state), 0644);
}

}  // namespace vipd::pool
