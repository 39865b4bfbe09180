#include "vipd/common/log.hpp"

#include <cstdlib>
#include <mutex>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace vipd::log {
namespace {

// "%^" colour is pointless on journald; "<N>" lets journald keep the level (sd-daemon(3)).
class SyslogPriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    static constexpr const char* prefixes[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", "<6>"};
    const auto level = static_cast<std::size_t>(msg.level);
    const char* p = level < std::size(prefixes) ? prefixes[level] : "<6>";
    dest.append(p, p + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SyslogPriorityFlag>();
  }
};

std::mutex mutex;
spdlog::sink_ptr shared_sink;
spdlog::level::level_enum current_level = spdlog::level::info;

spdlog::sink_ptr sink() {
  if (!shared_sink) {
    shared_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    if (std::getenv("JOURNAL_STREAM") != nullptr) {
      formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*[%n] %v");
    } else {
      formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%e %L [%n] %v");
    }
    shared_sink->set_formatter(std::move(formatter));
  }
  return shared_sink;
}

}  // namespace

std::shared_ptr<spdlog::logger> get(const std::string& subsystem) {
  std::lock_guard lock(mutex);
  if (auto existing = spdlog::get(subsystem)) return existing;
  auto logger = std::make_shared<spdlog::logger>(subsystem, sink());
  logger->set_level(current_level);
  spdlog::register_logger(logger);
  return logger;
}

bool configure(const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") return false;
  std::lock_guard lock(mutex);
  current_level = parsed;
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) { l->set_level(parsed); });
  return true;
}

}  // namespace vipd::log
